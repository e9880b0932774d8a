"""Malformed adverts at running speakers (scenario hostile-adverts). Needs root.

mallory sends `faults.actions.MALFORMED_COUNT` adverts of each hostile kind (TTL 64,
wrong checksum, unknown version, cut short, another VRID, wrong password), all
claiming priority 255. The routers must keep their roles, and the bundled
speaker must count every one under its reason. None is lost on the way: the
kernel hands a raw IP socket multicast VRRP whatever its TTL, and never checks
protocol 112's checksum or length, so every kind reaches the speaker (seen in
r1's and r2's drop counters), as it reaches keepalived (its log lines).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vrrplab.bundled.log import read_events
from vrrplab.faults.actions import MALFORMED_COUNT

pytestmark = pytest.mark.lab
SCENARIO = "hostile-adverts"
FAULT = "malformed-mallory"
MALLORY = "192.168.1.66"
# the attack's kinds -> the bundled speaker's drop reasons (vrrplab.vrrp.packet.DropReason)
REASONS = {"ttl": "bad_ttl", "checksum": "bad_checksum", "version": "bad_version",
           "truncated": "truncated", "password": "auth_failed",
           "vrid": "wrong_vrid"}  # no instance has that VRID: counted per interface, "(unmatched)"


def run(out: Path, *extra: str) -> tuple[dict, Path]:
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", SCENARIO, "--out", str(out),
                           "--json", *extra], capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    assert results["verdict"] == "pass"
    run_dir, = (out / SCENARIO).iterdir()
    return results, run_dir


def assert_r1_kept_its_role(results: dict) -> None:
    snap = next(s for s in results["snapshots"] if s["label"] == FAULT)
    assert snap["states"] == {"r1": "MASTER", "r2": "BACKUP"}
    fault = next(f for f in results["faults"] if f["name"] == FAULT)
    assert fault["masters_seen"] == ["r1"] and fault["master_changes"] == 0
    assert fault["lost_probes"] == 0
    assert fault["attack"]["sent"] == len(REASONS) * MALFORMED_COUNT  # VRRPv2: every kind


def last_drops(log: Path) -> dict[str, int]:
    """The speaker's final drop counters: its `stop` event, else the highest count per reason."""
    events = read_events(log.read_text())
    stop = next((e for e in reversed(events) if e["event"] == "stop"), None)
    if stop is not None:
        counters = stop["counters"]
        return {**counters["VI_LAN"]["drops"],
                "wrong_vrid": counters.get("(unmatched)", {}).get("eth0", 0)}
    drops: dict[str, int] = {}
    for e in events:
        if e["event"] == "drop" and e["interface"] == "eth0":
            drops[e["reason"]] = max(drops.get(e["reason"], 0), e["count"])
    return drops


def test_bundled_speaker_keeps_its_role_and_counts_each_drop(tmp_path):
    results, run_dir = run(tmp_path, "--speaker", "bundled")
    assert set(results["speakers"].values()) == {"bundled"}
    assert_r1_kept_its_role(results)
    for router in ("r1", "r2"):
        log = run_dir / f"{router}.bundled.log"
        drops = last_drops(log)
        for kind, reason in REASONS.items():
            assert drops.get(reason, 0) >= MALFORMED_COUNT, (router, kind, drops)
        sources = {e["src"] for e in read_events(log.read_text()) if e["event"] == "drop"}
        assert sources == {MALLORY}, (router, sources)  # nothing else was dropped


def test_keepalived_keeps_its_role_too(tmp_path):
    results, run_dir = run(tmp_path)
    assert set(results["speakers"].values()) == {"keepalived"}
    assert_r1_kept_its_role(results)
    for router in ("r1", "r2"):
        text = (run_dir / f"{router}.keepalived.log").read_text()
        assert "invalid TTL" in text and "invalid passwd" in text, router  # keepalived 2.2's words
