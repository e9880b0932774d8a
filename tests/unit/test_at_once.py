"""lab.network.at_once runs the nodes' setup on threads, one shell each; a stop signal
reaches only the main thread, which must cancel the lab's step so that each worker's
command ends now, not at its deadline. And a command's wait looks at the cancelled step.
No root: the workers and the shell are stand-ins."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import SimpleNamespace

import pytest

from vrrplab.errors import LabError
from vrrplab.lab.network import BoundedShell, StepDeadline, at_once

STUCK_S = 30.0  # a stuck command's deadline: the test would wait this long if not cancelled


class Stopped(BaseException):
    """What the run's handler raises on SIGTERM (run.signals.Interrupted's kind)."""


@pytest.fixture
def sigterm_raises():
    def handler(_signum, _frame):
        raise Stopped()
    previous = signal.signal(signal.SIGTERM, handler)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_a_stop_signal_cancels_the_step_and_the_workers_end(sigterm_raises):
    step = StepDeadline()
    started = threading.Barrier(3)
    ended_by = {}

    def work(name):  # a command that waits for its shell, looking at the step
        started.wait()
        ended_by[name] = "cancel" if _wait_for(lambda: step.cancelled, STUCK_S) else "deadline"

    threading.Thread(target=lambda: (started.wait(), os.kill(os.getpid(), signal.SIGTERM)),
                     daemon=True).start()
    with pytest.raises(Stopped):
        at_once(work, ["r1", "r2"], step.cancel)
    assert ended_by == {"r1": "cancel", "r2": "cancel"}


def test_a_node_that_fails_is_raised_the_others_finish_nothing_cancelled():
    step = StepDeadline()
    done = []

    def work(name):
        if name == "r1":
            raise LabError("r1: 'ip addr add' failed")
        done.append(name)

    with pytest.raises(LabError, match="r1: 'ip addr add' failed"):
        at_once(work, ["r1", "r2"], step.cancel)
    assert done == ["r2"] and not step.cancelled


def test_a_command_waiting_for_its_shell_ends_when_the_step_is_cancelled():
    read_end, write_end = os.pipe()  # a shell that never writes
    step = StepDeadline()
    shell = SimpleNamespace(name="r2", params={"deadline": step},
                            stdout=SimpleNamespace(fileno=lambda: read_end),
                            _reading_for=("'sleep 60'", time.monotonic() + STUCK_S, STUCK_S))
    threading.Timer(0.2, step.cancel).start()
    try:
        with pytest.raises(LabError, match="r2: 'sleep 60' cut short"):
            BoundedShell._wait_readable(shell)
    finally:
        os.close(read_end)
        os.close(write_end)


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()
