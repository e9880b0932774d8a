"""The timeline's reply-time axis: numbers the class reads (0.1, 1, 10; 0,1 in French),
and at least one of them whatever the range, even inside one decade. No lab."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vrrplab import i18n  # noqa: E402
from vrrplab.analysis.report import _plot_probes  # noqa: E402


def results_with_replies(ms: list[float]) -> dict:
    sent = [i * 0.005 for i in range(len(ms))]
    return {"probe": {"source": "c1", "interval_s": 0.005},
            "probes": {"192.168.1.1": {"sent": sent,
                                       "recv": [s + m / 1000 for s, m in zip(sent, ms)]}}}


def labels(ms: list[float]) -> list[str]:
    fig = Figure()
    ax = fig.add_subplot()
    _plot_probes(ax, results_with_replies(ms))
    fig.canvas.draw()
    return [t.get_text() for t in ax.yaxis.get_ticklabels(which="both") if t.get_text()]


def test_decades_read_as_plain_numbers():
    shown = labels([0.05, 0.5, 5.0, 50.0])
    assert "0.1" in shown and "1" in shown and "10" in shown
    assert not any("$" in text or "^" in text for text in shown)  # no mathtext


def test_inside_one_decade_the_axis_still_has_numbers():
    # 0.03-0.08 ms holds no power of ten: only the in-between ticks can say the scale
    assert labels([0.03, 0.05, 0.08])


def test_french_decimal_comma():
    i18n.set_language("fr")
    try:
        assert "0,1" in labels([0.05, 0.5, 5.0])
    finally:
        i18n.set_language(i18n.DEFAULT)
