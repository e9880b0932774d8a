"""The command line, through click's CliRunner: no root, no lab."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit import synthetic
from vrrplab.analysis.results import build_results, write_results
from vrrplab.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli():
    return CliRunner()  # click >= 8.2 keeps stderr apart


def test_list_shows_failover_basic(cli):
    result = cli.invoke(main, ["list"])
    assert result.exit_code == 0
    assert "failover-basic" in result.output and "Graceful stop" in result.output


def test_validate_good_files(cli):
    result = cli.invoke(main, ["validate", str(ROOT / "topologies/textbook.yaml"),
                               str(ROOT / "scenarios/failover-basic.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == 2


def test_validate_bad_file_exits_2_naming_the_field(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "topologies/textbook.yaml").read_text().replace("vrid: 10,", "vrid: 0,"))
    result = cli.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: vrrp.instances.VI_LAN.vrid: expected an integer from 1 to 255, got 0" in result.stderr


def test_run_unknown_scenario_exits_2(cli):
    result = cli.invoke(main, ["run", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no such scenario" in result.stderr and "failover-basic" in result.stderr


def test_run_without_root_exits_3_before_anything(cli, monkeypatch, tmp_path):
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    result = cli.invoke(main, ["run", "failover-basic", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "needs root" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_run_bad_speaker_is_a_usage_error(cli):
    result = cli.invoke(main, ["run", "failover-basic", "--speaker", "quagga"])
    assert result.exit_code == 2


def test_report_redraws_a_past_run(cli, tmp_path):
    write_results(build_results(synthetic.record(tmp_path)), tmp_path)
    result = cli.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "verdict: PASS" in result.output
    assert (tmp_path / "timeline.png").exists()
    assert "<html" in (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["verdict"] == "pass"


def test_run_with_a_kernel_that_cannot_host_a_lab_exits_3(cli, monkeypatch, tmp_path):
    from vrrplab.lab import sandbox

    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "require_tools", lambda extra=None: None)
    failed = subprocess.CompletedProcess([], 2, "", "RTNETLINK answers: Operation not supported\n")
    monkeypatch.setattr(sandbox.subprocess, "run", lambda *a, **k: failed)
    result = cli.invoke(main, ["run", "failover-basic", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "cannot host a lab" in result.stderr and "Operation not supported" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_run_with_a_missing_tool_exits_3(cli, monkeypatch, tmp_path):
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda tool: None if tool == "tcpdump" else "/usr/bin/x")
    result = cli.invoke(main, ["run", "failover-basic", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "tcpdump (apt-get install tcpdump)" in result.stderr


def test_ctrl_c_before_the_run_handles_it_exits_130_not_aborted(monkeypatch):
    # the outer `vrrplab run` checks the host and makes the run's folder before it hands
    # signals on to the run: a Ctrl-C there is still an interruption (130), not click's 1
    from click.testing import CliRunner

    from vrrplab import cli

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "find_scenario", interrupted)
    result = CliRunner().invoke(cli.main, ["run", "failover-basic"])
    assert result.exit_code == 130 and "Aborted" not in result.output


def test_report_that_cannot_write_says_so_in_one_line(tmp_path):
    # a folder where timeline.png is a directory: the new file cannot take its place
    from click.testing import CliRunner

    from tests.unit import synthetic
    from vrrplab import cli
    from vrrplab.analysis.results import build_results, write_results

    write_results(build_results(synthetic.record(tmp_path)), tmp_path)
    (tmp_path / "timeline.png").mkdir()
    result = CliRunner().invoke(cli.main, ["report", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert f"vrrplab: {tmp_path}: cannot write the report there: " in result.stderr
    assert "Traceback" not in result.output
