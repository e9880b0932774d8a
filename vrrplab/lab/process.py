"""Stopping a process this run started: SIGTERM, a grace period, then SIGKILL."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen | None, grace_s: float) -> bool:
    """Terminate `proc` and reap it; SIGKILL if it outlives `grace_s`. False if it had
    already exited (or was never started)."""
    if proc is None or proc.poll() is not None:
        return False
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)
    return True
