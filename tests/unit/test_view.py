"""The run's views: what the watcher reports from the speakers' and the probes' logs, and
the plain lines (no escape codes) a CI log gets. No lab: fake speakers, a written probe log."""

import io
import re
import time

from rich.console import Console

from vrrplab.analysis.metrics import DELAYED_S
from vrrplab.i18n import using
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.view.live import LiveView, PlainView, QuietView, choose_view
from vrrplab.view.probe_tail import PROBE_LOST_AFTER_S, ProbeTail
from vrrplab.view.status import read_status, routers_table

SCENARIO = load_scenario(find_scenario("failover-basic"))
TOPOLOGY = SCENARIO.topology


class FakeSpeaker:
    kind = "keepalived"

    def __init__(self, state: str):
        self.now = state

    def state(self, instance=None) -> str:
        return self.now


def _probe_log(path, lines):
    path.write_text("".join(f"{k} 0 {n} {t:.6f}\n" for k, n, t in lines))


def test_status_holds_the_vip_only_as_master():
    statuses = read_status(TOPOLOGY, {"r1": FakeSpeaker("MASTER"), "r2": FakeSpeaker("BACKUP")})
    r1, r2 = statuses
    assert r1.instances[0].vips == ("192.168.1.1",) and r2.instances[0].vips == ()
    assert all(i.vips for i in r1.instances) and not any(i.vips for i in r2.instances)
    assert (r1.instances[0].priority, r2.instances[0].priority) == (120, 100)


def test_routers_table_names_each_state():
    statuses = read_status(TOPOLOGY, {"r1": FakeSpeaker("FAULT"), "r2": FakeSpeaker("MASTER")})
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(routers_table(statuses))
    text = console.file.getvalue()
    assert "FAULT" in text and "MASTER" in text and "192.168.1.1" in text


def test_plain_view_reports_a_state_change_after_the_fault(tmp_path):
    lines = []
    view = PlainView(lines.append)
    speakers = {"r1": FakeSpeaker("MASTER"), "r2": FakeSpeaker("BACKUP")}
    view.attach(TOPOLOGY, speakers, [], time.time())
    view._watch_once()  # the first states seen are not changes
    fault = next(s.fault for s in SCENARIO.steps if s.fault)
    view.fault(fault, time.time())
    speakers["r1"].now, speakers["r2"].now = "STOPPED", "MASTER"
    view._watch_once()
    view.close()
    assert any("r2: BACKUP → MASTER" in line and "after stop-r1" in line for line in lines), lines
    assert any("r1: MASTER → STOPPED" in line for line in lines), lines
    # the fault says what the RFC expects, with the formula (the textbook's VRRPv2)
    assert any("Skew_Time = (256 − 100) / 256 = 0.609 s" in line for line in lines), lines
    assert all(re.match(r"\[ *\d+\.\d{3} s\] ", line) for line in lines), lines
    assert not any("\x1b" in line for line in lines)


def test_the_fault_speaks_french():
    lines = []
    with using("fr"):
        view = PlainView(lines.append)
        view.attach(TOPOLOGY, {}, [], time.time())
        view.fault(next(s.fault for s in SCENARIO.steps if s.fault), time.time())
        view.close()
    assert "0,609\u00a0s au plus" in lines[0] and "selon la RFC" in lines[0], lines


def test_probe_tail_finds_an_outage_and_its_end(tmp_path):
    log = tmp_path / "probes.log"
    t = time.time() - 10
    lines = []
    for n in range(100):  # every 10 ms; 30 to 59 never answered
        lines.append(("S", n, t + n * 0.01))
        if not 30 <= n < 60:
            lines.append(("R", n, t + n * 0.01 + 0.001))
    _probe_log(log, lines)
    tail = ProbeTail(log, ["192.168.1.1"])
    tail.update()
    outages = tail.outages(time.time())
    assert [(round(o.start - t, 2), o.end and round(o.end - t, 2)) for o in outages] == \
        [(0.3, None), (0.3, 0.6)]
    assert tail.outages(time.time()) == []  # each reported once


def test_probe_tail_waits_before_calling_a_probe_lost(tmp_path):
    log = tmp_path / "probes.log"
    now = time.time()
    _probe_log(log, [("S", 0, now - PROBE_LOST_AFTER_S - 0.5), ("S", 1, now - 0.1)])
    tail = ProbeTail(log, ["192.168.1.1"])
    tail.update()
    cells = tail.strip(0, now, 10, 5.0)
    assert "lost" in cells and "wait" in cells and "ok" not in cells
    # the young probe is not judged yet: one outage begun, none ended
    assert [o.end for o in tail.outages(now)] == [None]


def test_probe_tail_shows_a_late_reply_as_late_not_answered(tmp_path):
    # during a takeover the client's pings wait for the new master: answered, but late
    log = tmp_path / "probes.log"
    now = time.time()
    sent_at = now - 3
    _probe_log(log, [("S", 0, sent_at), ("R", 0, sent_at + DELAYED_S + 0.05),
                     ("S", 1, now - 1), ("R", 1, now - 1 + DELAYED_S / 2)])
    tail = ProbeTail(log, ["192.168.1.1"])
    tail.update()
    cells = [c for c in tail.strip(0, now, 10, 5.0) if c]
    assert cells == ["late", "ok"]
    # and the wait is an outage: from the late probe to the next one answered in time
    found = [(round(o.start - now, 3), o.end and round(o.end - now, 3))
             for o in tail.outages(now)]
    assert found == [(-3, None), (-3, -1)]


def test_probe_tail_reads_only_complete_lines(tmp_path):
    log = tmp_path / "probes.log"
    log.write_text("S 0 0 100.0\nR 0 0 10")
    tail = ProbeTail(log, ["x"])
    tail.update()
    assert tail.traces[0].recv == {}
    with log.open("a") as f:
        f.write("0.5\n")
    tail.update()
    assert tail.traces[0].recv == {0: 100.5}


def test_quiet_view_says_nothing():
    view = QuietView()
    view.attach(TOPOLOGY, {"r1": FakeSpeaker("MASTER")}, [], time.time())
    view.event("anything")
    # a fault with an expected master: its RFC figure is computed, then not shown (this
    # crashed `vrrplab run --quiet` at its first such fault)
    view.fault(SCENARIO.faults[0], time.time())
    view.close()  # no watcher, nothing printed, no error


def test_live_view_draws_the_panel_and_a_countdown(tmp_path):
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    view = LiveView(console, "vrrplab run failover-basic")
    view.attach(TOPOLOGY, {"r1": FakeSpeaker("MASTER"), "r2": FakeSpeaker("BACKUP")}, [],
                time.time())
    view.step("holding 3 s", 3.0)
    console.print(view._render())
    view.close()
    text = console.file.getvalue()
    assert "holding 3 s" in text and "s left" in text and "r1" in text and "MASTER" in text


def test_choose_view_plain_when_not_a_terminal():
    assert type(choose_view(False, False, "t", print)) is PlainView  # pytest's stdout: no tty
    assert type(choose_view(True, False, "t", print)) is QuietView
