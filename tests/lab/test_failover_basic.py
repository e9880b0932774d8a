"""failover-basic for real: Mininet, keepalived, the client's probes. Needs root.

Bounds are the RFC's, from the configured priorities and interval, with a
margin for scheduling (../shared/VRRP-FACTS.md measured keepalived to the ms).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lab.hostcheck import host_snapshot

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _run_dir(out: Path) -> Path | None:
    runs = list(out.glob("failover-basic/*"))
    return runs[0] if runs else None


def test_failover_basic_on_keepalived(tmp_path):
    before = host_snapshot(tmp_path)
    proc = subprocess.run([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["scenario"] == "failover-basic" and results["speaker"] == "keepalived"
    assert results["verdict"] == "pass"
    assert all(c["ok"] for c in results["checks"]), [c for c in results["checks"] if not c["ok"]]

    stop, restart = results["faults"]
    skew = 156 / 256  # RFC 3768 §6.1, r2 priority 100
    assert stop["bound_s"] == pytest.approx(skew)
    assert stop["new_master"] == "r2"
    assert skew - 0.05 <= stop["takeover_s"] <= stop["bound_s"] + 0.2
    assert stop["data_gap_s"] < 1.0
    assert stop["per_target"]["203.0.113.100"]["data_gap_s"] is not None  # upstream recovered
    mdi_r1 = 3 + (256 - 120) / 256
    assert restart["new_master"] == "r1"
    assert mdi_r1 - 0.05 <= restart["takeover_s"] <= mdi_r1 + 0.5  # backup first, then preempt

    run_dir = _run_dir(tmp_path)
    for name in ("results.json", "timeline.png", "capture.pcap", "r1.keepalived.conf",
                 "r2.keepalived.conf", "r1.keepalived.log", "r2.keepalived.log"):
        assert (run_dir / name).stat().st_size > 0, name
    assert "Entering MASTER STATE" in (run_dir / "r2.keepalived.log").read_text()
    assert host_snapshot(tmp_path) == before


def test_sigterm_mid_run_exits_143_with_partial_results(tmp_path):
    before = host_snapshot(tmp_path)
    proc = subprocess.Popen([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for(lambda: b"fault stop-r1" in _peek(tmp_path), 60, "the first fault")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, out
    results = json.loads((_run_dir(tmp_path) / "results.json").read_text())
    assert results["interrupted"] is True and results["verdict"] == "interrupted"
    assert results["faults"][0]["name"] == "stop-r1"
    assert host_snapshot(tmp_path) == before


def _peek(out: Path) -> bytes:
    run_dir = _run_dir(out)
    log = run_dir / "r1.keepalived.log" if run_dir else None
    if not log or not log.exists():
        return b""
    return b"fault stop-r1" if "Stopping" in log.read_text() else b""


def test_sigkill_leaves_nothing_and_clean_finds_the_record(tmp_path):
    before = host_snapshot(tmp_path)
    proc = subprocess.Popen([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _run_dir(tmp_path) is not None and (_run_dir(tmp_path) / "probes.log").exists(),
              60, "the lab to be up and probing")
    proc.kill()
    proc.wait(timeout=10)
    # the kernel takes the namespace down with its PID 1; give it a moment
    _wait_for(lambda: not host_snapshot(tmp_path)["daemons"], 10, "the lab's daemons to die")
    mine = host_snapshot(tmp_path)["registry"]
    assert len(mine) == 1  # the record of the killed run
    cleaned = subprocess.run([*VRRPLAB, "clean"], capture_output=True, text=True, timeout=30)
    assert cleaned.returncode == 0
    assert f"removing the record of run {mine[0].removesuffix('.json')}" in cleaned.stdout
    # ours is gone (clean may remove other dead runs' records too: not this test's business)
    assert host_snapshot(tmp_path) == before
