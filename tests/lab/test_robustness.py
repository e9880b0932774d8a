"""Nothing left behind, whatever happens to a run: chaos kills, two runs side by side.

Needs root. The host snapshot (links, addresses, routes, rules, namespaces,
nftables, sysctls, daemons, run records) must be the same after as before.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lab.hostcheck import host_snapshot

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
CHAOS_RUNS = int(os.environ.get("VRRPLAB_CHAOS_RUNS", "20"))
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


def _settle(before: dict, out: Path, timeout: float = 15.0) -> dict:
    """Wait for the kernel to take a killed lab down, then clean its record."""
    deadline = time.monotonic() + timeout
    while host_snapshot(out)["daemons"] != before["daemons"] and time.monotonic() < deadline:
        time.sleep(0.1)
    subprocess.run([*VRRPLAB, "clean"], capture_output=True, timeout=30, check=True)
    return host_snapshot(out)


def test_chaos_kills_leave_nothing_and_a_normal_run_passes(tmp_path):
    seed = int(os.environ.get("VRRPLAB_CHAOS_SEED", time.time()))
    rng = random.Random(seed)
    before = host_snapshot(tmp_path)
    for i in range(CHAOS_RUNS):
        delay, signum = rng.uniform(0.2, 14.0), rng.choice(SIGNALS)
        proc = subprocess.Popen([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path / str(i))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
        if signum != signal.SIGKILL and code != 0:  # a run may finish before its signal
            assert code == 128 + signum, f"seed {seed} run {i}: {signum!r} after {delay:.2f} s gave {code}"
        assert _settle(before, tmp_path) == before, f"seed {seed} run {i}: {signum!r} after {delay:.2f} s"
    normal = subprocess.run([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path / "ok"),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert normal.returncode == 0, normal.stderr[-2000:]
    assert json.loads(normal.stdout)["verdict"] == "pass"
    assert host_snapshot(tmp_path) == before


def test_two_runs_side_by_side(tmp_path):
    before = host_snapshot(tmp_path)
    procs = [subprocess.Popen([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path / n),
                               "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        assert json.loads(out)["verdict"] == "pass"
    assert host_snapshot(tmp_path) == before
