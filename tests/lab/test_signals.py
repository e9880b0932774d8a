"""A stop signal at each stage of a run (build, a fault's wait, teardown, plot, report):
exit 128 + N, results.json kept and marked, a cut-short fault not judged, the summary
printed, nothing left behind. Needs root.

The run waits at the stage under test (VRRPLAB_TEST_HOLD_AT, run/signals.checkpoint)
and says so with a file, so the signal lands at that stage and nowhere else. The signal
goes to `vrrplab run` itself, as a terminal's Ctrl-C or its closing would send it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lab.hostcheck import host_snapshot
from vrrplab.run.signals import HOLD_ENV, STAGES, STOP_SIGNALS

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
# each signal at each stage (about 3 minutes: a run held at the report has run whole)
CASES = list(itertools.product(STAGES, STOP_SIGNALS))
# interrupted in its build, a run stops what it started (nothing yet but the lab, which
# its namespace takes along), writes results.json and exits: the 2 s
BUILD_RETURN_S = 2.0


def _held(out: Path, stage: str) -> Path | None:
    found = list(out.glob(f"failover-basic/*/held-{stage}"))
    return found[0].parent if found else None


@pytest.mark.parametrize("stage,signum", CASES,
                         ids=[f"{stage}-{signal.Signals(n).name}" for stage, n in CASES])
def test_a_signal_at_each_stage(tmp_path, stage, signum):
    before = host_snapshot(tmp_path)
    proc = subprocess.Popen([*VRRPLAB, "run", "failover-basic", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, HOLD_ENV: stage})
    deadline = time.monotonic() + 90
    while _held(tmp_path, stage) is None:
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.monotonic() < deadline, f"the run never reached {stage}"
        time.sleep(0.05)
    run_dir = _held(tmp_path, stage)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    took = time.monotonic() - sent

    assert proc.returncode == 128 + signum, out[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["interrupted"] is True and results["verdict"] == "interrupted"
    assert results["signal"] == signal.Signals(signum).name
    assert "verdict: INTERRUPTED" in out, out[-3000:]
    assert not [c for c in results["checks"] if not c["ok"]], results["checks"]
    if stage == "build":
        assert took <= BUILD_RETURN_S, f"{took:.2f} s after Ctrl-C"
    if stage == "fault":  # stop-r1 cut short: one check, not judged, never a FAIL
        cut = [c for c in results["checks"] if c["name"].startswith("stop-r1")]
        assert [c.get("judged") for c in cut] == [False], cut
    if stage in ("teardown", "plot", "report"):  # every step ran: judged as measured
        assert {f["name"] for f in results["faults"]} == {"stop-r1", "restart-r1"}
        assert all(c.get("judged", True) for c in results["checks"])
    assert host_snapshot(tmp_path) == before
