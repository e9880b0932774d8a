"""The security scenarios for real: an attacker on the LAN, and the guard. Needs root.

mallory forges adverts from inside the lab (vrrplab.faults.attack refuses to run
anywhere else); each scenario's own checks carry its expectations, and here we
pin down the point of each: the vulnerable routers obey the forgeries, the
guarded ones never hear them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vrrplab.loader import load_topology

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
AUTH_PASS = load_topology(ROOT / "topologies/attacked.yaml").vrrp.auth_pass
MALLORY = "192.168.1.66"


def run(scenario: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", scenario, "--out", str(out),
                           "--json"], capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    assert results["verdict"] == "pass"
    assert "mallory.attack.log" in results["artifacts"]
    return results


def faults(results: dict) -> dict:
    return {f["name"]: f for f in results["faults"]}


def snapshot(results: dict, label: str) -> dict:
    return next(s for s in results["snapshots"] if s["label"] == label)


def assert_routers_stepped_down(results: dict, name: str) -> None:
    f = faults(results)[name]
    assert f["foreign_adverts"]["sources"] == [MALLORY] and f["foreign_adverts"]["priorities"] == [255]
    snap = snapshot(results, name)
    assert "MASTER" not in snap["states"].values()
    assert not any("192.168.1.1" in vips for vips in snap["vips"].values())
    assert f["lost_probes"] > 0
    back = faults(results)["stop-mallory"]
    assert back["settled_master"] == "r1" and back["answered_after_s"] is not None


def assert_nothing_moved(results: dict, name: str) -> None:
    for f in results["faults"]:
        assert f["masters_seen"] in (["r1"], []), f  # a guard's short window may hold no advert
        assert f["master_changes"] == 0
    assert faults(results)[name]["lost_probes"] == 0


def test_rogue_router_silences_both_routers(tmp_path):
    assert_routers_stepped_down(run("rogue-router", tmp_path), "rogue-mallory")


def test_rogue_router_guarded_is_ignored(tmp_path):
    results = run("rogue-router-guarded", tmp_path)
    assert faults(results)["rogue-mallory"]["foreign_adverts"]["count"] > 0  # it did attack
    assert_nothing_moved(results, "rogue-mallory")


def test_sniff_password_reads_and_reuses_the_auth_pass(tmp_path):
    results = run("sniff-password", tmp_path)
    assert results["attackers"]["mallory"]["password_read"] == AUTH_PASS
    assert faults(results)["reuse-password"]["attack"]["password_read"] == AUTH_PASS
    assert_routers_stepped_down(results, "reuse-password")


def test_sniff_password_guarded_still_leaks_but_changes_nothing(tmp_path):
    results = run("sniff-password-guarded", tmp_path)
    assert results["attackers"]["mallory"]["password_read"] == AUTH_PASS
    assert_nothing_moved(results, "reuse-password")


def test_priority_zero_storm_forces_repeated_elections(tmp_path):
    results = run("priority-zero-storm", tmp_path)
    storm = faults(results)["storm-mallory"]
    assert storm["master_changes"] >= 2 and storm["masters_seen"] == ["r1", "r2"]
    assert storm["zero_adverts"] >= 2 and storm["attack"]["forged_src"] == "192.168.1.10"
    assert faults(results)["stop-mallory"]["settled_master"] == "r1"


def test_priority_zero_storm_guarded_by_the_mac(tmp_path):
    results = run("priority-zero-storm-guarded", tmp_path)
    storm = faults(results)["storm-mallory"]
    assert storm["zero_adverts"] >= 2  # the forgeries were on the wire, in r1's name
    assert_nothing_moved(results, "storm-mallory")
