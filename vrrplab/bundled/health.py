"""Health tracking as keepalived's `vrrp_script` does it, and the priority it yields.

`ScriptHealth` is keepalived 2.2.7's result counter (vrrp_scheduler.c,
`vrrp_script_child_thread`), pure: `result` runs from 0 to rise + fall - 1 and
the script is OK while result >= rise. A success below rise - 1 counts up; the
one that reaches rise makes it OK and jumps to the top, so `fall` failures in a
row are needed to fail again; a failure above rise counts down, the one that
reaches rise (or any failure before the first result) makes it FAILING and drops
to 0, so `rise` successes in a row are needed. Before its first result a
script is INIT and moves nothing; the first result decides at once (keepalived
starts at rise - 1: "one success is enough").

`tracked_priority` is keepalived's effective priority: a negative weight is
added while the script fails, a positive one while it succeeds, clamped to
1..254 (an address owner keeps 255). Weight 0 means FAULT while failing; the
daemon turns that into `Fault` / `FaultCleared`.

`ScriptRun` is the I/O side: `sh -c SCRIPT` in a session of its own (so a
timeout kills the script's children too), stdin/stdout/stderr to /dev/null,
with a pidfd the daemon's `select` waits on.
"""

from __future__ import annotations

import os
import signal
from enum import Enum

from vrrplab.vrrp.config import MAX_BACKUP_PRIORITY, MIN_PRIORITY, OWNER_PRIORITY

# keepalived never tracks a non-owner up to 255, nor down to 0 (which means "stopping")
MAX_TRACKED_PRIORITY, MIN_TRACKED_PRIORITY = MAX_BACKUP_PRIORITY, MIN_PRIORITY


class ScriptStatus(Enum):
    INIT = "init"
    OK = "ok"
    FAILING = "failing"


class ScriptHealth:
    """keepalived's rise/fall counter for one vrrp_script; see the module docstring."""

    def __init__(self, rise: int, fall: int) -> None:
        if rise < 1 or fall < 1:
            raise ValueError(f"rise and fall must be >= 1, not {rise}, {fall}")
        self.rise = rise
        self.fall = fall
        self.result = rise - 1
        self.status = ScriptStatus.INIT

    def record(self, success: bool) -> ScriptStatus | None:
        """Count one run; the new status when it changed, else None."""
        if success:
            if self.result < self.rise - 1:
                self.result += 1
                return None
            self.result = self.rise + self.fall - 1
            return self._set(ScriptStatus.OK)
        if self.result > self.rise:
            self.result -= 1
            return None
        self.result = 0
        return self._set(ScriptStatus.FAILING)

    def _set(self, status: ScriptStatus) -> ScriptStatus | None:
        changed = status is not self.status
        self.status = status
        return status if changed else None


def tracked_priority(base: int, weighted: list[tuple[int, ScriptStatus]]) -> int:
    """The effective priority from the base and each weighted script's status."""
    if base == OWNER_PRIORITY:
        return base
    total = base
    for weight, status in weighted:
        if weight < 0 and status is ScriptStatus.FAILING:
            total += weight
        elif weight > 0 and status is ScriptStatus.OK:
            total += weight
    return max(MIN_TRACKED_PRIORITY, min(MAX_TRACKED_PRIORITY, total))


class ScriptRun:
    """One run of a check script; `fileno()` (a pidfd) turns readable when it exits."""

    def __init__(self, script: str, deadline: float) -> None:
        import subprocess  # here, not at the top: a speaker without scripts starts ~2 ms sooner

        self.deadline = deadline
        self.proc = subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, close_fds=True)
        self.pidfd = os.pidfd_open(self.proc.pid)

    def fileno(self) -> int:
        return self.pidfd

    def finished(self) -> int | None:
        """The exit status once the script has ended (a signal counts as a failure)."""
        return self.proc.poll()

    def kill(self) -> None:
        """Timed out, or the daemon is stopping: the whole session goes."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def close(self) -> None:
        os.close(self.pidfd)
