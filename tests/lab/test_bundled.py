"""failover-basic on the bundled speaker, alone and against keepalived in both directions. Needs root.

`mixed` runs keepalived on r1 and the bundled speaker on r2, `mixed-reverse` the
other way round: each implementation must accept the other's adverts (checksum,
auth) and hand over within the RFC bounds. Each run takes about 20 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.hostcheck import host_snapshot
from vrrplab.bundled.log import read_events

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
SKEW_R2 = 156 / 256  # RFC 3768 §6.1, r2 priority 100
KINDS = {"bundled": ("bundled", "bundled"), "mixed": ("keepalived", "bundled"),
         "mixed-reverse": ("bundled", "keepalived")}


@pytest.mark.parametrize("speaker", list(KINDS))
def test_failover_basic(tmp_path: Path, speaker: str) -> None:
    before = host_snapshot(tmp_path)
    proc = subprocess.run([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path), "--json",
                           "--speaker", speaker], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["verdict"] == "pass", [c for c in results["checks"] if not c["ok"]]
    assert results["speakers"] == dict(zip(("r1", "r2"), KINDS[speaker]))

    stop, restart = results["faults"]
    assert stop["bound_s"] == pytest.approx(SKEW_R2)
    assert stop["new_master"] == "r2" and restart["new_master"] == "r1"
    # each inside its two-sided window (vrrplab.analysis.timing): from r1's goodbye, from r1's start
    assert stop["timing"]["figure_s"] == pytest.approx(SKEW_R2)
    assert stop["timing"]["verdict"] == "ok" and restart["timing"]["verdict"] == "ok"

    run_dir = next(tmp_path.glob("failover-basic/*"))
    for router, kind in zip(("r1", "r2"), KINDS[speaker]):
        log = (run_dir / f"{router}.{kind}.log").read_text()
        if kind == "bundled":
            events = read_events(log)
            assert not [e for e in events if e["event"] in ("drop", "error")], log
            assert [e["reason"] for e in events if e["event"] == "stop"] == ["SIGTERM"] * len(
                [e for e in events if e["event"] == "start"])
        else:  # keepalived took every advert of the bundled speaker
            assert not [line for line in log.splitlines()
                        if any(w in line.lower() for w in ("checksum", "invalid", "bad "))], log
    assert host_snapshot(tmp_path) == before
