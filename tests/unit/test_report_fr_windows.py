"""report.html's takeovers in French: each fault kind's `what`, the window's parts (name and
why), its note, its basis, and a judgement's reason (`loose`, `not_judged`), all English in
results.json and shown through the catalogue (docs/i18n.md)."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest

from tests.unit.test_html_report import Page, folded
from vrrplab import i18n
from vrrplab.analysis import html as report_html
from vrrplab.analysis import timing, windows
from vrrplab.analysis.html import render_html
from vrrplab.faults.catalogue import KINDS

GOLDEN = json.loads(gzip.decompress(
    (Path(__file__).parent / "data" / "analysis.json.gz").read_bytes()))
NB = "\u00a0"


def _results(name: str) -> dict:
    run = GOLDEN[name]
    results = copy.deepcopy(run["input"])
    for fault, derived in zip(results["faults"], run["expected"]["faults"], strict=True):
        fault.update(derived)
    results["checks"] = run["expected"]["checks"]
    results["verdict"] = "pass" if all(c["ok"] for c in results["checks"]) else "fail"
    return results


@pytest.fixture(autouse=True)
def _no_timeline(monkeypatch):
    monkeypatch.setattr(report_html, "timeline_uri", lambda results, files: None)


def _takeovers(results: dict, language: str) -> str:
    with i18n.using(language):
        return Page(render_html(results, None)).section("takeovers")


@pytest.mark.parametrize("name", ["fast-vrrpv3-10ms.keepalived", "preempt-delay.bundled",
                                  "rogue-router.keepalived", "link-down.keepalived"])
def test_a_window_s_words_are_french_and_its_english_stays_in_results(name):
    results = _results(name)
    stored = json.dumps(results, sort_keys=True)
    english, french = _takeovers(results, "en"), _takeovers(results, "fr")
    assert json.dumps(results, sort_keys=True) == stored  # shown, never written back
    for fault in results["faults"]:
        what = KINDS[fault["kind"]].what
        assert what in english
        with i18n.using("fr"):
            assert folded(i18n._(what)) in french
        assert what not in french
        t = fault.get("timing") or {}
        for part in t.get("lower_parts", []) + t.get("upper_parts", []):
            assert folded(part["why"]) in english
            if part["why"]:
                assert folded(part["why"]) not in french, part["why"]
        if t.get("note"):
            assert folded(t["note"]) in english and folded(t["note"]) not in french


def test_every_fault_kind_and_every_speaker_s_figures_have_french():
    with i18n.using("fr"):
        for kind in KINDS.values():
            assert i18n._(kind.what) != kind.what, kind.name
        for speaker in windows.SPEAKERS.values():
            for why in (speaker.reaction_why, speaker.start_up_why, speaker.ipv6_why,
                        speaker.sync_lag_why):
                assert i18n._(why) != why, why


def test_a_reason_written_with_its_numbers_keeps_them_in_french():
    loose = timing.LOOSE.format(reaction_ms="50", figure_ms="6.1", figure="Skew_Time")
    busy = timing.NOT_JUDGED.format(stall_ms="45.2", figure_ms="36.1",
                                    figure="Master_Down_Interval + preempt_delay")
    assert timing.reason_in_language(loose) == loose  # English: as results.json says it
    with i18n.using("fr"):
        assert timing.reason_in_language(loose) == (
            f"la réaction propre du démon VRRP (jusqu'à 50{NB}ms) dépasse Skew_Time "
            f"(6,1{NB}ms){NB}: cette fenêtre révèle une minuterie manquée, pas une dérive de "
            f"quelques millisecondes")
        assert timing.reason_in_language(busy) == (
            f"une latence d'ordonnancement de 45,2{NB}ms à l'échéance de la minuterie dépasse "
            f"Master_Down_Interval + preempt_delay (36,1{NB}ms)")
        other = "as another version of vrrplab worded it"
        assert timing.reason_in_language(other) == other
        assert timing.reason_in_language(None) is None


def test_a_takeover_not_judged_says_why_in_french():
    results = _results("failover-basic.keepalived")
    t = results["faults"][0]["timing"]
    t["judged"] = False
    t["not_judged"] = timing.NOT_JUDGED.format(stall_ms="812.4", figure_ms="609.4",
                                               figure="Skew_Time")
    assert folded(t["not_judged"]) in _takeovers(results, "en")
    assert ("une latence d'ordonnancement de 812,4 ms à l'échéance de la minuterie dépasse "
            "Skew_Time (609,4 ms)") in _takeovers(results, "fr")
