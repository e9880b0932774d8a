"""The summary in French, from an English results.json: the checks built again in French
(report.checks_in_language), the decimal comma, no English check name left over."""

from __future__ import annotations

import copy
import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit import synthetic
from vrrplab import i18n
from vrrplab.analysis import timing
from vrrplab.analysis.checks import build_checks
from vrrplab.analysis.report import checks_in_language, summary
from vrrplab.analysis.results import build_results, write_results
from vrrplab.cli import main

GOLDEN = json.loads(gzip.decompress((Path(__file__).parent / "data" / "analysis.json.gz")
                                    .read_bytes()))
ENGLISH_DECIMAL = re.compile(r"\b\d+\.\d{3} s\b")  # "0.612 s": French prose says "0,612 s"


@pytest.fixture
def results(tmp_path) -> dict:
    """The synthetic failover-basic run, as results.json holds it (English)."""
    return json.loads(write_results(build_results(synthetic.record(tmp_path)), tmp_path)
                      .read_text())


def _english_names(results: dict) -> list[str]:
    return [c["name"] for c in results["checks"]]


def test_results_json_stays_english_whatever_the_reader(tmp_path):
    with i18n.using("fr"):
        built = build_results(synthetic.record(tmp_path))
    names = [c["name"] for c in built["checks"]]
    assert "VIP on r1's interface only (ip addr show)" in names
    assert "stop-r1: r2 becomes master" in names


def test_the_summary_in_french(results):
    with i18n.using("fr"):
        text = summary(results)
    for phrase in ("failover-basic avec keepalived", "intervalle d'annonce 1\u00a0s",
                   "r2 maître après 0,611\u00a0s", "Skew_Time",
                   "vérifications\u00a0: 11/11 réussies",
                   "stop-r1\u00a0: r2 devient maître",
                   "prise de relais dans la fenêtre de la RFC",
                   "l'entrée ARP du client pour la VIP pointe vers r2",
                   "61 sondes perdues", "0 sonde perdue",
                   "verdict\u00a0: RÉUSSI"):
        assert phrase in text, phrase
    assert not ENGLISH_DECIMAL.search(text)
    assert "192.168.1.1" in text and "00:00:5e:00:01:0a" in text  # addresses keep their dots


def test_no_english_check_name_leaks_into_the_french_summary(results):
    with i18n.using("fr"):
        text = summary(results)
    leaked = [name for name in _english_names(results) if name in text]
    assert not leaked
    for english in ("verdict: ", "checks: ", "longest gap", "probes lost", " becomes master",
                    "never", "[FAIL]", " on keepalived"):
        assert english not in text, english


def test_the_checks_built_again_are_the_stored_ones_in_english(results):
    with i18n.using("en"):
        assert build_checks(results) == results["checks"]
        assert checks_in_language(results) == (results["checks"], True)
    with i18n.using("fr"):
        french, translated = checks_in_language(results)
    assert translated
    assert [c["ok"] for c in french] == [c["ok"] for c in results["checks"]]
    assert [c.get("window_s") for c in french] == [c.get("window_s") for c in results["checks"]]


def test_checks_another_version_wrote_stay_as_stored(results):
    """A results.json whose checks this version would not write: shown as stored, said so."""
    results["checks"][0]["detail"] = "what an older vrrplab said"
    with i18n.using("fr"):
        checks, translated = checks_in_language(results)
        text = summary(results)
    assert not translated and checks == results["checks"]
    assert "what an older vrrplab said" in text
    assert "en anglais" in text and "verdict\u00a0: RÉUSSI" in text


def test_report_lang_fr_prints_french_from_an_english_results_json(results, tmp_path):
    before = (tmp_path / "results.json").read_text()
    french = CliRunner().invoke(main, ["report", str(tmp_path), "--lang", "fr"])
    assert french.exit_code == 0, french.output
    assert "verdict\u00a0: RÉUSSI" in french.output
    assert "stop-r1\u00a0: r2 devient maître" in french.output
    english = CliRunner().invoke(main, ["report", str(tmp_path), "--lang", "en"])
    assert "verdict: PASS" in english.output and "stop-r1: r2 becomes master" in english.output
    assert (tmp_path / "results.json").read_text() == before  # still English


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_golden_run_reads_in_french(name):
    """Every scenario's checks (the golden runs): French, none left in English."""
    results = copy.deepcopy(GOLDEN[name]["input"])
    timing.annotate(results)
    results["checks"] = build_checks(results)
    results["verdict"] = "fail" if any(not c["ok"] for c in results["checks"]) else "pass"
    with i18n.using("fr"):
        text = summary(results)
        french, translated = checks_in_language(results)
    assert translated
    leaked = [n for n in _english_names(results) if n in text]
    assert not leaked
    assert not ENGLISH_DECIMAL.search(text)
    assert [c["ok"] for c in french] == [c["ok"] for c in results["checks"]]
