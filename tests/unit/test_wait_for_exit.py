"""wait_for_exit: Popen.wait(timeout) without its polling sleeps. No root."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from vrrplab.lab import process
from vrrplab.lab.process import wait_for_exit


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


@pytest.fixture
def no_sleeping(monkeypatch):
    """Popen.wait(timeout) sleeps between looks (time.sleep, up to 50 ms each): here a
    sleep fails the test, so only a wait that never polls passes."""
    def sleep(_seconds):
        raise AssertionError("polled: slept between looks")
    monkeypatch.setattr(time, "sleep", sleep)


def test_the_exit_code_without_polling(no_sleeping):
    assert wait_for_exit(_python("import os, time; os.write(1, b''); exit(7)"), 30) == 7


def test_popens_own_wait_polls(no_sleeping):
    # the known-bad: what wait_for_exit replaces sleeps, which the fixture catches
    proc = _python("import time; time.sleep(0.3)")
    with pytest.raises(AssertionError, match="polled"):
        proc.wait(timeout=30)
    proc.kill()
    proc.wait()


def test_past_the_timeout_it_raises_as_popen_does():
    proc = _python("import time; time.sleep(60)")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            wait_for_exit(proc, 0.2)
        assert proc.poll() is None  # still running: the caller decides
    finally:
        proc.kill()
        proc.wait()


def test_a_process_already_reaped():
    proc = _python("exit(3)")
    proc.wait()
    assert wait_for_exit(proc, 5) == 3


def test_no_timeout_is_a_plain_wait():
    assert wait_for_exit(_python("exit(4)"), None) == 4


def test_stop_process_waits_without_polling(no_sleeping):
    proc = _python("import time; time.sleep(60)")
    assert process.stop_process(proc, 30) is True
    assert proc.returncode == -15


def test_a_deadline_already_past_is_one_look():
    proc = _python("import time; time.sleep(60)")
    try:
        with pytest.raises(subprocess.TimeoutExpired):  # select would say ValueError
            wait_for_exit(proc, -0.5)
    finally:
        proc.kill()
        proc.wait()


def test_reaped_by_another_thread_between_the_poll_and_the_pidfd(monkeypatch):
    proc = _python("exit(5)")
    while proc.poll() is None:  # the view's thread reaped it meanwhile, say
        pass
    monkeypatch.setattr(proc, "poll", lambda: None)  # ... after this one looked
    monkeypatch.setattr(process.os, "pidfd_open", _gone)
    assert wait_for_exit(proc, 5) == 5


def _gone(_pid):
    raise ProcessLookupError(_pid)
