"""A hold right after a step counts from that step's evidence: the snapshot taken since
(read-only shell commands) is inside the hold, not added to the run. No root, no lab."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vrrplab.run import runner
from vrrplab.run.runner import Runner

NOW = 100.0


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(runner.time, "monotonic", lambda: NOW)


def run_with(evidence_at, pacer=None):
    return SimpleNamespace(_evidence_at=evidence_at, pacer=pacer)


def test_the_snapshot_time_is_inside_the_hold():
    state = run_with(NOW - 0.05)
    assert Runner._hold_left(state, 3) == pytest.approx(2.95)


def test_a_hold_with_no_step_before_it_is_whole():
    assert Runner._hold_left(run_with(None), 3) == 3


def test_the_evidence_counts_for_one_hold_only():
    state = run_with(NOW - 0.05)
    Runner._hold_left(state, 3)
    assert Runner._hold_left(state, 2) == 2  # hold after hold: the second is whole


def test_paced_the_hold_is_whole():
    # the class pressed Enter long after the evidence: the hold still lasts its seconds
    assert Runner._hold_left(run_with(NOW - 40, pacer=object()), 3) == 3


def test_a_snapshot_longer_than_the_hold_leaves_nothing_to_wait():
    assert Runner._hold_left(run_with(NOW - 5), 3) == 0


def test_a_snapshot_marks_the_evidence_the_next_hold_counts_from(monkeypatch):
    """The wiring, not only the arithmetic: the snapshot after a step records when it
    began, and its own time (here the client's ARP settling, 0.3 s) comes off the hold."""
    clock = [NOW]
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock[0])

    class Observer:
        def snapshot(self, label, expected_master, holders, expected):
            clock[0] += 0.3  # shell commands and the ARP wait
            return label

    state = SimpleNamespace(_evidence_at=None, pacer=None, observer=Observer(), expected={},
                            record=SimpleNamespace(snapshots=[]))
    Runner._snapshot(state, "stop-r1", "r2")
    assert state.record.snapshots == ["stop-r1"]
    assert Runner._hold_left(state, 3) == pytest.approx(2.7)
