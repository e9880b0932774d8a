"""What a class sees on the projector: `vrrplab run failover-basic --pace --lang fr` on a
terminal (a pty, as a person's): the live panel, the paced questions answered with Enter,
the measured takeover beside the RFC's figure, the French verdict. Needs root.

The same run piped prints plain lines and the same verdict (test_failover_basic.py)."""

from __future__ import annotations

import io
import json
import re
import sys

import pexpect
import pytest

from tests.lab.hostcheck import host_snapshot

pytestmark = pytest.mark.lab
PAUSES = 6  # failover-basic's steps: wait_master, hold, stop-r1, hold, restart-r1, hold
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_paced_live_view_in_french(tmp_path):
    before = host_snapshot(tmp_path)
    screen = io.StringIO()
    child = pexpect.spawn(sys.executable, ["-m", "vrrplab", "run", "failover-basic", "--pace",
                                           "--lang", "fr", "--out", str(tmp_path)],
                          dimensions=(50, 130), encoding="utf-8", timeout=60)
    child.logfile_read = screen
    try:
        child.expect("Lequel sera maître")  # before the start: the election's question
        child.sendline("")
        child.expect("Routeurs")  # the live panel, redrawn while it runs
        pauses = 1
        while child.expect(["Entrée", r"verdict\s*:"]) == 0:
            pauses += 1
            child.sendline("")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    text = ANSI.sub("", screen.getvalue())
    # the panel wraps a long event line inside its borders: read it as one line
    flat = re.sub("[ \r\n│]+", " ", text)
    assert pauses == PAUSES, text[-3000:]
    assert child.exitstatus == 0, text[-3000:]
    assert "RÉUSSI" in text
    results = json.loads(next(tmp_path.glob("failover-basic/*/results.json")).read_text())
    assert results["verdict"] == "pass"
    # the question, then the measured takeover beside the formula: results.json's figure
    assert "Skew_Time = (256 − 100) / 256 = ?" in text
    stop = next(f for f in results["faults"] if f["name"] == "stop-r1")
    measured = f"{stop['takeover_s']:.3f}".replace(".", ",")
    assert f"r2 a pris le relais après\u00a0: {measured}\u00a0s" in flat, text[-3000:]
    assert host_snapshot(tmp_path) == before
