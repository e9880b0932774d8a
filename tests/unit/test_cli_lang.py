"""--lang fr|en, else the locale: chosen once by the CLI and handed to the run inside the
private namespace. No root, no lab: the sandbox is replaced by a recorder."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from vrrplab import i18n
from vrrplab.cli import main


@pytest.fixture
def inside(monkeypatch):
    """`vrrplab run` up to the re-exec: the argv it would hand to the private namespace."""
    from vrrplab.lab import sandbox

    handed = []
    for check in ("require_root", "require_tools", "require_kernel"):
        monkeypatch.setattr(sandbox, check, lambda *a, **k: None)
    monkeypatch.setattr(sandbox, "run_inside", lambda argv, run_id, out, timeout=None: handed.append(argv) or 0)
    return handed


def _lang(argv: list[str]) -> str:
    return argv[argv.index("--lang") + 1]


@pytest.mark.parametrize("args, env, expected", [
    (["--lang", "fr"], {}, "fr"),
    (["--lang", "en"], {"LANGUAGE": None, "LANG": "fr_FR.UTF-8"}, "en"),  # --lang wins
    ([], {"LANGUAGE": None, "LC_ALL": None, "LANG": "fr_FR.UTF-8"}, "fr"),  # the locale
    ([], {"LANGUAGE": None, "LC_ALL": None, "LANG": "C.UTF-8"}, "en"),
])
def test_run_hands_the_language_to_the_namespace(inside, tmp_path, monkeypatch, args, env,
                                                  expected):
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = CliRunner().invoke(main, ["run", "failover-basic", "--out", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    assert _lang(inside[0]) == expected


def test_the_run_inside_speaks_the_language_it_was_handed(monkeypatch, tmp_path):
    from vrrplab import cli, linux
    from vrrplab.lab import sandbox

    from vrrplab.run import signals

    spoken = []
    monkeypatch.setattr(sandbox, "is_inside", lambda: True)
    # inside, `run` handles the stop signals for its whole life: not this test process's
    monkeypatch.setattr(signals, "install", lambda: signals.Guard())
    monkeypatch.setattr(cli, "_run_here", lambda *a, **k: spoken.append(i18n.language()) or 0)
    monkeypatch.setattr(linux, "leave", sys.exit)  # os._exit would end pytest itself
    result = CliRunner().invoke(main, ["run", "failover-basic", "--run-dir", str(tmp_path),
                                       "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert spoken == ["fr"]


@pytest.mark.parametrize("command", ["list", "validate", "clean", "report", "run"])
def test_lang_is_offered_where_people_read(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert "--lang [en|fr]" in result.output


def test_an_unknown_language_is_a_usage_error():
    result = CliRunner().invoke(main, ["list", "--lang", "de"])
    assert result.exit_code == 2
    assert "'de' is not one of 'en', 'fr'" in result.stderr


def test_errors_speak_the_chosen_language(monkeypatch, tmp_path):
    french = CliRunner().invoke(main, ["run", "no-such-scenario", "--lang", "fr"])
    assert french.exit_code == 2
    assert "no-such-scenario\u00a0: scénario inconnu" in french.stderr
    english = CliRunner().invoke(main, ["run", "no-such-scenario", "--lang", "en"])
    assert "no-such-scenario: no such scenario (known: " in english.stderr
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    root = CliRunner().invoke(main, ["run", "failover-basic", "--lang", "fr", "--out",
                                     str(tmp_path)])
    assert root.exit_code == 3
    assert "vrrplab: une maquette a besoin des droits root" in root.stderr


def test_a_lab_error_is_english_in_results_and_french_on_screen():
    from vrrplab.i18n import N_, Joined, Message
    from vrrplab.lab.wait import WaitTimeout, wait_until

    what = Message(N_("{routers} to be MASTER at once"),
                   routers=Joined(Message(N_(" and ")), ["r1", "r2"]))
    with i18n.using("fr"), pytest.raises(WaitTimeout) as caught:
        wait_until(lambda: False, 0.01, what)
    assert str(caught.value) == "timed out after 0.01 s waiting for r1 and r2 to be MASTER at once"
    with i18n.using("fr"):
        assert caught.value.localized() == ("délai dépassé après 0,01\u00a0s d'attente\u00a0: "
                                            "r1 et r2 MASTER en même temps")
