"""`bundled.deadlines.Deadlines`: the nearest deadline kept as deadlines move, against a scan."""

from __future__ import annotations

import random

import pytest

from vrrplab.bundled.deadlines import COMPACT_SLACK, Deadlines


def test_the_nearest_follows_each_key_s_latest_deadline():
    d: Deadlines[str] = Deadlines()
    assert d.nearest() is None and d.pop_due(1e9) == []
    d.set("a", 3.0)
    d.set("b", 2.0)
    assert d.nearest() == 2.0
    d.set("b", 5.0)  # an advert heard: b's Master_Down_Timer moved later
    assert d.nearest() == 3.0  # known-bad: b's stale 2.0 must not wake anyone
    d.set("a", None)  # a has no timer now (INITIALIZE, FAULT)
    assert d.nearest() == 5.0 and d.get("a") is None and d.get("b") == 5.0 and len(d) == 1


def test_pop_due_takes_each_due_key_once_earliest_first_ties_in_the_order_set():
    d: Deadlines[int] = Deadlines()
    for key, deadline in [(1, 4.0), (2, 1.0), (3, 4.0), (4, 9.0), (0, 4.0)]:
        d.set(key, deadline)
    d.set(2, 1.0)  # set again unchanged: still one entry
    assert d.pop_due(4.0) == [2, 1, 3, 0]
    assert d.pop_due(4.0) == [] and d.nearest() == 9.0
    d.set(1, 4.0)  # a popped key has no deadline until set again, then is due again
    assert d.pop_due(5.0) == [1]


def test_stale_entries_do_not_pile_up():
    d: Deadlines[int] = Deadlines()
    for step in range(10_000):  # 16 backups hearing their masters for a long while
        d.set(step % 16, step * 0.1 + 3.6)
    assert len(d._heap) <= 2 * 16 + COMPACT_SLACK + 1
    assert d.nearest() == pytest.approx((10_000 - 16) * 0.1 + 3.6)


@pytest.mark.parametrize("seed", range(5))
def test_it_agrees_with_a_scan_of_every_key(seed):
    rng = random.Random(seed)
    d: Deadlines[int] = Deadlines()
    truth: dict[int, float] = {}
    now = 0.0
    for _ in range(3_000):
        key = rng.randrange(40)
        roll = rng.random()
        if roll < 0.7:
            truth[key] = now + rng.choice([0.0, 0.5, 1.0, rng.random() * 4])  # ties on purpose
            d.set(key, truth[key])
        elif roll < 0.8:
            truth.pop(key, None)
            d.set(key, None)
        else:
            now += rng.random()
            due = sorted((t, k) for k, t in truth.items() if t <= now)
            assert sorted(d.pop_due(now)) == sorted(k for _, k in due)
            for _, k in due:
                del truth[k]
        assert d.nearest() == min(truth.values(), default=None)
        assert len(d) == len(truth)
