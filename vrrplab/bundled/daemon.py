"""The bundled speaker's process: one per router, driving `vrrplab.vrrp` over real sockets.

`main(config_path)` is what `vrrplab speaker --config FILE` runs (`--check` runs
`check.check` instead, which only validates, like `keepalived -t`: exit 0, or the
problems on stderr and exit 1): `Daemon.run()`:

1. one `VirtualRouter` per instance (members of the sync group in a
   `SyncGroup`), the VMACs if any, one raw VRRP socket per device (interface
   or VMAC), an rtnetlink socket for link events, pyroute2 loading in the
   background (`links`);
2. a link that is down already is a `Fault` before `Startup` (keepalived tracks
   an instance's own interface, and `track_interface`s);
3. the loop: `select` on every socket, the signal wake-up fd and running check
   scripts, with the timeout of the nearest deadline among the machines'
   `get_timer()`, the second gratuitous-ARP bursts and the scripts' schedules,
   all on `time.monotonic()` (the machines' deadlines kept as they move,
   `deadlines.Deadlines`, set after every call into a machine: a wake-up finds
   the nearest without asking each one, whether 1 VRID or 255). No sleeps: a
   received advert is handled when it arrives, a timer when it is due. Packets
   are handled before timers, so an advert that arrived in time resets
   Master_Down_Timer even if the timer is due by the time it is read: before a
   due timer runs, the sockets are polled once more. A received advert counts from the kernel's receive stamp
   (`net.Datagram.stamp`, on the monotonic clock through one offset), not from
   when Python read it (RFC 5798 §6.4.2: the timers restart on receipt);
   without a stamp, from the clock after `select`. `select`'s timeout is cut
   short by the slack Linux allows itself (`select_timeout`): a wait of 3.6 s
   may otherwise end up to 3.6 ms late (timeout/1000, /200 for a niced task),
   which was most of this speaker's lateness after silence;
4. SIGTERM/SIGINT: `Shutdown` to every instance (a master sends its
   priority-0 advert, RFC 5798 §6.4.3 (605)-(620), then drops its VIPs), the
   VMACs are deleted, exit 0. SIGKILL leaves everything as it was, like a crash.

IPv6 instances (VRRPv3, RFC 5798 §5.1.2) get a `Vrrp6Socket` (one per device
and family) and send unsolicited Neighbor Advertisements where IPv4 sends
gratuitous ARP, with the same repeats. Before the loop, `main` waits (up to
LINK_LOCAL_WAIT_S) for each IPv6 instance's advert source (§5.1.2.1) to be
usable: its link-local `primary_ip`, or for a global one the interface's
link-local address, which takes its place.

The state machine's initial-state hint (`state MASTER`) is logged and not
acted on: keepalived 2.2.7 also waits for Master_Down_Interval either way.
Gratuitous ARP follows keepalived's defaults (`garp_master_repeat 5`,
`garp_master_delay 5`): five at once on becoming MASTER, five more 5 s later.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from ipaddress import IPv4Interface, ip_address
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from vrrplab import __version__
from vrrplab.bundled.config import (
    ConfigProblem,
    DaemonConfig,
    InstanceSpec,
    with_link_local_sources,
)
from vrrplab.bundled.check import load_checked, say_no_config
from vrrplab.bundled.deadlines import Deadlines
from vrrplab.bundled.health import ScriptRun
from vrrplab.bundled.links import Links, LinksError, Vmac
from vrrplab.bundled.log import JsonLog, state_message, state_name
from vrrplab.bundled.mistimed import make_router
from vrrplab.bundled.net import (
    ArpSocket,
    Datagram,
    LinkMonitor,
    Vrrp6Socket,
    VrrpSocket,
    device_mac,
    link_local_addresses,
    packet_socket,
)
from vrrplab.bundled.tracking import Events, Tracker
from vrrplab.errors import EnvironmentProblem, InputError
from vrrplab.i18n import N_, Message
from vrrplab.linux import outside_lab_node
from vrrplab.vrrp.actions import (
    Action,
    AddVips,
    RemoveVips,
    SendAdvert,
    SendGratuitousArp,
    StateChanged,
)
from vrrplab.vrrp.events import Event, PacketReceived, Shutdown, Startup
from vrrplab.vrrp.machine import State, VirtualRouter
from vrrplab.vrrp.packet import encode
from vrrplab.vrrp.sync import SyncGroup
from vrrplab.vrrp.timers import master_down_interval

GARP_MASTER_REPEAT = 5  # keepalived's garp_master_repeat default
GARP_PENDING_MAX = 16  # second bursts queued at most (a zero storm queues ~8 in 5 s)
GARP_MASTER_DELAY_S = 5.0  # keepalived's garp_master_delay default: the second burst
DROP_LOG_INTERVAL_S = 1.0  # at most one drop line per instance and reason per second
# below this Master_Down_Interval, netlink (pyroute2's 0.2 s import, up to 0.4 s on a busy
# machine) is made ready before Startup rather than during the first wait
NETLINK_FIRST_BELOW_S = 1.0
LINK_LOCAL_WAIT_S = 5.0  # DAD of a fresh link-local address takes about 1 s (RFC 4862 §5.4)
DROP_WORDS = {"auth_failed": "received an invalid passwd!"}  # keepalived 2.2.7's own words
# Linux ends a select() up to timeout/1000 late (timeout/200 for a niced task, at most 0.1 s;
# fs/select.c select_estimate_accuracy), at least the task's timer slack (50 us): a long
# wait asks for that much less, then a short one (below EXACT_WAIT_S) reaches the deadline
SELECT_SLACK_DIVISOR = 200
EXACT_WAIT_S = 0.01
# a receive stamp older than this (or in the future) is not believed: the realtime clock
# stepped between the packet's arrival and its reading; the daemon's clock stands in
STAMP_MAX_AGE_S = 1.0

Tagged = list[tuple[str, Action]]


class Unit(Protocol):
    """A `SyncGroup`, or one lone `VirtualRouter` behind the same interface (`Solo`)."""

    members: dict[str, VirtualRouter]

    def handle(self, name: str, event: Event, now: float) -> Tagged: ...
    def get_timer(self) -> float | None: ...
    def handle_timer(self, now: float) -> Tagged: ...


class Solo:
    """An instance outside any sync group, speaking `SyncGroup`'s tagged interface."""

    def __init__(self, name: str, router: VirtualRouter) -> None:
        self.name = name
        self.router = router
        self.members = {name: router}

    def handle(self, name: str, event: Event, now: float) -> Tagged:
        return [(self.name, a) for a in self.router.handle(event, now)]

    def get_timer(self) -> float | None:
        return self.router.get_timer()

    def handle_timer(self, now: float) -> Tagged:
        return [(self.name, a) for a in self.router.handle_timer(now)]


