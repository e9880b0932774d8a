"""The whole catalogue on the bundled speaker, and the crash variants across speakers.

Needs root. The scenarios' own checks carry the expectations (derived from the
timers); a scenario never asks which speaker runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.evidence import misplaced_evidence

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def run(scenario: str, speaker: str, out: Path, *extra: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", scenario, "--speaker", speaker,
                           "--out", str(out), "--json", *extra],
                          capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    assert misplaced_evidence(results) == []  # every check's evidence from its own window
    return results


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "failover-basic"])
def test_scenario_on_bundled(scenario, tmp_path):
    results = run(scenario, "bundled", tmp_path)
    assert set(results["speakers"].values()) == {"bundled"}


@pytest.mark.parametrize("speaker", ["mixed", "mixed-reverse"])
@pytest.mark.parametrize("scenario", ["failover-crash", "fast-vrrpv3"])
def test_crash_and_vrrpv3_across_implementations(scenario, speaker, tmp_path):
    results = run(scenario, speaker, tmp_path)
    assert set(results["speakers"].values()) == {"keepalived", "bundled"}
    crash = next(f for f in results["faults"] if f["kind"] == "crash")
    mdi = results["vrrp"]["routers"]["r2"]["master_down_interval_s"]
    assert crash["takeover_after_last_advert_s"] <= mdi + 0.2


@pytest.mark.parametrize("speaker", ["keepalived", "bundled", "mixed", "mixed-reverse"])
def test_failover_basic_in_vrrpv3(speaker, tmp_path):
    results = run("failover-basic", speaker, tmp_path, "--vrrp-version", "3")
    assert results["vrrp"]["version"] == 3
    assert all(a["version"] == 3 for a in results["timeline"]["adverts"])
    stop = results["faults"][0]
    assert stop["new_master"] == "r2" and stop["takeover_s"] <= stop["bound_s"] + 0.2


@pytest.mark.parametrize("speaker", ["mixed", "mixed-reverse"])
def test_ipv6_across_implementations(speaker, tmp_path):
    """keepalived and the bundled speaker agree on VRRPv3 over IPv6 (checksum, link-local)."""
    results = run("ipv6", speaker, tmp_path)
    assert set(results["speakers"].values()) == {"keepalived", "bundled"}
    assert [f["new_master"] for f in results["faults"]] == ["r2", "r1"]
