"""vrrplab grade without root: the rows from synthetic results.json documents, the refused,
missing and error rows, grade.md's escaping, grade.csv read back with the csv module, and
the command with its runs replaced by a fake (`bench.launch.run_to_end`).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab import i18n
from vrrplab.bench import launch
from vrrplab.bench.launch import Outcome
from vrrplab.cli import main
from vrrplab.grade import command, table

FAULTS = ["stop-r1", "restart-r1"]


def results(verdict="pass", takeovers=(0.6123, 3.57), lost=(12, 0), findings=(), failed=(),
            errors=(), signal_name=None, run_id="20260101-100000-1-abcd0123"):
    faults = [{"name": name, "kind": "stop", "takeover_s": t, "lost_probes": n}
              for name, t, n in zip(FAULTS, takeovers, lost)]
    checks = [{"name": "VIP on r1's interface only (ip addr show)", "ok": True, "detail": ""}]
    checks += [{"name": name, "ok": False, "detail": ""} for name in failed]
    return {"schema": 2, "scenario": "failover-basic", "run_id": run_id, "verdict": verdict,
            "errors": list(errors), "interrupted": verdict == "interrupted",
            "signal": signal_name, "faults": faults, "checks": checks,
            "given_configs": {"files": {}, "findings": list(findings)}}


def finding(severity, file, line, said, code="x"):
    return {"severity": severity, "file": file, "line": line, "code": code,
            "message": said, "said": said, "scenario": None}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- rows

def test_a_passed_run_gives_its_takeovers_losses_and_findings(tmp_path):
    pair = tmp_path / "alice"
    doc = results(findings=[
        finding("note", f"{pair}/r1.conf", 30, "a note"),
        finding("warning", f"{pair}/r1.conf", 20, "your vrrp_script chk_gateway is never run"),
        finding("error", f"{pair}/r2.conf", 5, "VRID 11, r1 says 10"),
        finding("warning", f"{pair}/r2.conf", 19, "another warning"),
        finding("warning", f"{pair}/r2.conf", 21, "a third one")])
    row = table.graded("alice", doc, pair, "runs/failover-basic/x/report.html")
    assert row.verdict == "pass" and row.takeovers == (("stop-r1", 0.6123), ("restart-r1", 3.57))
    assert row.lost_pings == 12 and (row.lint_errors, row.lint_warnings) == (1, 3)
    # errors first, then warnings, in lint's order; paths as the student knows them
    assert row.findings == ("r2.conf:5: error: VRID 11, r1 says 10",
                            "r1.conf:20: warning: your vrrp_script chk_gateway is never run",
                            "r2.conf:19: warning: another warning")
    assert row.more_findings == 2 and row.why == ()


def test_a_relative_path_is_taken_off_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "TP" / "bob").mkdir(parents=True)
    pair = Path(os.path.abspath("TP/bob"))
    doc = results(findings=[finding("warning", "TP/bob/r1.conf", 3, "said")])
    assert table.graded("bob", doc, pair).findings == ("r1.conf:3: warning: said",)
    row = table.refused("bob", "vrrplab: TP/bob/r1.conf:3: vrrp_instance VI_1: expected an "
                        "interface line", pair)
    assert row.verdict == "refused"
    assert row.why == ("r1.conf:3: vrrp_instance VI_1: expected an interface line",)


def test_a_failed_run_names_its_failed_checks():
    doc = results("fail", takeovers=(None, 3.6), failed=["stop-r1: r2 becomes master",
                                                          "stop-r1: takeover within the RFC "
                                                          "window", "restart-r1: no loss"])
    row = table.graded("carol", doc)
    assert row.verdict == "fail" and row.takeover("stop-r1") is None
    assert row.why == ("stop-r1: r2 becomes master", "stop-r1: takeover within the RFC window",
                       "and 1 more")


def test_an_interrupted_run_is_an_error_row_and_a_missing_file_is_refused():
    row = table.graded("dan", results("interrupted", signal_name="SIGTERM"))
    assert row.verdict == "error" and row.why == ("the run was interrupted (SIGTERM)",)
    assert table.missing("eve", ["r2.conf"]) == table.Row("eve", "refused",
                                                          why=("missing r2.conf",))
    assert table.failed("fay", None).why == ("no results",)
    assert table.failed("fay", "vrrplab: Traceback boom").why == ("Traceback boom",)


def rows_for_table(tmp_path):
    pair = tmp_path / "a|b"
    return [table.graded("a|b", results(findings=[
                finding("warning", f"{pair}/r1.conf", 20, "track_script *ignored* <b>")]),
                pair, "runs/failover-basic/20260101-x/report.html"),
            table.graded("carol", results("fail", takeovers=(None, None), lost=(40, 2),
                                          failed=["stop-r1: r2 becomes master"])),
            table.refused("dan", "vrrplab: r1.conf:3: expected an interface line"),
            table.missing("eve", ["r1.conf", "r2.conf"]),
            table.failed("fay", "the run took over 1800 s: stopped")]


def test_grade_md_one_table_escaped(tmp_path):
    text = table.markdown(rows_for_table(tmp_path), FAULTS, "vrrplab grade: TP", "context")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert lines[0] == ("| student | verdict | takeover stop-r1 (s) | takeover restart-r1 (s) | "
                        "lost pings | lint errors | lint warnings | why | findings | report |")
    assert len(lines) == 2 + 5
    # a | in a folder's name does not split the row; markup in a finding stays text
    cells = [c for c in lines[2].split(" | ")]
    assert cells[0] == "| a\\|b" and len(lines[2].replace("\\|", "").split("|")) == 12
    assert "track_script \\*ignored\\* \\<b\\>" in lines[2]
    assert "[report](runs/failover-basic/20260101-x/report.html)" in lines[2]
    assert lines[3].startswith("| carol | fail | - | - | 42 | 0 | 0 | stop-r1: r2 becomes master")
    assert lines[4] == ("| dan | refused | - | - | - | - | - | r1.conf:3: expected an interface "
                        "line |  | - |")
    assert lines[5].startswith("| eve | refused |") and "missing r1.conf, r2.conf" in lines[5]
    assert lines[6].startswith("| fay | error |")
    assert "5 pairs: pass 1, fail 1, refused 2, error 1" in text


def test_escape_keeps_words_and_shows_controls():
    assert table.escape("track_script a_b") == "track_script a_b"
    assert table.escape("_x_ *y* `z` [l](u) &amp; #") == \
        "\\_x\\_ \\*y\\* \\`z\\` \\[l\\](u) \\&amp; \\#"
    assert table.escape("two\nlines\x1b[31m") == "two lines\\\\x1b\\[31m"
    # French typography stays; a bidi override is shown, never obeyed
    assert table.escape("verdict\u00a0: x") == "verdict\u00a0: x"
    assert table.escape("a\u202eb") == "a\\\\u202eb"


def test_a_progress_line_per_pair():
    row = table.graded("a", results("fail", takeovers=(0.6123, None), lost=(3, 0),
                                    failed=["stop-r1: r2 becomes master"]))
    assert command.progress(2, 5, row, 21.34) == (
        "pair 2 of 5: a: fail (stop-r1 0.612 s; 3 pings lost): stop-r1: r2 becomes master "
        "[21.3 s]")
    with i18n.using("fr"):
        assert command.progress(1, 5, table.missing("b", ["r2.conf"]), 0) == \
            "copie 1 sur 5\u00a0: b\u00a0: refusé\u00a0: il manque r2.conf [0,0\u00a0s]"


def test_grade_csv_reads_back(tmp_path):
    table.write_csv(rows_for_table(tmp_path), FAULTS, tmp_path / "grade.csv")
    # Excel takes the accents of a UTF-8 file right only after its byte order mark
    assert (tmp_path / "grade.csv").read_bytes().startswith(b"\xef\xbb\xbfstudent,")
    rows = read_csv(tmp_path / "grade.csv")
    assert [r["student"] for r in rows] == ["a|b", "carol", "dan", "eve", "fay"]
    assert [r["verdict"] for r in rows] == ["pass", "fail", "refused", "refused", "error"]
    first = rows[0]
    assert first["takeover stop-r1 (s)"] == "0.612" and first["takeover restart-r1 (s)"] == "3.570"
    assert (first["lost pings"], first["lint errors"], first["lint warnings"]) == ("12", "0", "1")
    assert first["findings"] == "r1.conf:20: warning: track_script *ignored* <b>"
    assert first["report"] == "runs/failover-basic/20260101-x/report.html"
    assert rows[2]["why"] == "r1.conf:3: expected an interface line" and rows[2]["report"] == ""
    assert rows[1]["takeover stop-r1 (s)"] == "-"


def test_grade_md_in_french(tmp_path):
    with i18n.using("fr"):
        text = table.markdown(rows_for_table(tmp_path), FAULTS, "t", "c")
    assert "| étudiant | verdict |" in text and "| 0,612 |" in text
    assert "| carol | échec |" in text and "| dan | refusé |" in text


# ---------------------------------------------------------------- the command, runs faked

def make_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "TP rendus"
    for name in ("alice", "bob", "carol", "dan", "eve"):
        (folder / name).mkdir(parents=True)
        for router in ("r1", "r2"):
            if (name, router) != ("eve", "r2"):
                (folder / name / f"{router}.conf").write_text("vrrp_instance VI_1 {}\n")
    (folder / ".git").mkdir()  # hidden: not a student
    (folder / "notes.txt").write_text("")  # a file: not a student
    return folder


class FakeRuns:
    """Stands in for run_to_end: per student, what its run gives."""

    def __init__(self, runs_dir_of=None, hook=None):
        self.calls, self.lock, self.hook = [], threading.Lock(), hook

    def __call__(self, argv, log, children, overrun=""):
        config = argv[argv.index("--config") + 1]
        student = Path(config.split("=", 1)[1]).parent.name
        runs_dir = Path(argv[argv.index("--out") + 1])
        with self.lock:
            self.calls.append((student, argv))
        assert argv[-4:] == ["--json", "--quiet", "--lang", "en"] and log.parent.is_dir()
        if self.hook:
            got = self.hook(student)
            if got is not None:
                return got
        if student == "alice":
            doc = results(run_id="run-alice")
            page = runs_dir / "failover-basic" / "run-alice" / "report.html"
            page.parent.mkdir(parents=True)
            page.write_text("<html>")
            return Outcome(0, doc, None, str(log))
        if student == "bob":
            return Outcome(1, results("fail", failed=["stop-r1: r2 becomes master"]), None,
                           str(log))
        if student == "carol":
            return Outcome(2, None, None, str(log),
                           f"vrrplab: {config.split('=', 1)[1]}:3: expected an interface line")
        return Outcome(-9, None, None, str(log), "Traceback: boom")


@pytest.fixture
def fake(monkeypatch):
    runs = FakeRuns()
    monkeypatch.setattr(launch, "run_to_end", runs)
    monkeypatch.setattr("vrrplab.bench.command.check_machine", lambda: None)
    return runs


def test_every_pair_graded_whatever_the_verdicts(tmp_path, fake):
    folder, out, said = make_dir(tmp_path), tmp_path / "out", []
    code = command.grade(folder, "failover-basic", "keepalived", out, jobs=2, say=said.append)
    assert code == 0
    assert sorted(s for s, _a in fake.calls) == ["alice", "bob", "carol", "dan"]  # not eve
    rows = read_csv(out / "grade.csv")
    assert [(r["student"], r["verdict"]) for r in rows] == [
        ("alice", "pass"), ("bob", "fail"), ("carol", "refused"), ("dan", "error"),
        ("eve", "refused")]
    assert rows[0]["report"] == "runs/failover-basic/run-alice/report.html"
    assert rows[2]["why"] == "r1.conf:3: expected an interface line"
    assert rows[3]["why"] == "Traceback: boom" and rows[4]["why"] == "missing r2.conf"
    text = (out / "grade.md").read_text()
    assert text.count("\n| ") == 6 and "[report](runs/failover-basic/run-alice/report.html)" in text
    progress = [line for line in said if line.startswith("pair ")]
    assert len(progress) == 5
    assert progress[0] == "pair 1 of 5: eve: refused: missing r2.conf [0.0 s]"
    assert said[-1] == f"table: {out.resolve()}/grade.md (and {out.resolve()}/grade.csv)"
    argv = dict(fake.calls)["alice"]
    assert argv[1:4] == ["-m", "vrrplab", "run"] and argv[4].endswith("failover-basic.yaml")
    assert f"r1={folder.resolve()}/alice/r1.conf" in argv and "--speaker" in argv


def test_the_default_out_is_a_new_folder_under_reports(tmp_path, fake, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert command.grade(make_dir(tmp_path), "failover-basic", "bundled", None, 1,
                         say=lambda _l: None) == 0
    made = list((tmp_path / "reports").iterdir())
    assert len(made) == 1 and made[0].name.startswith("grade-")
    assert (made[0] / "grade.md").is_file() and (made[0] / "runs" / "logs").is_dir()


def test_a_run_that_found_the_machine_unfit_is_exit_3(tmp_path, monkeypatch, fake):
    fake.hook = lambda s: Outcome(3, None, None, None, "vrrplab: missing: tcpdump")
    said = []
    assert command.grade(make_dir(tmp_path), "failover-basic", "keepalived", tmp_path / "o", 1,
                         say=said.append) == 3
    assert any("machine unfit" in line for line in said)


def test_interrupted_keeps_the_pairs_done(tmp_path, fake):
    def hook(student):
        if student == "bob":  # Ctrl-C while bob's run goes on: bob's run ends with 130
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.3)  # the main thread's handler runs: nothing new starts
            return Outcome(130, results("interrupted", signal_name="SIGINT"), None, None)
        return None

    fake.hook = hook
    out, said = tmp_path / "o", []
    code = command.grade(make_dir(tmp_path), "failover-basic", "keepalived", out, 1,
                         say=said.append)
    assert code == 130
    rows = read_csv(out / "grade.csv")
    assert [r["student"] for r in rows] == ["alice", "eve"]  # done before the Ctrl-C
    assert "Interrupted: 3 pairs not graded: bob, carol, dan." in (out / "grade.md").read_text()
    assert any(line.startswith("interrupted (SIGINT)") for line in said)
    assert [s for s, _a in fake.calls] == ["alice", "bob"]  # nothing new started


def test_bad_input_is_exit_2_and_not_root_exit_3(tmp_path, monkeypatch):
    runner = CliRunner()
    got = runner.invoke(main, ["grade", str(tmp_path / "none")])
    assert got.exit_code == 2 and "found nothing there" in got.output
    (tmp_path / "empty").mkdir()
    got = runner.invoke(main, ["grade", str(tmp_path / "empty"), "--lang", "fr"])
    assert got.exit_code == 2 and "aucun" in got.output
    got = runner.invoke(main, ["grade", str(make_dir(tmp_path)), "--scenario", "no-such"])
    assert got.exit_code == 2
    monkeypatch.setattr("vrrplab.lab.sandbox.os.geteuid", lambda: 1000)
    got = runner.invoke(main, ["grade", str(make_dir(tmp_path / "x")), "--out",
                               str(tmp_path / "o")])
    assert got.exit_code == 3 and "root" in got.output
    assert not (tmp_path / "o").exists()  # nothing started


def test_an_out_holding_a_grade_is_refused(tmp_path, fake):
    out = tmp_path / "o"
    out.mkdir()
    (out / "grade.md").write_text("")
    got = CliRunner().invoke(main, ["grade", str(make_dir(tmp_path)), "--out", str(out)])
    assert got.exit_code == 2 and "already holds a grade.md" in got.output
    assert fake.calls == []


def test_the_grade_s_own_folder_inside_dir_is_no_student(tmp_path, fake):
    folder = make_dir(tmp_path)
    out = folder / "grades" / "second"
    out.mkdir(parents=True)
    assert command.grade(folder, "failover-basic", "keepalived", out, 1,
                         say=lambda _l: None) == 0
    assert "grades" not in [r["student"] for r in read_csv(out / "grade.csv")]


def test_results_json_of_a_real_shape_reads(tmp_path):
    """The fields grade reads are those results.json holds (docs/ARCHITECTURE.md)."""
    doc = json.loads(json.dumps(results()))
    assert table.graded("x", doc).lost_pings == 12


def test_a_folder_name_a_spreadsheet_would_run_is_written_inert():
    from vrrplab.grade.table import _inert
    assert _inert('=HYPERLINK("http://x","clic")') == '\'=HYPERLINK("http://x","clic")'
    assert _inert("+33 6") == "'+33 6" and _inert("@SUM(A1)") == "'@SUM(A1)"
    assert _inert("-0.5") == "-0.5" and _inert("chloé") == "chloé"
