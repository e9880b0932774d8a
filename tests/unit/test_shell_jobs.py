"""`vrrplab shell`'s jobs and prompt without a lab: a node's command is a local process in
a session of its own (as `mnexec -d` makes it), the session a fake. No root."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from rich.console import Console

from vrrplab.errors import LabError
from vrrplab.loader import load_topology
from vrrplab.shell.jobs import Jobs, Terminal
from vrrplab.shell.prompt import Prompt
from tests.conftest import ROOT


class LocalLab:
    """Lab.popen's contract, on this machine: the command leads its own session."""

    def popen(self, node, argv, **kwargs):
        return subprocess.Popen(argv, start_new_session=True, **kwargs)


class Printed:
    """What the jobs printed so far (pytest's capture of stdout, accumulated)."""

    def __init__(self, capsys):
        self.capsys, self.text = capsys, ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().out
        return self.text


@pytest.fixture
def printed(capsys):
    return Printed(capsys)


def _wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_background_job_prints_line_by_line_and_stops_as_ctrl_c_would(printed):
    jobs = Jobs(LocalLab(), Terminal())
    script = "trap 'echo goodbye; exit 0' INT; echo started; while :; do sleep 0.05; done"
    job = jobs.background("c1", script)
    _wait_for(lambda: "[1] started" in printed.getvalue())
    assert [j.number for j in jobs.running()] == [1]
    assert jobs.stop(1) is job and job.proc.returncode is not None
    assert "[1] goodbye" in printed.getvalue()
    assert "[1] ended (exit 0)" in printed.getvalue() and not jobs.running()
    assert jobs.stop(1) is None


def test_a_job_that_ignores_ctrl_c_is_terminated(printed, monkeypatch):
    monkeypatch.setattr("vrrplab.shell.jobs.GRACE_S", 0.3)
    jobs = Jobs(LocalLab(), Terminal())
    jobs.background("c1", "trap '' INT; echo deaf; while :; do sleep 0.05; done")
    _wait_for(lambda: "[1] deaf" in printed.getvalue())
    jobs.stop_all()
    assert "[1] stopped (SIGTERM)" in printed.getvalue()


def test_a_line_from_a_job_is_drawn_above_the_prompt():
    terminal = Terminal()
    out = io.StringIO()
    out.isatty = lambda: True
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        terminal.prompt = "vrrplab> "
        terminal.line("[1] 64 bytes from 192.168.1.1")
    assert out.getvalue().startswith("\r\x1b[K[1] 64 bytes from 192.168.1.1\nvrrplab> ")


class FakeSession:
    def __init__(self, tmp_path, fail_with):
        self.topology = load_topology(ROOT / "topologies/textbook.yaml")
        self.out = tmp_path
        self.fail_with = fail_with
        self.frozen = set()
        self.speakers = {}

    def crash(self, router):
        raise self.fail_with


@pytest.mark.parametrize("error, says", [
    (LabError("r1: ip link set dev eth0 down failed: busy"), "r1: ip link set dev eth0 down"),
    (ZeroDivisionError("a bug"), "a bug (details in"),
])
def test_the_prompt_says_one_line_and_goes_on(tmp_path, error, says):
    out = io.StringIO()
    prompt = Prompt(FakeSession(tmp_path, error), Terminal(), Console(file=out, width=200))
    assert prompt.onecmd("crash r1") is False
    assert prompt.onecmd("crash c1") is False
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and says in lines[0] and "not a router" in lines[1]
    assert "Traceback" not in out.getvalue()
    if isinstance(error, ZeroDivisionError):
        assert "ZeroDivisionError" in (tmp_path / "shell-errors.log").read_text()


def test_exit_and_help(tmp_path):
    out = io.StringIO()
    prompt = Prompt(FakeSession(tmp_path, None), Terminal(), Console(file=out, width=200))
    assert prompt.onecmd("help") is False
    assert "r1 systemctl stop|start|restart|status keepalived" in out.getvalue()
    assert "c1 ping 192.168.1.1 &" in out.getvalue()
    assert prompt.onecmd("exit") is True


def test_ctrl_c_at_the_prompt_hints_then_leaves(tmp_path, monkeypatch):
    out = io.StringIO()
    prompt = Prompt(FakeSession(tmp_path, None), Terminal(), Console(file=out, width=200))
    calls = []

    def cmdloop():
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(prompt, "cmdloop", cmdloop)
    prompt.loop()
    assert len(calls) == 2 and "Ctrl-C again" in out.getvalue()


def test_a_line_in_between_resets_the_ctrl_c_count(tmp_path, monkeypatch):
    prompt = Prompt(FakeSession(tmp_path, None), Terminal(), Console(file=io.StringIO()))
    calls = []

    def cmdloop():
        calls.append(1)
        if len(calls) == 2:
            prompt.precmd("state")  # a line was typed after the first Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(prompt, "cmdloop", cmdloop)
    prompt.loop()
    assert len(calls) == 3


def test_tab_completes_nodes_commands_and_routers(tmp_path):
    prompt = Prompt(FakeSession(tmp_path, None), Terminal(), Console(file=io.StringIO()))
    assert prompt.completenames("r") == ["r1 ", "r2 "]
    assert "state " in prompt.completenames("st")
    assert prompt.completedefault("r", "crash r", 6, 7) == ["r1 ", "r2 "]
    assert "systemctl " in prompt.completedefault("sys", "r1 sys", 3, 6)


def test_ctrl_c_reaches_a_job_even_when_vrrplab_inherited_it_ignored(printed):
    # started in the background by a script (nohup, `&`, some CI runners), the process
    # inherits SIGINT ignored: its jobs must not, or "as Ctrl-C would" stops nothing
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        jobs = Jobs(LocalLab(), Terminal())
        job = jobs.background("c1", "trap 'echo goodbye; exit 0' INT; echo started; "
                                    "while :; do sleep 0.05; done")
        _wait_for(lambda: "[1] started" in printed.getvalue())
        jobs.stop(1)
        assert "[1] goodbye" in printed.getvalue() and job.proc.returncode == 0
    finally:
        signal.signal(signal.SIGINT, previous)
