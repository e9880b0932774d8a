"""Run a scenario in a lab: build, converge, inject faults, observe, tear down.

The runner is the only place that sequences things. It owns the lab, the
speakers, the capture and the prober; each step of the scenario is one method.
Measurements stay raw until the end, where `results.build_results` turns them
into the results document. Everything this run starts is stopped in `finally`.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vrrplab.errors import LabError
from vrrplab.faults.actions import ACTIONS, FaultContext
from vrrplab.faults.catalogue import KINDS
from vrrplab.faults.files import RUN_DIR
from vrrplab.i18n import N_, Joined, Message, _, localized, ngettext, number
from vrrplab.lab import sandbox
from vrrplab.lab.network import Lab
from vrrplab.lab.process import stop_process
from vrrplab.lab.wait import WaitTimeout, wait_until
from vrrplab.loader.model import Fault, Scenario, Step
from vrrplab.run.capture import Capture
from vrrplab.run.latency import start_sampler
from vrrplab.run.observe import Observer, Snapshot
from vrrplab.run.pace import Pacer
from vrrplab.run.probes import Probers
from vrrplab.run.signals import Interrupted, checkpoint, installed
from vrrplab.speakers import SPEAKER_KINDS, kinds_for
from vrrplab.speakers.given import try_checks
from vrrplab.view.live import PlainView
from vrrplab.vrrp import bounds

SAMPLER_STOP_S = 5.0  # SIGTERM to exit; then SIGKILL
WARM_UP_WAIT_S = 10.0  # a fault waits this long at most for the report's imports


@dataclass
class FaultRecord:
    fault: Fault
    at: float  # unix time
    undo: Callable[[], None]
    master_wait_s: float | None = None
    error: str | None = None
    applied_at: float | None = None  # when the fault's own action returned
    spread_s: float | None = None  # the random wait before it (--spread-faults), else None
    log_offsets: dict[str, int] = field(default_factory=dict)  # router -> its log's size at `at`


@dataclass
class RunRecord:
    """Everything observed, raw; `results.build_results` reads it."""

    scenario: Scenario
    speakers: dict[str, str]  # router -> speaker kind
    probe_interval: float
    out: Path
    run_id: str
    t0: float
    end: float = 0.0
    phases_end: float | None = None  # teardown's start: the last phase's window ends there
    # when each stage of the run ended (analysis/results.STAGES names them): where the
    # wall time goes, apart from what the scenario itself waits for
    marks: dict[str, float] = field(default_factory=dict)
    probe_start: float | None = None
    probe_end: float | None = None
    faults: list[FaultRecord] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # per phase (converge, then each fault): each router's state changes logged in it
    phase_evidence: list[dict] = field(default_factory=list)
    config_warnings: dict[str, list[str]] = field(default_factory=dict)
    auth_evidence: dict[str, str | None] = field(default_factory=dict)
    cpu_s: dict[str, float | None] = field(default_factory=dict)  # daemon CPU at teardown
    # each daemon's CPU and memory once the first masters are up, and at the end of the
    # steps: {router: {"converged": {t, cpu_s, rss_kib}, "end": {...}}} (steady-state cost)
    usage: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)  # router -> "keepalived 2.2.7"
    logs: dict[str, str] = field(default_factory=dict)
    checks_tried: list[dict] = field(default_factory=list)  # run --config: speakers/given
    interrupted: bool = False
    signal: int | None = None  # the stop signal that interrupted the run (run/signals)


class Runner:
    def __init__(self, scenario: Scenario, speaker: str, out: Path, run_id: str,
                 probe_interval: float | None = None, view: PlainView | None = None,
                 spread_faults: bool = False, pace: bool = False):
        self.scenario = scenario
        self.topology = scenario.topology
        self.out = out
        self.view = view or PlainView()  # what a person sees while it runs
        self.say = self.view.event
        # the routers see the host's files read-only, but for the run's folder; the files
        # given with --config stay visible where they are (perhaps in a hidden home)
        self.lab = Lab(self.topology, writable=(Path(out).resolve(),),
                       readable=scenario.given.read_files if scenario.given else (),
                       placed=scenario.given.placed(Path(out).resolve())
                       if scenario.given else None)
        self.rundir = RUN_DIR  # a tmpfs private to the run's namespace
        self.speakers = {}
        self.kinds = kinds_for(speaker, [r.name for r in self.topology.routers])
        self.capture: Capture | None = None
        self.member_captures: list[Capture] = []  # sync group members' segments
        self.sampler: subprocess.Popen | None = None  # the scheduling-latency sampler
        self._phase_ends: dict[str, int] = {}  # each router's log size when teardown began
        self.expected: dict[str, str] = {}  # instance -> the router that must be MASTER of it
        self.record = RunRecord(scenario, self.kinds, probe_interval or scenario.probe.interval,
                                out, run_id, t0=time.time())
        self.observer = Observer(self.lab, scenario, self.speakers)
        self.probers = Probers(self.lab, scenario, out, self.record.probe_interval)
        self.fault_context = FaultContext(self.lab, self.topology, self.speakers, out)
        self._speaker_choice = speaker
        # a random wait (up to one advert interval) before each fault, so that repeated runs
        # land faults at every phase of the master's advert timer (benchmarks: medians)
        self.spread_faults = spread_faults
        self.pace = pace  # --pace: the class predicts, then Enter runs each step
        self.pacer: Pacer | None = None
        self._evidence_at: float | None = None  # monotonic: the last step's evidence seen
        self._warming: threading.Thread | None = None  # warm_up_analysis's imports

    # -- the run ------------------------------------------------------------

    def run(self) -> RunRecord:
        with installed() as guard:
            try:
                with guard.raising():
                    if guard.received:  # it came before the run began
                        raise Interrupted(guard.received)
                    self._build()
                    for step in self.scenario.steps:
                        if self.pacer:
                            self.pacer.before(step)
                        self._do(step)
            except (KeyboardInterrupt, Interrupted) as exc:
                self.record.interrupted = True
                self.record.signal = guard.received or getattr(exc, "signum", None)
                self.say(_("interrupted: tearing the lab down"))
            except LabError as exc:
                self.record.errors.append(str(exc))  # results.json: English
                self.say(_("error: {error}").format(error=localized(exc)))
            finally:
                with guard.deferred():  # a second signal must not cut the teardown short
                    self._teardown()
        return self.record

    def _build(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.rundir.mkdir(parents=True, exist_ok=True)
        if self.scenario.given:
            self.scenario.given.copy_into(self.out)
        self.say(_("building lab {name} ({n} nodes)").format(name=self.topology.name,
                                                             n=len(self.topology.nodes)))
        self.lab.start()
        self._mark("lab_built")
        checkpoint("build", self.out)
        prepare_speakers(self.speakers, self.lab, self.topology, self._speaker_choice,
                         self.out, self.rundir, self.scenario.given)
        if self.scenario.given:
            self.record.checks_tried = try_checks(self.lab, self.scenario.given)
        client = self.topology.node(self.scenario.probe.source)
        lan_if = client.interface_on(self.topology.segment_of(
            self.topology.routers[0].name, self.topology.lan_instance().interface))
        self.capture = Capture(self.lab, client.name, lan_if.name, self.out / "capture.pcap")
        self.capture.start()
        if self.pace:
            self.pacer = Pacer(self.view, self.topology, self.capture.pcap)
        self._start_member_captures()
        self.sampler = start_sampler(self.out)
        self.view.attach(self.topology, self.speakers, self.probers.logs(), self.record.t0)
        for name, speaker in self.speakers.items():
            start_speaker(name, speaker, self.say)
        self._mark("speakers_up")
        self._warming = warm_up_analysis()

    def _mark(self, stage: str) -> None:
        self.record.marks.setdefault(stage, time.time())  # the first time it is reached

    def _do(self, step: Step) -> None:
        if step.action == "wait_master":
            self._expect(step.router)
            for instance, router in step.masters:
                self._expect(router, (instance,))
            self._wait_masters(max(self._startup_timeout(r) for r in set(self.expected.values())))
            self._converged()
            self._snapshot("converge", self.expected[self.topology.lan_instance().name])
        elif step.action == "wait_masters":
            first = step.routers[0]
            wait_until(lambda: all(self.observer.is_master(r) for r in step.routers) and
                       self.observer.hold_vip(step.routers), self._startup_timeout(first),
                       Message(N_("{routers} to be MASTER at once"),
                               routers=Joined(Message(N_(" and ")), step.routers)))
            self.say(_("{routers} are all MASTER").format(routers=_and(step.routers)))
            self._converged()
            self._snapshot("converge", first, step.routers)
        elif step.action == "hold":
            self._start_probes()
            left = self._hold_left(step.seconds)
            self.view.step(_("holding {seconds} s: the lab as it is").format(
                seconds=number(step.seconds)), left)
            time.sleep(left)
        elif step.action == "fault":
            self._start_probes()
            self._inject(step.fault)

    # -- steps ----------------------------------------------------------------

    def _converged(self) -> None:
        """The first masters are up: start the client's probes, wait for their replies
        (the client's ARP entry for the VIP settled)."""
        self._mark("first_master")
        self._sample_usage("converged")
        self._start_probes()
        self._mark("probes_started")
        self._wait_recovered(self.record.probe_start)
        self._mark("arp_settled")

    def _startup_timeout(self, router: str) -> float:
        # a router that lost the first election preempts only after its preempt_delay
        return (bounds.start_deadline_s(self.topology.vrrp.master_down_interval(router))
                + self.topology.vrrp.preempt_delay)

    def _expect(self, router: str | None, instances: tuple[str, ...] = ()) -> None:
        """From now on `router` must be MASTER of these instances (default: all)."""
        for name in instances or [i.name for i in self.topology.vrrp.instances]:
            if router is None:
                self.expected.pop(name, None)
            else:
                self.expected[name] = router

    def _expected_by_router(self) -> dict[str, list[str]]:
        by_router: dict[str, list[str]] = {}
        for instance, router in self.expected.items():
            by_router.setdefault(router, []).append(instance)
        return by_router

    def _masters_as_expected(self) -> bool:
        return all(self.observer.is_master(r, tuple(i)) for r, i in self._expected_by_router().items())

    def _describe_expected(self) -> Message:
        by_router = self._expected_by_router()
        if len(by_router) == 1:
            return Message(N_("{router} to be MASTER with every VIP"), router=next(iter(by_router)))
        return Joined("; ", [Message(N_("{router} to be MASTER of {instances}"), router=r,
                                     instances=", ".join(i)) for r, i in by_router.items()])

    def _wait_masters(self, timeout: float, holders: tuple[str, ...] | None = None,
                      instance: str | None = None) -> float:
        """Wait for every expected master (and the VIP of `instance` on exactly `holders`)."""
        what = self._describe_expected()
        if holders is not None:
            what = Message(N_("{what}, the VIP on {holders}"), what=what, holders=", ".join(holders))
        took = wait_until(lambda: self._masters_as_expected() and
                          (holders is None or self.observer.hold_vip(holders, instance)), timeout, what)
        masters = sorted(set(self.expected.values()))
        self.say(ngettext("{routers} is MASTER as expected ({took} s)",
                          "{routers} are MASTER as expected ({took} s)", len(masters))
                 .format(routers=_and(masters), took=number(took, 3)))
        return took

    def _wait_recovered(self, since: float, cut: frozenset[str] = frozenset()) -> None:
        wait_until(lambda: self.probers.answered_since(since, cut), bounds.RECOVERY_ALLOWANCE_S,
                   Message(N_("the client's probes to be answered again")))

    def _cut_targets(self, fault: Fault) -> frozenset[str]:
        """Targets that stay unreachable after this fault: the upstream hosts, when a router
        loses its upstream path and nothing fails over (it keeps forwarding into the cut)."""
        if not KINDS[fault.kind].cuts_upstream or fault.takeover:
            return frozenset()
        return frozenset(str(i.address.ip) for h in self.topology.upstream_hosts
                         for i in h.interfaces)

    def _inject(self, fault: Fault) -> None:
        if self._warming is not None:  # a fast scenario's first fault: the imports end first
            self._warming.join(WARM_UP_WAIT_S)
        to = _(" to {priority}").format(priority=fault.priority) if fault.priority else ""
        spread = random.uniform(0, self.topology.vrrp.advert_int) if self.spread_faults else None
        if spread:
            time.sleep(spread)
        self.say(_("fault {name}: {kind} {target}{to}").format(name=fault.name, kind=fault.kind,
                                                                target=fault.target, to=to))
        offsets = {r: s.log_size() for r, s in self.speakers.items()}
        at, undo = ACTIONS[fault.kind](self.fault_context, fault)
        record = FaultRecord(fault, at, undo, applied_at=time.time(), log_offsets=offsets,
                             spread_s=spread)
        self.record.faults.append(record)
        self.view.fault(fault, at)
        holders = fault.holders()
        checkpoint("fault", self.out)  # (a test's signal: the fault cut short)
        try:
            if fault.unstable:
                # elections over and over: no master to wait for; the checks count them
                self.say(_("repeated elections expected: not waiting for a master"))
            elif fault.expect_master is None:
                self._expect(None)
                record.master_wait_s = self._wait_no_master()
            else:
                record.master_wait_s = self._wait_expected(fault, holders)
                self._wait_recovered(at, self._cut_targets(fault))
        except WaitTimeout as exc:
            record.error = str(exc)  # results.json: English
            self._fault_snapshot(fault, holders)  # what the failed wait left: for the report
            raise
        self._fault_snapshot(fault, holders)  # (not when interrupted: teardown comes first)
        if self.pacer:
            self.pacer.after_fault(fault, at)

    def _fault_snapshot(self, fault: Fault, holders: tuple[str, ...]) -> None:
        lan = self.topology.lan_instance().name
        if self.topology.gateway_of(fault).name == lan or fault.expect_master is None:
            self._snapshot(fault.name, fault.expect_master, holders)
        else:  # the fault moved another gateway: the main one keeps its master
            self._snapshot(fault.name, self.expected.get(lan))

    def _wait_expected(self, fault: Fault, holders: tuple[str, ...]) -> float:
        self._expect(fault.expect_master, fault.instances)
        timeout = self._startup_timeout(fault.expect_master)
        return self._wait_masters(timeout, holders, self.topology.gateway_of(fault).name)

    def _wait_no_master(self) -> float:
        """A forged master silenced every router: none MASTER, the VIP on none.

        The client's probes are not waited for: they have no gateway now.
        """
        # the attacker already forges; a master steps down at its first forged advert
        timeout = bounds.step_down_deadline_s(self.topology.vrrp.advert_int)
        took = wait_until(
            lambda: self.observer.nobody_master() and self.observer.hold_vip(()), timeout,
            Message(N_("every router to step down (none MASTER, the VIP on none)")))
        self.say(_("no router is MASTER, the VIP is on none ({took} s)").format(
            took=number(took, 3)))
        return took

    def _hold_left(self, seconds: float) -> float:
        """A hold right after a step counts from that step's evidence (its masters seen, the
        client's probes answered): the snapshot taken since (a few shell commands, and the
        wait for the client's ARP entry to settle: median ~0.05 s, up to ARP_SETTLE_S) is
        part of the hold, not added to the run's time. The lab is still held as it is for
        the hold's seconds after that evidence."""
        since, self._evidence_at = self._evidence_at, None
        if since is None or self.pacer:  # paced, the class took its time: the hold is whole
            return seconds
        return max(0.0, seconds - (time.monotonic() - since))

    def _snapshot(self, label: str, expected_master: str | None,
                  holders: tuple[str, ...] | None = None) -> None:
        self._evidence_at = time.monotonic()  # a snapshot follows a step's evidence
        self.record.snapshots.append(
            self.observer.snapshot(label, expected_master, holders, self.expected))

    def _start_probes(self) -> None:
        if not self.probers.processes:
            self.probers.start()
            self.record.probe_start = self.probers.started_at

    def _stop_probes(self) -> None:
        self.probers.stop()
        self.record.probe_end = self.probers.stopped_at or self.record.probe_end

    # -- teardown -----------------------------------------------------------

    def _teardown(self) -> None:
        """Stop all this run started, newest first; each step on its own."""
        # the last phase ends here: what the undos cause (a stopped speaker started again)
        # is not its evidence
        self.record.phases_end = time.time()
        self._mark("steps_done")
        self._sample_usage("end")  # the steps' end, before any undo or stop
        checkpoint("teardown", self.out)
        self.view.ending()
        self._phase_ends = {r: s.log_size() for r, s in self.speakers.items()}
        steps = [self._stop_probes, lambda: stop_process(self.sampler, SAMPLER_STOP_S)]
        steps += [f.undo for f in reversed(self.record.faults)]
        steps += [self._collect_evidence]
        # the run is over and its evidence collected: every daemon told at once, then
        # each waited for (one after the other, keepalived's ~1 s each added up)
        steps += [s.end_of_run for s in self.speakers.values()]
        steps += [s.wait_stopped for s in self.speakers.values()]
        steps += [self._capture_stop]
        # inside its namespace the run leaves the lab to the kernel: the namespaces go with
        # the run's PID 1, all at once, after the report (Mininet's stop took 0.2 s of the
        # textbook lab's wall time; a large lab's, long)
        if not sandbox.is_inside():
            steps.append(self.lab.stop)
        errors, interrupted = teardown(steps)
        self.record.errors += errors
        self.record.interrupted = self.record.interrupted or interrupted
        self.record.end = time.time()
        self._mark("teardown_done")

    def _sample_usage(self, when: str) -> None:
        for router, speaker in self.speakers.items():
            sample = speaker.usage()
            if sample is not None:
                self.record.usage.setdefault(router, {})[when] = sample

    def _collect_evidence(self) -> None:
        self._collect_phases(self._phase_ends)
        for router, speaker in self.speakers.items():
            self.record.auth_evidence[router] = speaker.auth_failure_evidence()
            self.record.cpu_s[router] = speaker.cpu_seconds()
            self.record.versions[router] = speaker.version()
            if speaker.config_warnings:
                self.record.config_warnings[router] = speaker.config_warnings
            self.record.logs[router] = speaker.log_path.name

    def _collect_phases(self, ends: dict[str, int]) -> None:
        """Each phase's own log lines: converge up to the first fault, each fault up to the
        next (the last one up to now), read as byte ranges of each router's log."""
        starts = [{r: 0 for r in self.speakers}] + [f.log_offsets for f in self.record.faults]
        stops = [f.log_offsets for f in self.record.faults] + [ends]
        names = ["converge"] + [f.fault.name for f in self.record.faults]
        instances = [None] + [self.topology.gateway_of(f.fault).name for f in self.record.faults]
        for name, instance, first, last in zip(names, instances, starts, stops):
            routers = {}
            for router, speaker in self.speakers.items():
                a, b = first.get(router, 0), last.get(router, ends[router])
                text = speaker.read_log(a, b)
                routers[router] = {"log": speaker.log_path.name, "bytes": [a, b],
                                   "states": [list(c) for c in speaker.state_changes(text, instance)]}
            self.record.phase_evidence.append({"phase": name, "instance": instance,
                                               "routers": routers})

    def _capture_stop(self) -> None:
        for capture in [self.capture, *self.member_captures]:
            if capture:
                capture.stop()

    def _start_member_captures(self) -> None:
        """With a sync group, the other members' adverts too: the group moves with its last
        member, so the timing windows count from that one (captured on a host of its link)."""
        vrrp = self.topology.vrrp
        if not vrrp.sync_group:
            return
        router = self.topology.routers[0].name
        lan = self.topology.segment_of(router, self.topology.lan_instance().interface)
        segments = {self.topology.segment_of(router, i.interface) for i in vrrp.instances} - {lan}
        for segment in sorted(segments):
            host = next((n for n in self.topology.nodes if n.role in ("client", "upstream")
                         and n.interface_on(segment)), None)
            if host is None:
                continue
            capture = Capture(self.lab, host.name, host.interface_on(segment).name,
                              self.out / f"capture.{segment}.pcap")
            capture.start()
            self.member_captures.append(capture)


def warm_up_analysis() -> threading.Thread:
    """Import what the report draws with (matplotlib, scapy, jinja2: ~0.6 s) and compile
    the page's template, in the background while the lab converges, which only waits (the
    first master's ~3.4 s): the report then costs the run's wall time only its drawing.
    The thread is returned: a fault waits for it (`Runner._inject`), as its CPU would
    otherwise compete with the run's own threads while a takeover is timed."""
    def imports() -> None:
        import matplotlib
        matplotlib.use("Agg")  # as the report does: files, never a window
        import matplotlib.pyplot  # noqa: F401
        import scapy.layers.inet  # noqa: F401

        from vrrplab.analysis.html import TEMPLATE, environment

        environment().get_template(TEMPLATE)  # compiled once, kept by the environment

    thread = threading.Thread(target=imports, name="warm-up", daemon=True)
    thread.start()
    return thread


def prepare_speakers(speakers: dict, lab: Lab, topology, choice: str, out: Path,
                     rundir: Path, given=None) -> None:
    """Put one speaker per router into `speakers` (the kind `--speaker choice` gives each),
    then write and check each one's config (LabError if a speaker refuses it). `given`
    (speakers.given.GivenConfigs): the routers' own keepalived.conf, which keepalived runs
    as written."""
    kinds = kinds_for(choice, [r.name for r in topology.routers])
    for router in topology.routers:
        cls = SPEAKER_KINDS[kinds[router.name]]
        speakers[router.name] = cls(lab, topology, router.name, out, rundir)
        speakers[router.name].given_conf = given.path_of(router.name) if given else None
    for speaker in speakers.values():
        speaker.prepare()


def start_speaker(router: str, speaker, say: Callable[[str], None]) -> None:
    """Start a router's daemon and wait until it has set its timers (logged its first
    state), before the next one starts: two routers started together race for the first
    election, and the higher priority wins it only if it starts within the difference of
    their Skew_Times (78 ms at 1 s adverts for 120 and 100). With nopreempt, or a
    preempt_delay, the loser of that race would stay master (or hold the role seconds
    longer) against the lesson."""
    say(_("starting {speaker} on {router}").format(speaker=speaker.kind, router=router))
    speaker.start()
    wait_until(lambda: speaker.state() != "INIT" or not speaker.running,
               bounds.STARTUP_ALLOWANCE_S,
               Message(N_("{router}'s {kind} to start"), router=router, kind=speaker.kind))


def teardown(steps: list[Callable[[], None]]) -> tuple[list[str], bool]:
    """Run every step of a teardown, each on its own: one that fails, or that Ctrl-C or
    SIGTERM interrupts, does not keep the next from running. Returns what failed
    ("teardown: ...", English) and whether anything was interrupted."""
    errors, interrupted = [], False
    for step in steps:
        try:
            step()
        except (KeyboardInterrupt, Interrupted):
            interrupted = True
        except Exception as exc:  # keep tearing down whatever failed
            errors.append(f"teardown: {exc}")
    return errors, interrupted


def _and(routers) -> str:
    # TRANSLATORS: between router names: "r1 and r2"
    return _(" and ").join(routers)

