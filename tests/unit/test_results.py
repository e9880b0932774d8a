"""From raw traces to numbers, checks and a verdict, on a synthetic run."""

from __future__ import annotations

import json

import pytest

from tests.unit import synthetic
from vrrplab.analysis.metrics import data_impact, takeover_time
from vrrplab.analysis.report import plot_timeline, summary
from vrrplab.analysis.results import add_report_stage, build_results, write_results


@pytest.fixture
def results(tmp_path):
    return build_results(synthetic.record(tmp_path))


def test_fault_numbers_follow_the_traces(results):
    fault, = results["faults"]
    assert fault["name"] == "stop-r1" and fault["kind"] == "stop" and fault["target"] == "r1"
    assert fault["at_s"] == pytest.approx(5.5)
    assert fault["new_master"] == "r2" and fault["old_master"] == "r1"
    assert fault["takeover_s"] == pytest.approx(synthetic.TAKEOVER_AT - synthetic.FAULT_AT, abs=1e-5)
    assert fault["bound_s"] == pytest.approx(156 / 256)  # RFC 3768 §6.1, priority 100
    assert fault["bound_kind"] == "skew_time"
    # the last reply before the fault at 5.49+, the first after at 6.12+
    assert fault["data_gap_s"] == pytest.approx(0.63, abs=0.011)
    assert 61 <= fault["lost_probes"] <= 62  # 0.615 s of 10 ms probes, edges by float rounding
    assert fault["since_last_advert_s"] == pytest.approx(0.5, abs=1e-5)
    upstream = fault["per_target"]["203.0.113.100"]
    assert upstream["lost_probes"] == 0 and upstream["data_gap_s"] == pytest.approx(0.01, abs=1e-4)


def test_every_check_passes_and_the_verdict_says_so(results):
    failed = [c for c in results["checks"] if not c["ok"]]
    assert failed == []
    names = [c["name"] for c in results["checks"]]
    assert "stop-r1: takeover within the RFC window" in names
    assert "client's ARP entry for the VIP points to r1" in names
    assert results["verdict"] == "pass"


def test_a_slow_takeover_fails_its_check(tmp_path):
    results = build_results(synthetic.record(tmp_path, after_goodbye=synthetic.SKEW + 0.5))
    check = next(c for c in results["checks"] if c["name"] == "stop-r1: takeover within the RFC window")
    assert not check["ok"] and "1.109 s from the old master's priority-0 advert" in check["detail"]
    assert "later than the window" in check["detail"]
    assert results["verdict"] == "fail"


def test_wrong_arp_entry_is_reported(tmp_path):
    rec = synthetic.record(tmp_path)
    rec.snapshots[1].client_arp = synthetic.R1_MAC  # stale: still the old master
    results = build_results(rec)
    check = next(c for c in results["checks"]
                 if c["name"] == "stop-r1: client's ARP entry for the VIP points to r2")
    assert not check["ok"] and "not the MAC of r2" in check["detail"]


def test_timeline_is_relative_and_names_routers(results):
    adverts = results["timeline"]["adverts"]
    assert adverts[0]["t"] == pytest.approx(1.0) and adverts[0]["router"] == "r1"
    assert any(a["priority"] == 0 and a["router"] == "r1" for a in adverts)
    garp, = results["timeline"]["arp"]
    assert garp["gratuitous"] and garp["mac"] == synthetic.R2_MAC


def test_results_round_trip_and_report(results, tmp_path):
    path = write_results(results, tmp_path)
    again = json.loads(path.read_text())
    assert again["faults"] == results["faults"]
    for key in ("scenario", "speaker", "verdict", "faults", "checks"):
        assert key in again
    text = summary(again)
    assert "stop-r1" in text and "verdict: PASS" in text
    png = plot_timeline(again, tmp_path / "timeline.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_interrupted_run_is_marked(tmp_path):
    rec = synthetic.record(tmp_path)
    rec.interrupted = True
    assert build_results(rec)["verdict"] == "interrupted"


def test_data_impact_edges():
    sent = [0.0, 0.1, 0.2, 0.3, 0.4]
    assert data_impact(sent, [None] * 5, 0.0, 1.0).data_gap_s is None  # never recovered
    impact = data_impact(sent, [0.001, None, None, 0.301, 0.401], 0.05, 1.0)
    assert impact.data_gap_s == pytest.approx(0.3) and impact.lost_probes == 2
    late = data_impact(sent, [0.001, 0.5, 0.5, 0.5, 0.401], 0.05, 1.0)
    assert late.lost_probes == 0 and late.delayed_probes == 3


def test_takeover_ignores_priority_zero_and_other_vrids():
    from vrrplab.run.capture import AdvertSeen
    adverts = [AdvertSeen(1.0, "10.0.0.2", 10, 0, 2, 255), AdvertSeen(1.2, "10.0.0.2", 11, 100, 2, 255),
               AdvertSeen(1.6, "10.0.0.2", 10, 100, 2, 255)]
    assert takeover_time(adverts, 0.5, "10.0.0.2", 10) == pytest.approx(1.1)
    assert takeover_time(adverts, 2.0, "10.0.0.2", 10) is None


def test_stages_say_where_the_wall_time_went(tmp_path):
    rec = synthetic.record(tmp_path)
    t0 = rec.t0
    rec.marks = {"lab_built": t0 + 0.2, "speakers_up": t0 + 0.25, "first_master": t0 + 3.75,
                 "probes_started": t0 + 3.8, "arp_settled": t0 + 3.81, "steps_done": t0 + 9.0,
                 "teardown_done": t0 + 10.0}
    results = build_results(rec)
    assert results["stages_s"] == {"lab_build": 0.2, "speakers_start": 0.05,
                                   "first_master": 3.5, "probes_start": 0.05,
                                   "arp_settle": 0.01, "steps": 5.19, "teardown": 1.0}
    add_report_stage(results, 1.234)
    line = next(x for x in summary(results).splitlines() if "time:" in x)
    assert line.strip() == ("time: lab 0.20 s, speakers 0.05 s, first master 3.50 s, probes "
                            "0.05 s, ARP 0.01 s, steps 5.19 s, teardown 1.00 s, report 1.23 s "
                            "(total 11.2 s)")


def test_an_interrupted_run_has_the_stages_it_reached(tmp_path):
    rec = synthetic.record(tmp_path)
    rec.marks = {"lab_built": rec.t0 + 0.3}
    assert build_results(rec)["stages_s"] == {"lab_build": 0.3}
