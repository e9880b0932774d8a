"""failover-basic at --probe-interval 0.001, its reported takeovers checked against an
independent capture of the same run (issue 15). Needs root.

The test's own tcpdump runs on the LAN's bridge inside the run's private network namespace
(tests/wire.py: found through the run's record, decoded without vrrplab's reader); each
fault's takeover_s and takeover_after_last_advert_s in results.json must match the wire's
within 1 ms. tests/unit/test_wire.py shows the comparison failing on a shifted capture.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.wire import VRRP_PROTO, WireCapture, lab_pid, read_wire, takeover_differences

pytestmark = pytest.mark.lab
TOLERANCE_S = 0.001


def test_reported_takeover_matches_an_independent_capture_at_1_ms_probes(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "vrrplab", "run", "failover-basic",
                             "--probe-interval", "0.001", "--out", str(tmp_path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wire = WireCapture(lab_pid(proc.pid), tmp_path / "wire.pcap")
    try:
        wire.start()
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        wire.stop()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
    assert proc.returncode == 0, stderr[-3000:]
    results = json.loads(stdout)
    assert results["verdict"] == "pass" and results["probe"]["interval_s"] == 0.001
    sent = results["probes"]["192.168.1.1"]["sent"]
    assert len(sent) > 0.9 * (sent[-1] - sent[0]) / 0.001  # the prober held its 1 ms pace

    frames = read_wire(tmp_path / "wire.pcap")
    first_fault = results["t0"] + results["faults"][0]["at_s"]
    # the capture was listening before the first fault: the old master's adverts are on it
    assert any(f.proto == VRRP_PROTO and f.src == "192.168.1.10" and f.t < first_fault for f in frames)
    assert [f["takeover_s"] is not None for f in results["faults"]] == [True, True]
    assert takeover_differences(results, frames, TOLERANCE_S) == []
