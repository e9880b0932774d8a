"""Known-bad speakers: the verdicts must FAIL a mis-timed bundled speaker. Needs root.

An instrument is calibrated with known-bad input, not only known-good: the
bundled speaker is run deliberately broken (the test-only VRRPLAB_TEST_MISTIME,
`vrrplab.bundled.mistimed`) at advert intervals of 1 s, 0.1 s and 0.01 s, and
each run must fail, naming the timing check of the fault the bug shows in. The
unmodified speaker passes the same scenarios (test_bundled.py,
test_bundled_catalogue.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.lab

INTERVALS = {"failover-basic": 1.0, "fast-vrrpv3": 0.1, "fast-vrrpv3-10ms": 0.01}
LATE, EARLY = "later than the window", "earlier than the RFC allows"
# the mistiming, the fault it shows in (failover-basic has no crash: its restart shows a
# doubled Master_Down_Interval), and how the timing check may say it failed. no_wait at
# 0.01 s: a tenth of the Master_Down_Interval (3.6 ms) is shorter than the advert interval,
# so the broken backup contests the role between any two adverts. Its goodbye window
# cannot show it there: Skew_Time (6.1 ms) is below the speaker's own reaction allowance
# (15 ms), so a takeover 22 ms after the goodbye is inside it (seen in a full-suite run;
# the check says so in its detail). The crash shows it: its window starts at the 36 ms
# Master_Down_Interval, and a backup that waits 3.6 ms is early, or already master.
CASES = [
    ("mdi_x2", {"failover-basic": "restart-r1"}, "crash-r1", (LATE,)),
    ("ignore_zero", {}, "stop-r1", (LATE,)),
    ("no_wait", {"fast-vrrpv3-10ms": "crash-r1"}, "stop-r1", (EARLY,)),
]


@pytest.mark.parametrize("scenario", sorted(INTERVALS))
@pytest.mark.parametrize("mistime, fault_for, fault, words", CASES)
def test_a_mistimed_speaker_fails_the_timing_check(scenario, mistime, fault_for, fault, words,
                                                   tmp_path):
    env = {**os.environ, "VRRPLAB_TEST_MISTIME": mistime}
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", scenario, "--speaker",
                           "bundled", "--out", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300, env=env)
    results = json.loads(proc.stdout)
    assert results["vrrp"]["advert_int_s"] == INTERVALS[scenario]
    name = f"{fault_for.get(scenario, fault)}: takeover within the RFC window"
    check = next(c for c in results["checks"] if c["name"] == name)
    assert not check["ok"], check
    if mistime == "no_wait" and INTERVALS[scenario] <= 0.01:
        pass  # contesting all along: early, late, or no takeover after the goodbye at all
    else:
        assert any(w in check["detail"] for w in words), check
    assert proc.returncode == 1 and results["verdict"] == "fail"
