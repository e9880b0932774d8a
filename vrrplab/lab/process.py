"""Waiting for a process this run started, and stopping one: SIGTERM, a grace period,
then SIGKILL."""

from __future__ import annotations

import os
import select
import subprocess

from vrrplab.errors import LabError


def wait_for_exit(proc: subprocess.Popen, timeout: float | None) -> int:
    """proc.wait(timeout), without its polling: Popen's sleeps double up to 50 ms between
    looks, so a process that takes 10 ms to exit is seen after ~30 ms; a pidfd turns
    readable the moment it ends. subprocess.TimeoutExpired past `timeout`, as Popen's."""
    if timeout is None or proc.poll() is not None:
        return proc.wait()
    try:
        pidfd = os.pidfd_open(proc.pid)
    except ProcessLookupError:  # reaped by another thread since the poll above
        return proc.wait()
    try:
        # polled again: reaped elsewhere just before pidfd_open, the pid may be another's
        # a deadline already past (timeout <= 0): one look, as Popen's
        if proc.poll() is None and not select.select([pidfd], [], [], max(0.0, timeout))[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(pidfd)
    return proc.wait()


def stop_process(proc: subprocess.Popen | None, grace_s: float) -> bool:
    """Terminate `proc` and reap it; SIGKILL if it outlives `grace_s`. False if it had
    already exited (or was never started); LabError if even SIGKILL does not end it."""
    if proc is None or proc.poll() is not None:
        return False
    proc.terminate()
    try:
        wait_for_exit(proc, grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            wait_for_exit(proc, grace_s)
        except subprocess.TimeoutExpired:
            raise LabError(f"process {proc.pid} ({proc.args!r:.60}) outlived SIGKILL "
                           f"for {grace_s:g} s") from None
    return True
