"""keepalived's `track_script` and `track_interface` for the bundled speaker: results -> events.

A `Tracker` owns the router's check scripts (their schedules, runs and
`health.ScriptHealth` counters) and the state of every tracked link, and turns
what changes into events for the state machines, as `(instance, event)` pairs:

- a tracked link (an instance's own interface, as keepalived tracks it unless
  `dont_track_primary`, plus its `track_interface`s) going down is
  `Fault("interface eth1")`, coming back `FaultCleared`;
- a weight-0 script that fails is `Fault("script chk")`, `FaultCleared` when it
  is OK again;
- a weighted script moves the effective priority (`health.tracked_priority`):
  `PriorityChanged(p)`. An address owner is never re-weighed. In a sync group
  weights apply as with keepalived's `sync_group_tracking_weight` (which
  vrrplab's keepalived.conf sets): every member tracks the router's same
  scripts, so their priorities move together. (Without that option keepalived
  2.2.7 drops weighted scripts from sync-group members.)

Scripts run first at start-up, then every `interval` from the start of the
previous run (keepalived's schedule); a run still going at its timeout is
killed and counts as a failure ("timed_out"). The daemon's `select` waits on
the runs' pidfds and on the link monitor; the tracker only says what is due.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrrplab.bundled import net
from vrrplab.bundled.config import DaemonConfig, InstanceSpec, ScriptSpec
from vrrplab.bundled.health import ScriptHealth, ScriptRun, ScriptStatus, tracked_priority
from vrrplab.bundled.log import JsonLog
from vrrplab.vrrp.events import Event, Fault, FaultCleared, PriorityChanged

Events = list[tuple[str, Event]]


@dataclass
class Script:
    """One vrrp_script: its schedule, its current run and keepalived's counter."""

    spec: ScriptSpec
    health: ScriptHealth
    next_at: float = float("inf")
    run: ScriptRun | None = None


class Tracker:
    def __init__(self, config: DaemonConfig, log: JsonLog) -> None:
        self.log = log
        self.instances = {spec.name: spec for spec in config.instances}
        self.effects = {spec.name: _effective_scripts(spec, config.scripts) for spec in config.instances}
        used = {name for names in self.effects.values() for name in names}
        self.scripts = {name: Script(spec, ScriptHealth(spec.rise, spec.fall))
                        for name, spec in config.scripts.items() if name in used}
        self.priorities = {spec.name: spec.router.priority for spec in config.instances}
        self.link_up = {device: True for spec in config.instances for device in spec.tracked_links}

    # -- links ------------------------------------------------------------------

    def start(self, now: float) -> Events:
        """Schedule the scripts' first runs; a link already down is a fault from the start."""
        for script in self.scripts.values():
            script.next_at = now
        for device in self.link_up:
            self.link_up[device] = True
        return self.check_links()

    def check_links(self) -> Events:
        """Re-read every tracked link (after a netlink notification)."""
        events: Events = []
        for device, was_up in self.link_up.items():
            up = net.link_is_up(device)
            if up == was_up:
                continue
            self.link_up[device] = up
            self.log.emit("link", interface=device, up=up, msg=f"Netlink reports {device} {'up' if up else 'down'}")
            event = FaultCleared(f"interface {device}") if up else Fault(f"interface {device}")
            events += [(name, event) for name, spec in self.instances.items() if device in spec.tracked_links]
        return events

    # -- scripts -----------------------------------------------------------------

    @property
    def runs(self) -> list[ScriptRun]:
        return [s.run for s in self.scripts.values() if s.run is not None]

    def next_deadline(self) -> float | None:
        deadlines = [s.run.deadline if s.run else s.next_at for s in self.scripts.values()]
        return min(deadlines, default=None)

    def run_due(self, now: float) -> Events:
        """Start the runs that are due, time out the ones that overran."""
        events: Events = []
        for name, script in self.scripts.items():
            if script.run is not None:
                if now >= script.run.deadline:  # keepalived: a timed-out script has failed
                    script.run.kill()
                    events += self.script_result(name, False, None, "timed_out")
            elif now >= script.next_at:
                script.next_at = now + script.spec.interval
                script.run = ScriptRun(script.spec.script, now + script.spec.timeout)
        return events

    def finished(self, run: ScriptRun) -> Events:
        """A run's pidfd turned readable: count its exit status."""
        name = next(n for n, s in self.scripts.items() if s.run is run)
        status = run.finished()
        return [] if status is None else self.script_result(name, status == 0, status)

    def script_result(self, name: str, success: bool, status: int | None = None, word: str | None = None) -> Events:
        """One run of script `name` ended (exit `status`; None when it timed out)."""
        script = self.scripts[name]
        if script.run is not None:
            script.run.close()
            script.run = None
        changed = script.health.record(success)
        if changed is None:
            return []
        self.log.emit("script", name=name, status=changed.value, result=status,
                      msg=f"VRRP_Script({name}) {word or ('succeeded' if success else 'failed')}")
        return [pair for inst, names in self.effects.items() if name in names
                for pair in self._apply(inst, script)]

    def _apply(self, instance: str, script: Script) -> Events:
        if script.spec.weight == 0:
            source = f"script {script.spec.name}"
            failing = script.health.status is ScriptStatus.FAILING
            return [(instance, Fault(source) if failing else FaultCleared(source))]
        weighted = [(self.scripts[s].spec.weight, self.scripts[s].health.status)
                    for s in self.effects[instance] if self.scripts[s].spec.weight]
        base = self.instances[instance].router.priority
        old, new = self.priorities[instance], tracked_priority(base, weighted)
        if new == old:
            return []
        self.priorities[instance] = new
        self.log.emit("priority", instance=instance, priority=new, base=base,
                      msg=f"({instance}) Changing effective priority from {old} to {new}")
        return [(instance, PriorityChanged(new))]

    def stop(self) -> None:
        for script in self.scripts.values():
            if script.run is not None:
                script.run.kill()
                script.run.close()
                script.run = None


def _effective_scripts(spec: InstanceSpec, scripts: dict[str, ScriptSpec]) -> list[str]:
    """The scripts that move this instance: all it tracks, but no weights on an address owner."""
    return [s for s in spec.track_scripts if not (scripts[s].weight and spec.router.owner)]
