"""`vrrplab grade` for real: a folder of 5 students' pairs from the corpus, 2 at a time.
Needs root; four runs of failover-basic (the fifth pair is refused before it starts).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
CORPUS = Path(__file__).resolve().parents[1] / "unit" / "data" / "student_configs"
# student -> the corpus pair handed in
PAIRS = {"alice": "01-lesson-as-given", "bob": "02-correct", "chloé | x": "11-same-priority",
         "dan": "38-no-interface", "eve": "03-vrid-differs"}


def test_grade_a_folder_of_five_pairs(tmp_path):
    folder = tmp_path / "TP rendus"
    for student, pair in PAIRS.items():
        shutil.copytree(CORPUS / pair, folder / student)
    out = tmp_path / "grade"
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "grade", str(folder), "--jobs", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    progress = [line for line in proc.stdout.splitlines() if line.startswith("pair ")]
    assert len(progress) == 5, proc.stdout
    assert proc.stdout.splitlines()[-1].startswith(f"table: {out.resolve()}/grade.md")

    with open(out / "grade.csv", newline="", encoding="utf-8-sig") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert list(rows) == sorted(PAIRS, key=str.casefold)
    assert all(r["verdict"] in ("pass", "fail", "refused", "error") for r in rows.values())
    # refused before anything started: its one line, in the student's terms
    assert rows["dan"]["verdict"] == "refused"
    assert rows["dan"]["why"].startswith("r1.conf:3: ") and "interface" in rows["dan"]["why"]
    # the lesson's files and a correct pair pass; the others ran and got a verdict
    assert rows["alice"]["verdict"] == "pass" and rows["bob"]["verdict"] == "pass"
    assert rows["eve"]["verdict"] in ("pass", "fail") and rows["chloé | x"]["verdict"] in (
        "pass", "fail")
    for student in ("alice", "bob"):
        row = rows[student]
        assert 0 < float(row["takeover stop-r1 (s)"]) < 1.5  # Skew_Time 0.609 s
        assert float(row["takeover restart-r1 (s)"]) > 3  # Master_Down_Interval
        assert int(row["lost pings"]) >= 0 and (out / row["report"]).is_file()
    # lint's findings, as the student wrote the files
    alice = rows["alice"]
    assert int(alice["lint errors"]) >= 2 and int(alice["lint warnings"]) >= 1
    assert alice["findings"].startswith("r1.conf:20: error: track_script chk_gateway")
    assert "vrid" in rows["eve"]["findings"].lower() or rows["eve"]["lint errors"] != "0"

    table = [line for line in (out / "grade.md").read_text().splitlines()
             if line.startswith("| ")]
    assert len(table) == 1 + 5  # the header, a row per student
    assert table[3].startswith("| chloé \\| x | ")  # its | escaped: one cell
