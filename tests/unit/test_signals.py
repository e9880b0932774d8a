"""Stop signals at any stage (vrrplab.run.signals) and what an interrupted run's results
say: a fault cut short is not judged, a late signal marks a complete run. No lab: the
lab tests send each signal to real runs (tests/lab/test_signals.py)."""

from __future__ import annotations

import os
import signal

import pytest

from tests.unit import synthetic
from vrrplab.analysis.checks import build_checks
from vrrplab.analysis.report import summary
from vrrplab.analysis.results import build_results, mark_interrupted
from vrrplab.run import signals


@pytest.fixture
def guard():
    with signals.installed() as installed:
        yield installed
    assert signals.current() is None  # removed after, the previous handlers back


@pytest.mark.parametrize("signum", signals.STOP_SIGNALS)
def test_a_signal_raises_where_the_run_is_with_its_number(guard, signum):
    with pytest.raises(signals.Interrupted) as caught, guard.raising():
        os.kill(os.getpid(), signum)
    assert caught.value.signum == signum and guard.received == signum


def test_interrupted_is_not_swallowed_by_except_exception(guard):
    with pytest.raises(signals.Interrupted), guard.raising():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except Exception:  # noqa: BLE001 (the point: this must not catch it)
            pytest.fail("caught by except Exception")


def test_outside_the_steps_a_signal_is_only_recorded(guard):
    # from the install (PID 1's first instants: the scenario loaded, imports) on
    os.kill(os.getpid(), signal.SIGHUP)
    assert guard.received == signal.SIGHUP


def test_deferred_records_and_does_not_raise(guard):
    with guard.raising(), guard.deferred():  # the teardown, inside the run's steps
        os.kill(os.getpid(), signal.SIGHUP)
    assert guard.received == signal.SIGHUP


def test_only_the_first_signal_counts_and_a_second_never_raises(guard):
    with pytest.raises(signals.Interrupted), guard.raising():
        os.kill(os.getpid(), signal.SIGINT)
    with guard.raising():  # the run handles the first (its except clause, its teardown)
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C: nothing cut short
        os.kill(os.getpid(), signal.SIGTERM)
    assert guard.received == signal.SIGINT


def test_exit_codes_are_128_plus_n():
    assert [signals.exit_code(s) for s in signals.STOP_SIGNALS] == [130, 143, 129]


def test_the_handlers_go_back_after_the_run():
    before = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    with signals.installed():
        assert all(signal.getsignal(s) != before[s] for s in signals.STOP_SIGNALS)
    assert {s: signal.getsignal(s) for s in signals.STOP_SIGNALS} == before


def test_a_fault_cut_short_is_not_judged(tmp_path):
    rec = synthetic.record(tmp_path)
    rec.snapshots = rec.snapshots[:1]  # the run stopped before stop-r1's snapshot
    rec.interrupted, rec.signal = True, signal.SIGINT
    results = build_results(rec)
    fault_checks = [c for c in results["checks"] if c["name"].startswith("stop-r1")]
    assert len(fault_checks) == 1 and fault_checks[0]["judged"] is False
    assert fault_checks[0]["ok"] and "interrupted" in fault_checks[0]["detail"]
    assert not [c for c in results["checks"] if not c["ok"]]  # never a FAIL
    assert results["verdict"] == "interrupted" and results["signal"] == "SIGINT"
    assert "(1 check not judged)" in summary(results).splitlines()[-1]


def test_a_fault_whose_phase_was_seen_is_judged_even_if_interrupted_later(tmp_path):
    rec = synthetic.record(tmp_path)  # stop-r1's snapshot taken: interrupted in a hold
    rec.interrupted, rec.signal = True, signal.SIGTERM
    judged = build_results(rec)["checks"]
    whole = build_checks(build_results(synthetic.record(tmp_path)))
    assert [c["name"] for c in judged] == [c["name"] for c in whole]
    assert all(c.get("judged", True) for c in judged if c["name"].startswith("stop-r1"))


def test_not_interrupted_nothing_is_cut_short(tmp_path):
    rec = synthetic.record(tmp_path)
    rec.snapshots = rec.snapshots[:1]  # no snapshot, but no interruption: judged (fails)
    checks = build_results(rec)["checks"]
    assert all(c.get("judged", True) for c in checks)


def test_a_late_signal_marks_a_complete_run(tmp_path):
    results = build_results(synthetic.record(tmp_path))
    assert results["verdict"] == "pass" and results["signal"] is None
    mark_interrupted(results, signal.SIGHUP)
    assert results["interrupted"] is True and results["verdict"] == "interrupted"
    assert results["signal"] == "SIGHUP"
    assert all(c["ok"] for c in results["checks"])  # what was measured stands
