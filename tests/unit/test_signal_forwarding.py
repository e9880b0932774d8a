"""The supervisor's forwarding of a stop signal to the run, PID 1 of its namespace. No root.

The kernel drops a signal sent to a namespace's PID 1 that has no handler for it: a
SIGTERM forwarded in the run's first instants (Python starting, before
`run.signals.install`) was lost. `sandbox` now waits for the handler (SigCgt), then sends.
Shown here with a plain process that ignores SIGTERM at first, as the kernel makes PID 1
ignore it, then installs its handler.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from vrrplab.lab import sandbox

LATE_HANDLER = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # deaf, as a PID 1 without its handler
print("deaf", flush=True)
time.sleep(0.4)
signal.signal(signal.SIGTERM, lambda *_: (print("got it", flush=True), sys.exit(0)))
time.sleep(2)
print("never got it", flush=True)
"""


def _start():
    proc = subprocess.Popen([sys.executable, "-c", LATE_HANDLER], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "deaf"
    return proc


def test_handles_reads_sigcgt():
    proc = _start()
    try:
        assert not sandbox.handles(proc.pid, signal.SIGTERM)
        time.sleep(0.6)
        assert sandbox.handles(proc.pid, signal.SIGTERM)
        assert not sandbox.handles(proc.pid, signal.SIGHUP)
    finally:
        proc.kill()
        proc.wait()
    assert not sandbox.handles(proc.pid, signal.SIGTERM)  # gone: no handler


def test_a_signal_waits_for_the_runs_handler(monkeypatch):
    proc = _start()
    monkeypatch.setattr(sandbox, "_namespace_init", lambda _pid: proc.pid)
    sandbox._send_once_handled(proc, signal.SIGTERM)  # sent at once it would be lost
    out, _ = proc.communicate(timeout=10)
    assert out.strip() == "got it"


def test_known_bad_sent_at_once_it_is_lost(monkeypatch):
    """What the old forwarding did: the signal comes before the handler and is dropped."""
    proc = _start()
    monkeypatch.setattr(sandbox, "_namespace_init", lambda _pid: proc.pid)
    sandbox._send(proc, signal.SIGTERM, proc.pid)
    out, _ = proc.communicate(timeout=10)
    assert out.strip() == "never got it"
