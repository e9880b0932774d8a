"""vrrplab export for real, as root: the teacher's copy measured by a run made there and then,
and the lines a sheet asks students to type, typed into `vrrplab shell` (pexpect). Needs root.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html import unescape

import pytest

from tests.conftest import ROOT
from tests.lab.hostcheck import host_snapshot
from vrrplab.export.sheet import fault_lines
from vrrplab.loader import find_scenario, load_scenario

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
NBSP = "\u00a0"


def test_the_teacher_s_copy_measured_by_a_run_made_now(tmp_path):
    before = host_snapshot(tmp_path)
    sheet, reports = tmp_path / "fiche", tmp_path / "reports"
    proc = subprocess.run([*VRRPLAB, "export", "failover-basic", str(sheet), "--teacher",
                           "--out", str(reports), "--lang", "fr"],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "distribuez tout sauf sheet-teacher.html" in proc.stdout
    (run,) = reports.glob("failover-basic/*")
    assert (run / "report.html").exists() and (run / "results.json").exists()
    page = unescape(re.sub(r"<[^>]+>", " ", (sheet / "sheet-teacher.html").read_text()))
    page = re.sub(r"[ \t\n]+", " ", page)
    assert run.name in page and str(run) in page
    took = re.search(rf"r2 a pris le relais (\d,\d+){NBSP}s", page)
    assert took and 0.55 < float(took[1].replace(",", ".")) < 0.7, page[:3000]
    assert f"Skew_Time = (256 − 100) / 256 = 0,609{NBSP}s" in page
    assert "took over" not in (sheet / "sheet.html").read_text()
    assert host_snapshot(tmp_path) == before


# the scenarios whose faults the sheet has students cause with lines of their own (nft, a
# blackhole route, pkill), beyond the shell's systemctl/crash/link/freeze that test_shell
# types: each line typed, then `state` until the scenario's expected master is MASTER
TYPED = ["firewall-blocks-vrrp", "healthcheck-fail", "process-crash"]
ROW = r"{router}\s+│\s+keepalived\s+│\s+VI_LAN \(10\)\s+│\s+(?:\x1b\[[\d;]*m)*MASTER"


@pytest.mark.parametrize("name", TYPED)
def test_the_sheet_s_lines_do_what_the_sheet_says(tmp_path, name):
    pexpect = pytest.importorskip("pexpect")
    scenario = load_scenario(find_scenario(name))
    shell = pexpect.spawn(sys.executable, ["-m", "vrrplab", "shell", name, "--out", str(tmp_path)],
                          cwd=str(ROOT), encoding="utf-8", timeout=30, dimensions=(50, 200),
                          env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", "LANG": "C"})
    try:
        shell.expect("the lab is ready", timeout=90)
        shell.expect("vrrplab> ")
        for fault in scenario.faults:
            lines = fault_lines(fault, scenario.topology)
            assert lines, fault.name
            for command in lines:
                shell.sendline(command.line)
                shell.expect("vrrplab> ")
                assert "error" not in shell.before.lower(), (command.line, shell.before)
            deadline = time.monotonic() + 30
            while True:
                shell.sendline("state")
                if shell.expect([ROW.format(router=fault.expect_master), "└"]) == 0:
                    break
                assert time.monotonic() < deadline, (fault.name, shell.before[-2000:])
                time.sleep(0.5)
            shell.expect("vrrplab> ")
        shell.sendline("exit")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        if shell.isalive():
            shell.close(force=True)
