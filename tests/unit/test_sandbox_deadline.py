"""The supervisor's wait for its run has a deadline: past it the run and its processes go.

No root, no namespaces: `unshare` is replaced by a small shell script standing for the
run (`sandbox._command`), which finishes, hangs, or ignores SIGTERM, with a grandchild
standing for the processes of the run's namespace. Deadlines are fractions of a second.
"""

from __future__ import annotations

import os
import time

import pytest

from vrrplab.errors import LabError
from vrrplab.lab import sandbox
from vrrplab.lab.wait import wait_until

TINY_S = 0.2  # the run's deadline in these tests
# what any of them may take, grace included: not a speed target (the machine is noisy), a
# proof that the wait ends where the stuck run would hold it for an hour
QUICK_S = 10.0


@pytest.fixture
def run(monkeypatch, tmp_path):
    """run(script, timeout, grace): run_inside with `sh -c script` standing for the run;
    the script may write a grandchild's pid to $KIDS, each one killed after the test."""
    monkeypatch.setattr(sandbox, "REGISTRY", tmp_path / "runs")
    kids = tmp_path / "kids"
    monkeypatch.setenv("KIDS", str(kids))

    def start(script: str, timeout: float = TINY_S, grace: float = TINY_S) -> int:
        monkeypatch.setattr(sandbox, "_command", lambda argv: ["sh", "-c", script])
        return sandbox.run_inside(["run", "x"], "test-run", tmp_path, timeout=timeout,
                                  grace=grace)

    start.kids = lambda: [int(pid) for pid in kids.read_text().split()] if kids.exists() else []
    start.registry = tmp_path / "runs"
    yield start
    for pid in start.kids():
        if alive(pid):
            os.kill(pid, 9)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (its parent, the stand-in, was killed) is gone for our purpose
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_run_that_finishes_in_time_gives_its_exit_code(run):
    assert run("exit 3", timeout=5.0) == 3
    assert not list(run.registry.glob("*.json"))  # unregistered


def test_a_stuck_run_is_stopped_by_sigterm_and_said_to_be(run):
    start = time.monotonic()
    with pytest.raises(LabError) as caught:
        run("sleep 3600 & echo $! > $KIDS; wait", grace=5.0)
    assert time.monotonic() - start < QUICK_S
    assert str(caught.value) == (f"the run did not finish within its deadline of {TINY_S:g} s: "
                                 "stopped it (SIGTERM), its namespace with it")
    assert not list(run.registry.glob("*.json"))


def test_a_run_deaf_to_sigterm_is_killed_with_its_processes(run):
    start = time.monotonic()
    with pytest.raises(LabError) as caught:
        run("trap '' TERM; sleep 3600 & echo $! > $KIDS; wait")
    assert time.monotonic() - start < QUICK_S
    assert str(caught.value) == (f"the run did not finish within its deadline of {TINY_S:g} s: "
                                 f"it ignored SIGTERM for {TINY_S:g} s: killed it (SIGKILL), "
                                 "its namespace with it")
    kids = run.kids()
    assert kids
    # the whole group went: SIGKILL is sent to it at once, each process dies when next
    # scheduled (on a loaded machine, a moment after the shell the supervisor waits for)
    wait_until(lambda: not any(alive(pid) for pid in kids), QUICK_S, "the group to die")
    assert not list(run.registry.glob("*.json"))


def test_the_run_s_deadline_covers_the_longest_scenario_and_its_lab():
    from vrrplab.bench.launch import RUN_TIMEOUT_S
    from vrrplab.loader import MAX_RUN_S
    assert sandbox.RUN_DEADLINE_S > MAX_RUN_S + sandbox.STOP_GRACE_S
    # a stuck run is stopped, and said to be stuck, before the bench gives up on it
    assert sandbox.RUN_DEADLINE_S + sandbox.STOP_GRACE_S < RUN_TIMEOUT_S
