"""A grown lab for real (issue 15): four routers handing the master down the cascade, and
sixteen VRIDs on one router pair moved together by a crash. One run each; the curves up
to 16 routers and 255 VRIDs are benchmarks/scale.py's. Needs root."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vrrplab.run.capture import read_pcap

pytestmark = pytest.mark.lab


def run(tmp_path, *args: str) -> tuple[dict, object]:
    """`vrrplab run ARGS`, which must pass (exit 0) and leave one results.json."""
    out = tmp_path / "reports"
    command = ["vrrplab", "run", *args]
    proc = subprocess.run([sys.executable, "-m", *command, "--out", str(out), "--quiet",
                           "--lang", "en"], capture_output=True, text=True, timeout=300)
    said = f"{' '.join(command)}: exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}" \
           f"\n--- stderr\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, said
    found = list(out.glob("*/*/results.json"))
    assert len(found) == 1, f"{said}\nresults.json files: {found}"
    return json.loads(found[0].read_text()), found[0].parent


def test_four_routers_hand_the_master_down_in_order(tmp_path):
    results, _ = run(tmp_path, "three-routers", "--routers", "4", "--speaker", "keepalived")
    assert results["scale"] == {"routers": 4} and results["verdict"] == "pass"
    assert [(f["target"], f["new_master"]) for f in results["faults"]] == [
        ("r1", "r2"), ("r2", "r3"), ("r3", "r4")]
    # each in its own window: r4 (priority 90) waits the longest Master_Down_Interval
    assert all(f["timing"]["verdict"] == "ok" for f in results["faults"])
    mdi = [f["timing"]["figure_s"] for f in results["faults"]]
    assert mdi == sorted(mdi) and len(set(mdi)) == 3  # lower priority, longer skew
    assert results["capture_dropped"] == 0


def test_sixteen_vrids_move_together_on_a_crash(tmp_path):
    results, folder = run(tmp_path, "failover-crash", "--vrids", "16", "--speaker", "bundled")
    assert results["scale"] == {"vrids": 16} and results["verdict"] == "pass"
    fault = results["faults"][0]
    at = results["t0"] + fault["at_s"]
    r1, r2 = (results["vrrp"]["routers"][r]["ip"] for r in ("r1", "r2"))
    adverts, _ = read_pcap(folder / "capture.pcap")
    lan_vrids = {a.vrid for a in adverts}
    assert len(lan_vrids) == 16
    before = {a.vrid for a in adverts if a.src == r1 and a.t < at and a.priority > 0}
    after = {a.vrid for a in adverts if a.src == r2 and a.t > at and a.priority > 0}
    assert before == after == lan_vrids  # r1 master of all, then r2 of all
    assert not {a.vrid for a in adverts if a.src == r2 and a.t < at}  # no split before
    usage = results["speaker_usage"]
    assert usage["r1"]["converged"]["rss_kib"] > 0 and "steady_cpu_percent" in usage["r2"]