@dataclass
class Instance:
    """One instance at run time: its machine, its sockets, its counters."""

    spec: InstanceSpec
    router: VirtualRouter
    sock: VrrpSocket | Vrrp6Socket | None = None  # its device's, shared with the other instances there
    arp: ArpSocket | None = None
    garp_due: list[float] = field(default_factory=list)  # the second bursts, one per first
    counters: Counter = field(default_factory=Counter)
    drop_logged: dict[str, float] = field(default_factory=dict)
    heard: float | None = None  # when its last advert arrived (the daemon's clock)


def grown(counts: Counter, before: dict) -> list:
    """The keys of `counts` whose count went up since `before` (a copy), in `counts`' order:
    what `counts - Counter(before)` keeps, without building two Counters per advert."""
    return [key for key, count in counts.items() if count > before.get(key, 0)]


def select_timeout(remaining: float) -> float:
    """The `select` timeout for a deadline `remaining` seconds away that the kernel's slack
    cannot push past it: the whole wait when short (the slack is then the timer slack,
    50 us), else less by the most slack Linux could add (the loop then waits the rest)."""
    if remaining <= EXACT_WAIT_S:
        return max(0.0, remaining)
    return remaining - remaining / SELECT_SLACK_DIVISOR


class Daemon:
    """The event loop; `run()` returns the exit code."""

    def __init__(self, config: DaemonConfig, log: JsonLog, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.config = config
        self.log = log
        self.clock = clock
        self.wall = wall  # the kernel's receive stamps and the log are on this clock
        self.instances = {spec.name: Instance(spec, make_router(spec.router, config.test_mistime))
                          for spec in config.instances}
        # who hears a datagram: one lookup per advert (a scan of every instance cost 255
        # VRIDs' backup 40 % of a core at 0.1 s); the first instance of a key, as the scan did
        self.heard_by: dict[tuple[str, int, int], Instance] = {}
        for inst in self.instances.values():
            self.heard_by.setdefault((inst.spec.device, inst.spec.vrid, inst.spec.family), inst)
        self.units = self._units()
        self.unit_no = {name: number for number, unit in enumerate(self.units) for name in unit.members}
        # every deadline, kept as it moves (`_ran`): a wake-up finds the nearest without
        # asking each machine (the machines' and the second gARP bursts, by instance)
        self.timers: Deadlines[str] = Deadlines()
        self.garps: Deadlines[str] = Deadlines()
        self.instance_no = {name: number for number, name in enumerate(self.instances)}
        self.tracker = Tracker(config, log)
        self.links = Links(self._stale_vips(), self._vmacs())
        self.sockets: dict[tuple[str, int], VrrpSocket | Vrrp6Socket] = {}  # (device, family) -> socket
        self.packets: socket.socket | None = None  # every ArpSocket's, made at the first gARP
        self.monitor: LinkMonitor | None = None
        self.unmatched: Counter = Counter()  # adverts for a VRID no instance has, per interface
        self.unmatched_logged: dict[str, float] = {}
        self.stop_reason: str | None = None
        self._links_noted = False
        self._wake_r: socket.socket | None = None  # signal wake-up, made by `run`
        self._wake_w: socket.socket | None = None

    # -- set-up ---------------------------------------------------------------

    def _units(self) -> list[Unit]:
        members = self.config.sync_members
        units: list[Unit] = []
        if members:
            units.append(SyncGroup({name: self.instances[name].router for name in members}))
        units += [Solo(name, inst.router) for name, inst in self.instances.items() if name not in members]
        return units

    def _stale_vips(self) -> dict[str, tuple[IPv4Interface, ...]]:
        stale: dict[str, tuple[IPv4Interface, ...]] = {}
        for spec in self.config.instances:
            if not spec.use_vmac:  # a VMAC is recreated, its addresses go with it
                stale[spec.interface] = stale.get(spec.interface, ()) + spec.vips
        return stale

    def _vmacs(self) -> tuple[Vmac, ...]:
        return tuple(Vmac(s.vmac_name, s.interface, s.vmac_address) for s in self.config.instances if s.use_vmac)

    def _open(self) -> None:
        """VMACs first (the instance listens there), netlink ready, then one socket per device.

        Netlink (pyroute2's 0.2 s import, on a thread) must be ready before this router
        can become master: a master that stalled on its first AddVips would stop
        advertising, and at 0.01 s adverts the backup (Master_Down_Interval 36 ms) took
        the role back, then lost it again (changes of master, the client's ARP entry left
        on the wrong router). When a Master_Down_Interval is that short, it is waited for
        before any socket opens and before Startup (no stale advert queued); with longer
        timers the import finishes during the first Master_Down_Interval, as before.
        """
        self.links.create_vmacs()
        for note in self.links.notes:
            self.log.emit("links", msg=note)
        self.links.notes = []
        self.links.on_prepared = self._wake
        self.links.start()
        if min(master_down_interval(s.router.priority, s.router.advertisement_interval,
                                    s.router.version) for s in self.config.instances) \
                < NETLINK_FIRST_BELOW_S:
            self.links.wait()
            self._note_links_prepared()
        for spec in self.config.instances:
            key = (spec.device, spec.family)
            if key not in self.sockets:
                kind = Vrrp6Socket if spec.family == 6 else VrrpSocket
                self.sockets[key] = kind(spec.device, spec.router.primary_ip)
            self.instances[spec.name].sock = self.sockets[key]
        self.monitor = LinkMonitor()

    # -- the run ----------------------------------------------------------------

    def run(self) -> int:
        previous = self._install_signals()
        code = 0
        try:
            self._log_start()
            self._open()
            wall, now = time.time(), self.clock()  # the instant its timers count from
            self.startup(now)
            self.log.emit("listening", at=round(wall, 6),
                          msg="sockets open, Startup: the timers count from `at`")
            self._loop()
        except Exception as exc:  # a bug or a lost device: say so, still leave the lab clean
            import traceback  # here: 2.5 ms of every start otherwise

            self.log.emit("error", msg=f"{type(exc).__name__}: {exc}",
                          trace=traceback.format_exc(limit=6).splitlines()[-6:])
            self.stop_reason = self.stop_reason or "error"
            code = 1
        finally:
            code = self.shutdown(self.clock()) or code
            self._restore_signals(previous)
        return code

    def _log_start(self) -> None:
        config = self.config
        self.log.emit("start", router=config.router, pid=os.getpid(), version=__version__,
                      instances=[{"name": s.name, "vrid": s.vrid, "interface": s.interface,
                                  "priority": s.router.priority, "state": s.state,
                                  "use_vmac": s.use_vmac} for s in config.instances],
                      sync_group=config.sync_group, warnings=list(config.warnings))
        for note in config.warnings:
            self.log.emit("warning", msg=note)
        if config.test_mistime:  # said in the log, so a report of a broken run shows why
            self.log.emit("warning", msg=f"test-only mistiming {config.test_mistime} active: "
                                         "this speaker is deliberately broken")

    def startup(self, now: float) -> None:
        """Links already down are faults first, so those instances start in FAULT."""
        self._feed_all(self.tracker.start(now), now)
        for number, unit in enumerate(self.units):
            for name in unit.members:
                self._execute(self._ran(number, (name,), unit.handle(name, Startup(), now)), now)

    def _loop(self) -> None:
        while self.stop_reason is None:
            self.run_timers()
            if self.links.error:
                raise LinksError(self.links.error)
            self._note_links_prepared()
            deadline = self.next_deadline()
            self._wait(None if deadline is None else select_timeout(deadline - self.clock()))

    def _wait(self, timeout: float | None) -> None:
        """One `select`, then whatever became readable."""
        readable, _, _ = select.select(self._fds(), [], [], timeout)
        now = self.clock()
        for source in readable:
            self._on_readable(source, now)

    def run_timers(self) -> None:
        """`run_due`, after reading what is queued if a timer is due: an advert that arrived
        before its Master_Down_Timer ran out resets it (RFC 5798 §6.4.2), even when the
        daemon gets to it late (its receive stamp says when it came)."""
        deadline = self.next_deadline()
        if deadline is not None and deadline <= self.clock():
            self._wait(0)
        self.run_due(self.clock())

    def _fds(self) -> list[Any]:
        fds: list[Any] = [self._wake_r, *self.sockets.values()]
        if self.monitor is not None:
            fds.append(self.monitor)
        return fds + self.tracker.runs

    def next_deadline(self) -> float | None:
        """The nearest deadline of anything, the `select` timeout; None when nothing waits."""
        deadlines = (self.timers.nearest(), self.garps.nearest(), self.tracker.next_deadline())
        return min((d for d in deadlines if d is not None), default=None)

    def run_due(self, now: float) -> None:
        """Run every timer that is due: the machines', the second GARP bursts, the scripts'."""
        due_by_unit: dict[int, list[str]] = {}
        for name in self.timers.pop_due(now):
            deadline = self.instances[name].router.get_timer()
            if deadline is None or deadline > now:  # moved without `_ran`: not due after all
                self.timers.set(name, deadline)
            else:
                due_by_unit.setdefault(self.unit_no[name], []).append(name)
        for number in sorted(due_by_unit):  # in the units' order, as configured
            names = due_by_unit[number]
            # a sync group moves when its last member's timer runs out: that one is `due`
            due = max(self.instances[name].router.get_timer() for name in names)
            self._execute(self._ran(number, names, self.units[number].handle_timer(now)), now, due=due)
        for name in sorted(self.garps.pop_due(now), key=self.instance_no.__getitem__):
            inst = self.instances[name]
            inst.garp_due = [t for t in inst.garp_due if t > now]
            self.garps.set(name, min(inst.garp_due, default=None))
            if inst.router.state is State.MASTER:
                self._garp(inst, inst.spec.router.vips, burst=2)
        self._feed_all(self.tracker.run_due(now), now)

    def _on_readable(self, source: Any, now: float) -> None:
        if source is self._wake_r:
            self._drain_wakeup()
        elif source is self.monitor:
            self.monitor.drain()
            self.check_links(now)
        elif isinstance(source, (VrrpSocket, Vrrp6Socket)):
            try:
                for datagram in source.receive_all():
                    self.on_datagram(source.device, datagram, self.arrival(datagram, now))
            except OSError as exc:  # a pending socket error is reported once; VRRP goes on
                self.log.emit("error", interface=source.device, msg=f"receiving on {source.device}: {exc}")
        elif isinstance(source, ScriptRun):
            self._feed_all(self.tracker.finished(source), now)

    # -- receiving ----------------------------------------------------------------

    def arrival(self, datagram: Datagram, now: float) -> float:
        """When `datagram` arrived, on the daemon's clock: the kernel's receive stamp moved
        over from the realtime clock by one offset read now, else `now` (no stamp, or one
        not to believe: older than STAMP_MAX_AGE_S or later than the clock)."""
        if datagram.stamp is None:
            return now
        current = self.clock()
        at = datagram.stamp - (self.wall() - current)
        return at if now - STAMP_MAX_AGE_S <= at <= current else now

    def on_datagram(self, device: str, datagram: Datagram, now: float) -> None:
        """One received VRRP datagram (`now`: when it arrived): to the instance of its VRID
        on that interface."""
        vrid = datagram.payload[1] if len(datagram.payload) >= 2 else None
        inst = self.heard_by.get((device, vrid, datagram.family))
        if inst is None:  # RFC 5798 §7.1: not ours (another VRID on this link)
            self.unmatched[device] += 1
            self._log_drop(None, device, "wrong_vrid", datagram.src, self.unmatched[device], now)
            return
        inst.counters["adverts_received"] += 1
        inst.heard = now
        router = inst.router
        before, warned = dict(router.drops), dict(router.warnings)  # plain copies: no Counter per advert
        was_backup = router.state is State.BACKUP
        event = PacketReceived(datagram.payload, datagram.src, datagram.dst, datagram.ttl)
        self._feed(inst.spec.name, event, now)
        dropped = grown(router.drops, before)
        for reason in dropped:
            self._log_drop(inst, device, reason, datagram.src, router.drops[reason], now)
        if was_backup and not dropped and datagram.payload[2:3] == b"\0":  # RFC 5798 §6.4.2 (425)
            name = inst.spec.name
            self.log.emit("advert", instance=name, priority=0, src=datagram.src, heard=self._unix(now),
                          msg=f"({name}) Backup received priority 0 advertisement")
        for reason in grown(router.warnings, warned):
            self._log_drop(inst, device, reason, datagram.src, router.warnings[reason], now,
                           event="warning")

    def _log_drop(self, inst: Instance | None, device: str, reason: str, src: str, count: int,
                  now: float, event: str = "drop") -> None:
        """RFC 5798 §7.1 "SHOULD log the event", without flooding: once a second per reason."""
        memo = inst.drop_logged if inst else self.unmatched_logged
        key = f"{event}:{reason}"
        if now - memo.get(key, float("-inf")) < DROP_LOG_INTERVAL_S:
            return
        memo[key] = now
        name = inst.spec.name if inst else None
        words = DROP_WORDS.get(str(reason), f"{'dropped' if event == 'drop' else 'accepted'} an advert "
                                            f"from {src}: {reason}")
        fields: dict[str, Any] = {"instance": name, "interface": device, "reason": str(reason), "src": src,
                                  "count": count, "msg": f"({name or device}) {words}"}
        if inst:
            fields["drops"] = {str(k): v for k, v in inst.router.drops.items()}
        self.log.emit(event, **fields)

    # -- events into the machines, actions out of them ----------------------------

    def _feed(self, name: str, event: Event, now: float) -> None:
        number = self.unit_no[name]
        self._execute(self._ran(number, (name,), self.units[number].handle(name, event, now)), now)

    def _ran(self, number: int, called: Iterable[str], tagged: Tagged) -> Tagged:
        """After every call into unit `number` for its members `called`: their timers may have
        moved (`timers`); when the call did anything (actions), a sync group's rules may have
        moved any member, so every member's is read again (a member the rules move changes
        state, so the actions say so; an advert a backup only hears moves its own timer)."""
        unit = self.units[number]
        for name in (unit.members if tagged else called):
            self.timers.set(name, unit.members[name].get_timer())
        return tagged

    def _feed_all(self, events: Events, now: float) -> None:
        for name, event in events:
            self._feed(name, event, now)

    def _execute(self, tagged: Tagged, now: float, due: float | None = None) -> None:
        """Perform the machines' actions: adverts first, then state notes, then addresses.

        An advert does not wait for netlink nor for the log: RFC 3768 §6.4.2 lists
        "Send an ADVERTISEMENT" first when Master_Down_Timer fires, and a stopping
        router's priority-0 adverts (one per instance) all leave before any VIP is
        removed, so every backup starts its Skew_Time at once. Gratuitous ARP keeps
        its place after the VIPs it announces. `due`: the timer's deadline when a
        timer caused these actions (logged with a change of state).
        """
        sends = [(n, a) for n, a in tagged if isinstance(a, SendAdvert)]
        notes = [(n, a) for n, a in tagged if isinstance(a, StateChanged)]
        rest = [(n, a) for n, a in tagged if not isinstance(a, (StateChanged, SendAdvert))]
        for name, action in sends + notes + rest:
            inst = self.instances[name]
            if isinstance(action, StateChanged):
                self._on_state(inst, action, now, due)
            elif isinstance(action, AddVips):
                self._vips(inst, action.vips, add=True)
            elif isinstance(action, RemoveVips):
                self._vips(inst, action.vips, add=False)
            elif isinstance(action, SendAdvert):
                self._send(inst, action)
            elif isinstance(action, SendGratuitousArp) and inst.router.state is State.MASTER:
                self._garp(inst, action.vips, burst=1)
                # every first burst has its own second one (keepalived queues them): a
                # master answering lower-priority adverts over and over keeps re-announcing
                if len(inst.garp_due) < GARP_PENDING_MAX:  # a flood must not amplify
                    inst.garp_due.append(now + GARP_MASTER_DELAY_S)
                    self.garps.set(name, min(inst.garp_due))

    def _on_state(self, inst: Instance, change: StateChanged, now: float, due: float | None) -> None:
        name = inst.spec.name
        if change.new is not State.MASTER:
            inst.garp_due.clear()
            self.garps.set(name, None)
        timing = {}
        if due is not None:  # where a timer's takeover went: heard -> due -> ran (unix times)
            timing = {"heard": self._unix(inst.heard), "due": self._unix(due), "ran": self._unix(now)}
        self.log.emit("state", instance=name, old=state_name(change.old), new=state_name(change.new),
                      reason=change.reason, **timing, msg=state_message(name, change.old, change.new))

    def _unix(self, instant: float | None) -> float | None:
        """An instant of the daemon's clock as unix time (the log's), six decimals."""
        return None if instant is None else round(instant + self.wall() - self.clock(), 6)

    def _vips(self, inst: Instance, addresses: tuple[str, ...], add: bool) -> None:
        spec = inst.spec
        vips = tuple(v for v in spec.vips if str(v.ip) in addresses)
        try:
            (self.links.add_vips if add else self.links.remove_vips)(spec.device, vips)
        except LinksError as exc:
            self.log.emit("error", instance=spec.name, msg=str(exc))
            return
        self.log.emit("vips", instance=spec.name, op="add" if add else "remove", device=spec.device,
                      vips=[str(v) for v in vips],
                      msg=f"({spec.name}) {'setting' if add else 'removing'} VIPs.")

    def _send(self, inst: Instance, action: SendAdvert) -> None:
        spec = inst.spec
        message = encode(action.advert, spec.router.primary_ip)
        try:
            inst.sock.send(message)
        except OSError as exc:  # e.g. the link went down under us
            inst.counters["send_errors"] += 1
            self.log.emit("error", instance=spec.name, msg=f"sending advert on {spec.device}: {exc}")
            return
        inst.counters["adverts_sent"] += 1
        if action.advert.priority == 0:
            inst.counters["priority0_sent"] += 1
            self.log.emit("advert", instance=spec.name, priority=0, msg=f"({spec.name}) sent 0 priority")

    def _garp(self, inst: Instance, addresses: tuple[str, ...], burst: int) -> None:
        device = inst.spec.device
        try:
            if inst.arp is None:
                if self.packets is None:
                    self.packets = packet_socket()
                inst.arp = ArpSocket(device, self.packets)
            mac = device_mac(device)
            for _ in range(GARP_MASTER_REPEAT):
                for address in addresses:
                    if inst.spec.family == 6:  # RFC 5798 §6.4.2: unsolicited NAs (counted as garp_sent)
                        inst.arp.send_na(address, inst.spec.router.primary_ip, mac)
                    else:
                        inst.arp.send_garp(address, mac)
                    inst.counters["garp_sent"] += 1
        except OSError as exc:
            what = "unsolicited NA" if inst.spec.family == 6 else "gratuitous ARP"
            self.log.emit("error", instance=inst.spec.name, msg=f"{what} on {device}: {exc}")
            return
        what = "Unsolicited Neighbour Adverts" if inst.spec.family == 6 else "gratuitous ARPs"  # keepalived's
        self.log.emit("garp", instance=inst.spec.name, device=device, vips=list(addresses),
                      count=GARP_MASTER_REPEAT, burst=burst,
                      msg=f"({inst.spec.name}) Sending/queueing {what} on {device} for "
                          f"{', '.join(addresses)}")

    # -- health tracking (see `tracking`) -----------------------------------------

    def check_links(self, now: float) -> None:
        """A netlink notification: re-read the tracked links, fault or clear instances."""
        self._feed_all(self.tracker.check_links(), now)

    def script_result(self, name: str, success: bool, now: float, status: int | None = None) -> None:
        """A check script's run ended (the tests call this directly)."""
        self._feed_all(self.tracker.script_result(name, success, status), now)

    # -- stopping ----------------------------------------------------------------

    def shutdown(self, now: float) -> int:
        """Shutdown every running instance, then release what the daemon made."""
        code = 0
        self.tracker.stop()
        try:
            goodbyes: Tagged = []
            for number, unit in enumerate(self.units):
                for name, router in unit.members.items():
                    if router.state is not State.INITIALIZE:
                        goodbyes += self._ran(number, (name,), unit.handle(name, Shutdown(), now))
            self._execute(goodbyes, now)
        except Exception as exc:
            self.log.emit("error", msg=f"shutdown: {type(exc).__name__}: {exc}")
            code = 1
        try:
            for note in self.links.close():
                self.log.emit("links", msg=note)
        except Exception as exc:
            self.log.emit("error", msg=f"netlink at exit: {type(exc).__name__}: {exc}")
            code = 1
        self._close_sockets()
        self.log.emit("stop", reason=self.stop_reason or "done", counters=self._counters())
        return code

    def _counters(self) -> dict[str, dict[str, Any]]:
        report = {}
        for name, inst in self.instances.items():
            report[name] = {**{k: inst.counters[k] for k in ("adverts_sent", "adverts_received",
                                                              "priority0_sent", "garp_sent", "send_errors")},
                            "drops": {str(k): v for k, v in inst.router.drops.items()},
                            "warnings": {str(k): v for k, v in inst.router.warnings.items()}}
        if self.unmatched:
            report["(unmatched)"] = dict(self.unmatched)
        return report

    def _close_sockets(self) -> None:
        closing = [*self.sockets.values(), self.monitor, self.packets]  # the ArpSockets' is one
        for sock in closing:
            if sock is not None:
                sock.close()

    # -- signals --------------------------------------------------------------------

    def _install_signals(self) -> dict[int, Any]:
        """SIGTERM/SIGINT set the stop reason and wake `select` through a socketpair."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._wake_r.setblocking(False)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[-1] = signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        signal.set_wakeup_fd(previous.pop(-1))
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        self._wake_r.close()
        self._wake_w.close()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stop_reason = signal.Signals(signum).name

    def _wake(self) -> None:
        """Wake `select` from another thread (the netlink start-up thread is done)."""
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"\0")
            except OSError:  # full (a wake-up is pending anyway) or closed
                pass

    def _drain_wakeup(self) -> None:
        try:
            while self._wake_r.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _note_links_prepared(self) -> None:
        """Once the start-up netlink thread is done: log what it did, open our own netlink
        socket now rather than on the first AddVips (a few ms nearer takeover)."""
        if self._links_noted or not self.links.prepared:
            return
        self._links_noted = True
        for note in self.links.notes:
            self.log.emit("links", msg=note)
        self.links.wait()


def wait_link_local(inst: InstanceSpec, timeout: float = LINK_LOCAL_WAIT_S) -> str | None:
    """The instance's advert source once DAD has passed it: its own `primary_ip` if that is
    link-local, else the device's first link-local address that is no VIP; None after `timeout`."""
    primary = inst.router.primary_ip
    wanted = primary if ip_address(primary).is_link_local else None
    exclude = frozenset(str(v.ip) for v in inst.vips) - {wanted}

    def usable() -> str | None:
        found = link_local_addresses(inst.device, exclude)
        return (wanted if wanted in found else None) if wanted else next(iter(found), None)

    deadline = time.monotonic() + timeout
    while (source := usable()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return source


def refuse_outside_lab() -> None:
    """Raise EnvironmentProblem (exit 3) unless this process is in a vrrplab lab node: the
    speaker adds VIPs and sends adverts where it runs, the host's namespace included."""
    problem = outside_lab_node("vrrplab speaker")
    if problem is not None:
        raise EnvironmentProblem(Message(N_("{problem} (--outside-lab runs it here anyway)"),
                                         problem=problem))


def main(config_path: Path) -> int:
    """`vrrplab speaker`: the exit code (0 ok, 1 config refused or the daemon failed, 2 the
    file is no config at all: unreadable, not JSON, another schema)."""
    log = JsonLog()
    try:
        config = with_link_local_sources(load_checked(config_path), wait_link_local)
    except InputError as exc:  # not a config at all (vrrplab.boundedio): one line, exit 2
        say_no_config(exc)
        log.emit("error", msg=str(exc))
        return exc.exit_code
    except ConfigProblem as exc:
        log.emit("error", msg=f"{config_path}: configuration refused", problems=exc.problems)
        return 1
    return Daemon(config, log).run()
