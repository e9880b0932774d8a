"""vrrplab export SCENARIO DIR: the students' sheet, the blanks, the teacher's answers.

The measured figures come from the real failover-basic run stored for report.html
(tests/unit/data/html_run/), given with --from-run; the self-run is exercised with a fake
`vrrplab run` subprocess (the real one is tests/lab/test_export.py). The slow test opens
both sheets in headless Chromium, in English and in French.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab import i18n
from vrrplab.cli import main
from vrrplab.export import command as export_command
from vrrplab.export.configs import BLANK, rendered, with_blanks
from vrrplab.export.sheet import build_sheet, fault_lines
from vrrplab.loader import find_scenario, list_scenarios, load_scenario
from vrrplab.shell.commands import parse
from vrrplab.vrrp import timers

DATA = Path(__file__).parent / "data"
STORED = DATA / "html_run"
GOLDEN = Path(__file__).parent / "golden"
NBSP = "\u00a0"
SHEET_FILES = {"sheet.html", "topology.png", "r1.keepalived.conf", "r2.keepalived.conf"}


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """The stored failover-basic run's folder: results.json as the run wrote it."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_bytes(gzip.decompress((STORED / "results.json.gz").read_bytes()))
    return run


def export(*args: str):
    return CliRunner().invoke(main, ["export", *map(str, args)])


def text(path: Path) -> str:
    """A page's text, tags dropped and whitespace folded (the no-break spaces kept)."""
    plain = unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    return re.sub(r"[ \t\r\n]+", " ", plain)


# -- what the folder holds --------------------------------------------------------------


