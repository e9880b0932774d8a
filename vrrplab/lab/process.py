"""Stopping a process this run started: SIGTERM, a grace period, then SIGKILL."""

from __future__ import annotations

import subprocess

from vrrplab.errors import LabError


def stop_process(proc: subprocess.Popen | None, grace_s: float) -> bool:
    """Terminate `proc` and reap it; SIGKILL if it outlives `grace_s`. False if it had
    already exited (or was never started); LabError if even SIGKILL does not end it."""
    if proc is None or proc.poll() is not None:
        return False
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            raise LabError(f"process {proc.pid} ({proc.args!r:.60}) outlived SIGKILL "
                           f"for {grace_s:g} s") from None
    return True
