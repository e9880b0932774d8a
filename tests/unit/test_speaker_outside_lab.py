"""`vrrplab speaker` refuses to run outside a lab node unless told so (issue 18), as the
attacker does; --check (it only reads) runs anywhere. No root, no lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab import linux
from vrrplab.bundled import check, daemon
from vrrplab.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "r1.bundled.json"
    path.write_text("{}")
    return path


@pytest.fixture
def never_starts(monkeypatch):
    """The daemon itself: a refusal must come before it."""
    started = []
    monkeypatch.setattr(daemon, "main", lambda path: started.append("run") or 0)
    monkeypatch.setattr(check, "check", lambda path: started.append("check") or 0)
    return started


def test_refuses_without_the_lab_marker(monkeypatch, config, never_starts):
    monkeypatch.delenv(linux.LAB_NODE_ENV, raising=False)
    result = CliRunner().invoke(main, ["speaker", "--config", str(config)])
    assert result.exit_code == 3, result.output
    assert "vrrplab speaker runs only inside a vrrplab lab node" in result.output
    assert "--outside-lab" in result.output and "Traceback" not in result.output
    assert never_starts == []


def test_refuses_in_the_namespace_of_pid_1(monkeypatch, config, never_starts):
    monkeypatch.setenv(linux.LAB_NODE_ENV, "r1")
    monkeypatch.setattr(linux.os, "readlink", lambda path: "net:[4026531840]")
    result = CliRunner().invoke(main, ["speaker", "--config", str(config)])
    assert result.exit_code == 3
    assert "not a lab node's network namespace" in result.output
    assert never_starts == []


def _init_cmdline(monkeypatch, tmp_path, argv: list[str]) -> None:
    path = tmp_path / "cmdline"
    path.write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    monkeypatch.setattr(linux, "INIT_CMDLINE", path)


def test_runs_in_its_routers_pid_namespace_whose_pid_1_shares_its_network(
        monkeypatch, tmp_path, config, never_starts):
    """A router has a PID namespace of its own: PID 1 there is its shell, in its network
    namespace; that is a lab node, not the host."""
    monkeypatch.setenv(linux.LAB_NODE_ENV, "r1")
    monkeypatch.setattr(linux.os, "readlink", lambda path: "net:[4026532999]")
    _init_cmdline(monkeypatch, tmp_path, ["bash", "--norc", "--noediting", "-is", "mininet:r1"])
    assert CliRunner().invoke(main, ["speaker", "--config", str(config)]).exit_code == 0
    # the host's init, or another router's shell, is not this node's
    for argv in (["/sbin/init"], ["bash", "-is", "mininet:r2"]):
        _init_cmdline(monkeypatch, tmp_path, argv)
        assert CliRunner().invoke(main, ["speaker", "--config", str(config)]).exit_code == 3
    assert never_starts == ["run"]


def test_runs_with_the_flag_or_to_check_only(monkeypatch, config, never_starts):
    monkeypatch.delenv(linux.LAB_NODE_ENV, raising=False)
    assert CliRunner().invoke(main, ["speaker", "--config", str(config), "--outside-lab"]).exit_code == 0
    assert CliRunner().invoke(main, ["speaker", "--config", str(config), "--check"]).exit_code == 0
    assert never_starts == ["run", "check"]


def test_a_lab_node_passes(monkeypatch):
    monkeypatch.setenv(linux.LAB_NODE_ENV, "r1")
    links = iter(["net:[4026532001]", "net:[4026531840]"])  # ours, then PID 1's
    monkeypatch.setattr(linux.os, "readlink", lambda path: next(links))
    assert linux.outside_lab_node("vrrplab speaker") is None


def test_python_m_vrrplab_bundled_refuses_too(config):
    """The door the runner uses (BundledSpeaker.command) keeps the rule, without click."""
    env = {k: v for k, v in os.environ.items() if k != linux.LAB_NODE_ENV}
    proc = subprocess.run([sys.executable, "-m", "vrrplab.bundled", "--config", str(config)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=30)
    assert proc.returncode == 3
    assert "runs only inside a vrrplab lab node" in proc.stderr and "Traceback" not in proc.stderr


def test_the_lab_gives_its_processes_the_marker():
    """Lab.popen (how the runner and the shell start every speaker) sets the marker."""
    import inspect

    from vrrplab.lab.network import Lab

    assert "LAB_NODE_ENV: node" in inspect.getsource(Lab.popen)