def test_the_folder_holds_the_sheet_the_drawing_and_each_router_s_config(tmp_path):
    out = tmp_path / "TP vrrp"
    result = export("failover-basic", out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == SHEET_FILES  # no teacher's copy unasked
    assert (out / "topology.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    for router in ("r1", "r2"):  # the configs the lab runs, byte for byte
        assert (out / f"{router}.keepalived.conf").read_text() == \
            (GOLDEN / f"textbook-{router}.keepalived.conf").read_text()
    page = (out / "sheet.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'src="data:image/png;base64,' in page
    assert "http://" not in page and "https://" not in page  # opens from a USB key
    assert "sheet-teacher.html" in result.output


def test_blanks_replace_the_values_the_students_choose(tmp_path):
    assert export("failover-basic", tmp_path / "s", "--blanks").exit_code == 0
    conf = (tmp_path / "s" / "r1.keepalived.conf").read_text()
    for line in ("state ________", "virtual_router_id ________", "priority ________",
                 "auth_pass ________", "________ dev eth0", "________ dev eth1"):
        assert line in conf
    for answer in ("Lab2pass", "state MASTER", "virtual_router_id 10", "priority 120",
                   "192.168.1.1/24", "203.0.113.1/24"):
        assert answer not in conf
    assert conf.count(BLANK) == 11  # 5 per instance, and the header's
    # what is not the students' to choose stays: interface, advert_int, the sync group
    for kept in ("interface eth0", "advert_int 1", "auth_type PASS", "vrrp_sync_group GATEWAY"):
        assert kept in conf
    page = text(tmp_path / "s" / "sheet.html")
    assert "Lab2pass" not in page and "priority 120" not in page
    assert "How long may the password (auth_pass) be, and why?" in page


def test_blanks_keep_every_other_line_of_every_catalogue_config():
    for path in list_scenarios():
        for router, conf in rendered(load_scenario(path).topology).items():
            blanked = with_blanks(conf).splitlines()[1:]  # after the header comment
            assert len(blanked) == len(conf.splitlines()), (path.stem, router)
            for before, after in zip(conf.splitlines(), blanked):
                assert before == after or BLANK in after, (path.stem, before, after)


# -- the teacher's copy -----------------------------------------------------------------


def test_the_answers_are_only_in_the_teacher_s_copy(tmp_path, run_dir):
    out = tmp_path / "s"
    result = export("failover-basic", out, "--blanks", "--from-run", run_dir)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == SHEET_FILES | {"sheet-teacher.html"}
    students, teacher = text(out / "sheet.html"), text(out / "sheet-teacher.html")
    skew = timers.skew_time(100, 1.0, version=2)  # r2 waits its Skew_Time: 0.609 s
    mdi = timers.master_down_interval(120, 1.0, version=2)  # r1 returns: 3.531 s
    answers = [f"Skew_Time = (256 − 100) / 256 = {skew:.3f}{NBSP}s",
               f"Master_Down_Interval = 3 × 1 + (256 − 120) / 256 = {mdi:.3f}{NBSP}s",
               "r2 becomes MASTER in place of r1", "Answer:", "Lab2pass",
               "took over 0.619" + NBSP + "s"]  # the run's judged takeover
    for answer in answers:
        assert answer in teacher, answer
        assert answer not in students, answer
    # the measured figures, the run named, the lesson's 1-2 pings replayed
    assert "20261204-151844-14300" in teacher and "Its verdict: PASS, 18 of 18" in teacher
    assert "longest silence 0.625" + NBSP + "s" in teacher
    assert "This run, replayed at one ping a second: 0 lost." in teacher
    assert "do not hand it out" in teacher and "do not hand it out" not in students
    # the students answer on lines; the questions are the same, in the same order
    questions = re.findall(r"Q\d+\. [^?]*\?", students)
    assert questions and questions == re.findall(r"Q\d+\. [^?]*\?", teacher)
    assert (out / "sheet.html").read_text().count('class="write"') >= 2 * len(questions)


def test_the_questions_follow_the_scenario_s_steps_in_the_shell_s_words():
    scenario = load_scenario(find_scenario("failover-basic"))
    sheet = build_sheet(scenario, "failover-basic")
    assert [p.title for p in sheet.parts] == ["At the start", "Step 1: stop-r1",
                                              "Step 2: restart-r1"]
    lines = [c.line for p in sheet.parts for c in p.commands if c.prompt == "vrrplab>"]
    assert "r1 systemctl stop keepalived" in lines and "r1 systemctl start keepalived" in lines
    for line in lines:  # every line the sheet asks for, the shell understands
        assert parse(line, scenario.topology) is not None, line
    asks = [q.ask for p in sheet.parts for q in p.predict + p.questions]
    assert "Which router is MASTER, and why?" in asks
    assert any(a.startswith("How long will the client be without its gateway?") for a in asks)


@pytest.mark.parametrize("path", list_scenarios(), ids=lambda p: p.stem)
def test_every_catalogue_scenario_gets_a_sheet_whose_shell_lines_parse(path):
    scenario = load_scenario(path)
    for lang in i18n.LANGUAGES:
        with i18n.using(lang):
            sheet = build_sheet(scenario, path.stem, blanks=True)
        assert sheet.parts[0].questions
        assert len(sheet.parts) == 1 + len(scenario.faults)
    for fault in scenario.faults:
        for command in fault_lines(fault, scenario.topology) or []:
            assert parse(command.line, scenario.topology) is not None, command.line


def test_without_a_run_the_teacher_s_copy_gives_the_rfc_s_figures_and_says_so(
        tmp_path, monkeypatch):
    monkeypatch.setattr(export_command, "_is_root", lambda: False)
    monkeypatch.setattr(export_command.subprocess, "Popen", _no_subprocess)
    result = export("failover-crash", tmp_path / "s", "--teacher")
    assert result.exit_code == 0, result.output
    teacher = text(tmp_path / "s" / "sheet-teacher.html")
    mdi = timers.master_down_interval(100, 1.0, version=2)
    assert f"Master_Down_Interval = 3 × 1 + (256 − 100) / 256 = {mdi:.3f}{NBSP}s" in teacher
    assert "the measured ones need a run" in teacher and "--from-run RUN_DIR" in teacher
    assert "took over" not in teacher


def _no_subprocess(*args, **kwargs):
    raise AssertionError("no run may start here")


class FakeRun:
    """`python -m vrrplab run ... --json --out OUT`: writes the stored run's results.json
    where a run would, prints it, exits `code`."""

    code = 0

    def __init__(self, argv, **kwargs):
        self.argv = argv
        self.returncode = None

    def communicate(self, timeout=None):
        if self.code >= 128 or self.code in (2, 3):  # interrupted; or it could not start
            self.returncode = self.code
            return "", None
        out = Path(self.argv[self.argv.index("--out") + 1])
        doc = json.loads(gzip.decompress((STORED / "results.json.gz").read_bytes()))
        folder = out / doc["scenario"] / doc["run_id"]
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(doc))
        self.returncode = self.code
        return json.dumps(doc), None


def test_as_root_the_export_runs_the_scenario_for_the_measured_figures(tmp_path, monkeypatch):
    started = []

    class Recorded(FakeRun):
        def __init__(self, argv, **kwargs):
            started.append(argv)
            super().__init__(argv, **kwargs)

    monkeypatch.setattr(export_command, "_is_root", lambda: True)
    monkeypatch.setattr(export_command.subprocess, "Popen", Recorded)
    result = export("failover-basic", tmp_path / "s", "--teacher", "--out", tmp_path / "reports",
                    "--lang", "fr")
    assert result.exit_code == 0, result.output
    (argv,) = started
    assert argv[1:4] == ["-m", "vrrplab", "run"] and {"--json", "--quiet"} <= set(argv)
    assert argv[argv.index("--lang") + 1] == "fr"  # its summary in the teacher's language
    teacher = text(tmp_path / "s" / "sheet-teacher.html")
    assert "0,619" + NBSP + "s" in teacher and "report.html" in teacher


def test_a_run_stopped_by_ctrl_c_writes_nothing(tmp_path, monkeypatch):
    class Interrupted(FakeRun):
        code = 130

    monkeypatch.setattr(export_command, "_is_root", lambda: True)
    monkeypatch.setattr(export_command.subprocess, "Popen", Interrupted)
    result = export("failover-basic", tmp_path / "s", "--teacher", "--out", tmp_path / "reports")
    assert result.exit_code == 130
    assert not (tmp_path / "s").exists()


def test_a_run_that_cannot_start_leaves_the_rfc_s_figures_and_says_why(tmp_path, monkeypatch):
    class NoKeepalived(FakeRun):
        code = 3  # environment: keepalived missing, said on the run's stderr

    monkeypatch.setattr(export_command, "_is_root", lambda: True)
    monkeypatch.setattr(export_command.subprocess, "Popen", NoKeepalived)
    result = export("failover-basic", tmp_path / "s", "--teacher", "--out", tmp_path / "reports")
    assert result.exit_code == 0, result.output
    assert "warning: The run to measure them did not finish (exit 3)." in result.output
    teacher = text(tmp_path / "s" / "sheet-teacher.html")
    assert "The run to measure them did not finish (exit 3)." in teacher
    assert "Skew_Time = (256 − 100) / 256 = 0.609" + NBSP + "s" in teacher


# -- French -----------------------------------------------------------------------------


def test_french_sheets(tmp_path, run_dir):
    out = tmp_path / "fiche"
    result = export("failover-basic", out, "--blanks", "--from-run", run_dir, "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "distribuez tout sauf sheet-teacher.html" in result.output
    students, teacher = text(out / "sheet.html"), text(out / "sheet-teacher.html")
    assert '<html lang="fr">' in (out / "sheet.html").read_text()
    for words in (f"Quel routeur est MASTER, et pourquoi{NBSP}?", f"Étape 1{NBSP}: stop-r1",
                  f"D'abord, prévoyez{NBSP}:", f"Nom{NBSP}:", "Sur la maquette"):
        assert words in students, words
    assert f"Skew_Time = (256 − 100) / 256 = 0,609{NBSP}s" in teacher  # the decimal comma
    assert f"Réponse{NBSP}: r2 devient MASTER à la place de r1." in teacher
    assert "r2 a pris le relais 0,619" + NBSP + "s" in teacher
    # no English left in the sheet's own words
    for english in ("Which router", "Before you type", "Answer:", "The lab", "Predict first"):
        assert english not in students and english not in teacher, english
    # commands keep their dots
    assert "c1 ping -c 3 192.168.1.1" in students
    conf = (out / "r1.keepalived.conf").read_text()
    assert conf.startswith(f"! Complétez chaque {BLANK}{NBSP}:")


# -- bad input: one line, exit 2, nothing written ----------------------------------------


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("vrrplab: "), result.output
    return lines[0]


def test_an_unknown_scenario(tmp_path):
    result = export("no-such-scenario", tmp_path / "s")
    assert result.exit_code == 2
    assert "no-such-scenario: no such scenario" in _one_line(result)
    assert not (tmp_path / "s").exists()


def test_dir_a_file_a_link_or_not_empty(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    result = export("failover-basic", file)
    assert result.exit_code == 2 and "not a folder" in _one_line(result)
    assert file.read_text() == "mine"

    full = tmp_path / "full"
    full.mkdir()
    (full / "old.html").write_text("old")
    result = export("failover-basic", full)
    assert result.exit_code == 2 and "not empty" in _one_line(result)
    assert [p.name for p in full.iterdir()] == ["old.html"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    result = export("failover-basic", tmp_path / "link")
    assert result.exit_code == 2 and "a link" in _one_line(result)
    assert not any(elsewhere.iterdir())


def test_an_empty_folder_is_filled(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export("failover-basic", empty).exit_code == 0
    assert {p.name for p in empty.iterdir()} == SHEET_FILES


def test_a_run_of_another_scenario_or_other_settings_is_refused(tmp_path, run_dir):
    result = export("failover-crash", tmp_path / "s", "--from-run", run_dir)
    assert result.exit_code == 2
    assert "a run of failover-basic, not of failover-crash" in _one_line(result)
    assert not (tmp_path / "s").exists()

    doc = json.loads((run_dir / "results.json").read_text())
    doc["vrrp"]["routers"]["r2"]["priority"] = 110  # another pair's priorities
    (run_dir / "results.json").write_text(json.dumps(doc))
    result = export("failover-basic", tmp_path / "s", "--from-run", run_dir)
    assert result.exit_code == 2 and "other settings" in _one_line(result)

    (run_dir / "results.json").write_text('{"schema": 1}')
    result = export("failover-basic", tmp_path / "s", "--from-run", run_dir)
    assert result.exit_code == 2 and "results.json" in result.output
    assert not (tmp_path / "s").exists()


# -- in a browser -----------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


PROBE = """<script>
addEventListener("load", () => {
  const img = document.getElementById("topology-img"), box = img.getBoundingClientRect();
  document.body.dataset.probe = JSON.stringify({complete: img.complete, width: img.naturalWidth,
    shownWidth: box.width, height: document.documentElement.scrollHeight});
});
</script>"""


def _browse(page: Path, shot: Path, profile: Path) -> tuple[object, dict]:
    """The page at 1000 px wide as pixels, and whether its drawing decoded (read by a
    script added to a copy: the sheet itself has none)."""
    import numpy as np
    from PIL import Image

    def chromium(*args):
        return subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                               "--hide-scrollbars", "--force-device-scale-factor=1",
                               f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)

    done = chromium(f"--screenshot={shot}", "--window-size=1000,6000", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    probed = page.with_name(f"probed-{page.name}")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                      encoding="utf-8")
    dom = chromium("--window-size=1000,6000", "--dump-dom", probed.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return np.asarray(Image.open(shot).convert("RGB")).astype(float), json.loads(unescape(found[1]))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(_chromium() is None, reason="headless Chromium test: no `chromium` on PATH "
                                                "(Debian: apt-get install chromium)")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_chromium_shows_both_sheets(tmp_path, run_dir, lang):
    """Screenshots kept in VRRPLAB_SHEET_SHOTS (a folder) when set, to look at them."""
    pytest.importorskip("numpy")
    pytest.importorskip("PIL", reason="PIL reads the screenshot")
    out = tmp_path / "sheet"
    result = export("failover-basic", out, "--blanks", "--from-run", run_dir, "--lang", lang)
    assert result.exit_code == 0, result.output
    keep = os.environ.get("VRRPLAB_SHEET_SHOTS")
    for name in ("sheet.html", "sheet-teacher.html"):
        shot = (Path(keep) if keep else tmp_path) / f"{lang}-{name}.png"
        pixels, probe = _browse(out / name, shot, tmp_path / "profile")
        assert pixels.std() > 20, "the screenshot is blank"
        assert probe["complete"] and probe["width"] == 1800, probe  # the drawing decoded
        assert probe["shownWidth"] > 800, probe  # across the page
        assert probe["height"] > 3000, probe  # the configs, the steps, the questions
        green = (abs(pixels[..., 0] - 0xdf) < 6) & (abs(pixels[..., 1] - 0xf3) < 6) & \
                (abs(pixels[..., 2] - 0xe4) < 6)  # the master's box, and the answers' panels
        answers = (abs(pixels[..., 0] - 0xee) < 3) & (abs(pixels[..., 1] - 0xf7) < 3) & \
                  (abs(pixels[..., 2] - 0xf0) < 3)
        assert green.sum() > 5_000
        assert (answers.sum() > 50_000) == (name == "sheet-teacher.html")
