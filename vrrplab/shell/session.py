"""The lab behind `vrrplab shell`: built, driven by the prompt's commands, torn down.

Runs inside the private namespace (`launch.shell_here`). It builds the lab as the runner
does (`Lab.start`, then `runner.prepare_speakers` and `runner.start_speaker` for each
router), waits until every VRRP instance has a master, and tears everything down with
`runner.teardown`: background jobs, the client's probes, the faults undone newest first,
the speakers, the lab. The faults are `faults.actions`' own (crash, link, freeze, thaw),
each applied as a one-off `Fault`; the service commands call the router's `Speaker`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from vrrplab.analysis.metrics import DELAYED_S, data_impact
from vrrplab.faults.actions import ACTIONS, FaultContext
from vrrplab.faults.files import RUN_DIR
from vrrplab.i18n import N_, Message, _, number
from vrrplab.lab.network import Lab
from vrrplab.lab.wait import WaitTimeout, wait_until
from vrrplab.loader.model import Fault, Scenario
from vrrplab.run.probe import read_probe_log
from vrrplab.run.probes import Probers
from vrrplab.run.runner import prepare_speakers, start_speaker, teardown
from vrrplab.shell.commands import ShellError
from vrrplab.shell.jobs import Jobs, Terminal
from vrrplab.vrrp import bounds

# `measure`: a probe sent this close to the stop may still have its reply on the way
IN_FLIGHT_S = 0.1


class Session:
    """One shell's lab: its nodes, its routers' speakers, what the prompt did to them."""

    def __init__(self, scenario: Scenario, speaker: str, out: Path, terminal: Terminal,
                 say: Callable[[str], None]):
        self.scenario = scenario
        self.topology = scenario.topology
        self.choice = speaker
        self.out = out
        self.say = say
        self.lab = Lab(self.topology, writable=(Path(out).resolve(),))
        self.speakers: dict = {}
        self.context = FaultContext(self.lab, self.topology, self.speakers, out)
        self.undos: list[Callable[[], None]] = []  # each fault's, newest last
        self.frozen: set[str] = set()
        self.started: dict[str, float] = {}  # router -> when its daemon last started
        self.jobs = Jobs(self.lab, terminal)
        self.probers: Probers | None = None

    # -- life ------------------------------------------------------------------

    def build(self) -> None:
        """The lab, a speaker on every router, and a master for every instance."""
        self.out.mkdir(parents=True, exist_ok=True)
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        self.say(_("building lab {name} ({n} nodes)").format(name=self.topology.name,
                                                             n=len(self.topology.nodes)))
        self.lab.start()
        prepare_speakers(self.speakers, self.lab, self.topology, self.choice, self.out, RUN_DIR)
        for name, speaker in self.speakers.items():
            self._start(name)
        vrrp = self.topology.vrrp
        timeout = bounds.start_deadline_s(max(vrrp.master_down_interval(r.name)
                                              for r in self.topology.routers)) + vrrp.preempt_delay
        try:
            took = wait_until(self._every_instance_has_a_master, timeout,
                              Message(N_("every VRRP instance to have a master")))
            self.say(_("the lab is ready: {masters} ({took} s)").format(
                masters=self.masters_text(), took=number(took, 1)))
        except WaitTimeout as exc:  # a lab without a master is a lesson too: say it, go on
            self.say(_("warning: {error}").format(error=exc.localized()))

    def _every_instance_has_a_master(self) -> bool:
        return all(any(s.state(i.name) == "MASTER" for s in self.speakers.values())
                   for i in self.topology.vrrp.instances)

    def masters_text(self) -> str:
        """`r1 MASTER of VI_LAN, VI_UP`: who is master of what now."""
        by_router: dict[str, list[str]] = {}
        for inst in self.topology.vrrp.instances:
            for router, speaker in self.speakers.items():
                if speaker.state(inst.name) == "MASTER":
                    by_router.setdefault(router, []).append(inst.name)
        if not by_router:
            return _("no router is MASTER")
        return "; ".join(_("{router} MASTER of {instances}").format(
            router=r, instances=", ".join(i)) for r, i in by_router.items())

    def close(self) -> list[str]:
        """Take everything down, each step on its own (`runner.teardown`); what failed."""
        steps = [self.jobs.stop_all, self._stop_probes]
        steps += [self._thaw_all] + list(reversed(self.undos))
        steps += [s.stop for s in self.speakers.values()]
        steps += [self.lab.stop]
        errors, _interrupted = teardown(steps)
        return errors

    # -- the routers' daemons (systemctl) --------------------------------------

    def _start(self, router: str) -> None:
        start_speaker(router, self.speakers[router], self.say)
        self.started[router] = time.time()

    def service(self, router: str, action: str) -> None:
        """`systemctl start|stop|restart` on the router's daemon, as systemd would."""
        speaker = self.speakers[router]
        if action in ("stop", "restart"):
            self.thaw(router)  # a frozen daemon cannot hear SIGTERM
            speaker.stop()
        if action in ("start", "restart") and not speaker.running:
            self._start(router)

    # -- faults ------------------------------------------------------------------

    def _fault(self, kind: str, target: str, interface: str | None = None) -> None:
        fault = Fault(name=f"shell {kind} {target}", kind=kind, target=target,
                      expect_master=None, interface=interface)
        _at, undo = ACTIONS[kind](self.context, fault)
        self.undos.append(undo)

    def crash(self, router: str) -> None:
        self.frozen.discard(router)
        self._fault("crash", router)

    def link(self, node: str, interface: str, up: bool) -> None:
        self._fault("link_up" if up else "link_down", node, interface)

    def freeze(self, router: str) -> None:
        if not self.speakers[router].running:
            raise ShellError(N_("{router}: its VRRP daemon is not running"), router=router)
        self._fault("freeze", router)
        self.frozen.add(router)

    def thaw(self, router: str) -> None:
        if router in self.frozen:
            self._fault("thaw", router)
            self.frozen.discard(router)

    def _thaw_all(self) -> None:
        for router in list(self.frozen):
            self.thaw(router)

    # -- measure ---------------------------------------------------------------

    @property
    def measuring(self) -> bool:
        return self.probers is not None

    def start_probes(self) -> None:
        self.probers = Probers(self.lab, self.scenario, self.out, self.scenario.probe.interval)
        self.probers.start()

    def _stop_probes(self) -> None:
        if self.probers is not None:
            self.probers.stop()

    def stop_probes(self) -> list[str]:
        """Stop the client's probes; per client and target, what it saw (lines to show)."""
        probers, self.probers = self.probers, None
        probers.stop()
        lines = []
        for client, log, targets in probers.logs():
            for target, trace in read_probe_log(log, targets).items():
                if not trace.sent:
                    continue
                end = trace.sent[-1] - IN_FLIGHT_S
                impact = data_impact(trace.sent, trace.recv, trace.sent[0], end)
                counted = sum(1 for s in trace.sent if s < end)
                gap = (_("longest gap between replies {gap} s").format(
                    gap=number(impact.data_gap_s, 3)) if impact.data_gap_s is not None
                       else _("no reply"))
                lines.append(_("{client} -> {target}: {sent} probes, {lost} lost, {late} "
                               "answered late (over {late_s} s); {gap}").format(
                    client=client, target=target, sent=counted, lost=impact.lost_probes,
                    late=impact.delayed_probes, late_s=number(DELAYED_S), gap=gap))
        return lines
