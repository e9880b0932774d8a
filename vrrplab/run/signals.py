"""The signals that stop a run (Ctrl-C, SIGTERM, a closed terminal's SIGHUP) at any stage.

Inside its namespace a run is PID 1, and the kernel drops a signal sent to a PID 1 from
outside unless that process handles it: `install()` handles all three for the whole run.
A signal is only recorded, except while the lab is built and the steps run (`raising()`):
there the first one raises `Interrupted` where the run is. Recorded, it lets the
teardown finish and the results say what was measured; the runner checks for one before
it builds. Either way the run ends
with `exit_code()`: 128 + the signal's number (130 for Ctrl-C, 143 SIGTERM, 129 SIGHUP).
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# test-only: VRRPLAB_TEST_HOLD_AT=STAGE makes the run wait at that stage for a signal
HOLD_ENV = "VRRPLAB_TEST_HOLD_AT"
HOLD_S = 30.0
STAGES = ("build", "fault", "teardown", "plot", "report")


class Interrupted(BaseException):
    """A stop signal reached the run. A BaseException, as KeyboardInterrupt: no
    `except Exception` on the way up may swallow it."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + N."""
    return 128 + signum


class Guard:
    """The stop signals' handler for one run: the first signal received, and whether a
    signal now raises or is only recorded."""

    def __init__(self):
        self.received: int | None = None
        self.deferring = True  # recorded only, until the runner builds and runs the steps
        self._previous: dict[int, object] = {}

    def handle(self, signum: int, _frame) -> None:
        if self.received is not None:
            return  # the run is stopping already: a second Ctrl-C must not cut that short
        self.received = signum
        if not self.deferring:
            raise Interrupted(signum)

    def raising(self):
        """Inside: the first signal raises Interrupted (the build and the steps)."""
        return self._deferring(False)

    def deferred(self):
        """Inside: a signal is recorded, never raised (a teardown must run to its end)."""
        return self._deferring(True)

    @contextmanager
    def _deferring(self, value: bool) -> Iterator[None]:
        was, self.deferring = self.deferring, value
        try:
            yield
        finally:
            self.deferring = was

    def install(self) -> "Guard":
        self._previous = {s: signal.signal(s, self.handle) for s in STOP_SIGNALS}
        return self

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}


_current: Guard | None = None


def install() -> Guard:
    """Handle the stop signals from now on (the run's whole life); the run's guard."""
    global _current
    _current = Guard().install()
    return _current


def current() -> Guard | None:
    return _current


@contextmanager
def installed() -> Iterator[Guard]:
    """The run's guard; one installed (and removed after) if there is none yet (a test
    driving the runner directly)."""
    global _current
    if _current is not None:
        yield _current
        return
    guard = install()
    try:
        yield guard
    finally:
        guard.restore()
        _current = None


@contextmanager
def deferred() -> Iterator[None]:
    """`Guard.deferred` of the run's guard; nothing to do when none is installed (a test
    driving the runner, the shell)."""
    if _current is None:
        yield
        return
    with _current.deferred():
        yield


def checkpoint(stage: str, folder: Path) -> None:
    """Test-only (VRRPLAB_TEST_HOLD_AT=STAGE): say that the run reached `stage` (a file
    `held-STAGE` in its folder) and wait there, at most HOLD_S, for a stop signal, so
    that a lab test sends one at exactly this stage. Otherwise nothing."""
    if os.environ.get(HOLD_ENV) != stage:
        return
    (folder / f"held-{stage}").touch()
    deadline = time.monotonic() + HOLD_S
    while time.monotonic() < deadline and not (_current and _current.received):
        time.sleep(0.05)  # a signal raises Interrupted here, or (deferred) ends the wait
