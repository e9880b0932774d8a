"""Paths and files (issue 18): a run writes only in a folder it made itself; `report`
replaces links, never writes through them; an unwritable --out is one line, exit 2, before
anything starts. No root needed, no lab: the machine checks are stopped short."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit import synthetic
from vrrplab import rundir
from vrrplab.analysis.results import build_results, write_results
from vrrplab.cli import main
from vrrplab.errors import EnvironmentProblem, InputError

ROOT = Path(__file__).resolve().parents[2]


# --- the run directory ------------------------------------------------------------------

def test_a_run_dir_is_new_its_name_unpredictable_and_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = rundir.make_run_dir(Path("out") / "failover-basic", "20260101-120000-42")
    second = rundir.make_run_dir(Path("out") / "failover-basic", "20260101-120000-42")
    assert first != second and first.is_absolute() and first == first.resolve()
    assert re.fullmatch(r"20260101-120000-42-[0-9a-f]{8}", first.name)
    assert first.parent == tmp_path / "out" / "failover-basic"  # OUT/SCENARIO/STAMP...


def test_a_link_planted_at_the_name_is_never_used(tmp_path, monkeypatch):
    """Even a planted name that is guessed right: the mkdir fails on it, another is made."""
    parent, elsewhere = tmp_path / "out" / "failover-basic", tmp_path / "elsewhere"
    parent.mkdir(parents=True)
    (parent / "STAMP-00000000").symlink_to(elsewhere)  # dangling: mkdir -p would follow it
    names = iter(["00000000", "11111111"])
    monkeypatch.setattr(rundir.secrets, "token_hex", lambda n: next(names))
    made = rundir.make_run_dir(parent, "STAMP")
    assert made == parent / "STAMP-11111111" and made.is_dir() and not made.is_symlink()
    assert not elsewhere.exists()


def test_an_unmakeable_run_dir_is_an_input_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="expected a folder vrrplab can write in"):
        rundir.make_run_dir(tmp_path / "file" / "sub", "STAMP")


# --- an unwritable --out -----------------------------------------------------------------

@pytest.mark.parametrize("out", ["/dev/null", "/dev/null/reports", "/proc", "/proc/reports"])
def test_check_out_refuses_what_cannot_hold_a_folder(out):
    with pytest.raises(InputError) as err:
        rundir.check_out(Path(out))
    assert f"--out {out}: expected a folder vrrplab can write in" in str(err.value)


def test_check_out_refuses_a_read_only_mount(tmp_path, monkeypatch):
    def read_only(**_kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(rundir.tempfile, "mkdtemp", read_only)
    with pytest.raises(InputError, match="Read-only file system"):
        rundir.check_out(tmp_path)


def test_check_out_leaves_nothing_behind(tmp_path):
    rundir.check_out(tmp_path / "not" / "yet")
    rundir.check_out(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def machine_unchecked(monkeypatch):
    """Past --out, the commands would check root and tools: stop them there (exit 3)."""
    from vrrplab.bench import command
    from vrrplab.lab import sandbox

    def stop(*_args, **_kwargs):
        raise EnvironmentProblem("test: the machine check, where this test stops")

    monkeypatch.setattr(sandbox, "require_root", stop)
    monkeypatch.setattr(command, "check_machine", stop)


@pytest.mark.parametrize("argv", [["run", "failover-basic"], ["shell", "failover-basic"],
                                  ["bench", "failover-basic"],
                                  ["sweep", "failover-basic", "--set", "advert_int=1"]],
                         ids=lambda a: a[0])
@pytest.mark.parametrize("out", ["/dev/null", "/proc"])
def test_an_unwritable_out_is_one_line_exit_2_before_anything(machine_unchecked, argv, out):
    result = CliRunner().invoke(main, [*argv, "--out", out])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vrrplab: --out {out}: "), lines
    assert "test: the machine check" not in result.output


def test_a_writable_out_goes_on_to_the_machine_check(machine_unchecked, tmp_path):
    result = CliRunner().invoke(main, ["run", "failover-basic", "--out", str(tmp_path / "r")])
    assert result.exit_code == 3 and "the machine check" in result.stderr
    assert not (tmp_path / "r").exists()  # nothing made before the machine is known fit


# --- report: links replaced, never written through ---------------------------------------

@pytest.mark.parametrize("name", ["timeline.png", "report.html"])
def test_report_replaces_a_link_never_writes_through_it(tmp_path, name):
    run = tmp_path / "run"
    run.mkdir()
    write_results(build_results(synthetic.record(run)), run)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (run / name).symlink_to(victim)
    result = CliRunner().invoke(main, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    assert not (run / name).is_symlink() and (run / name).stat().st_size > 0
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary left


def test_replace_file_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "timeline.png"
    target.write_text("old")

    def broken(new: Path) -> None:
        new.write_text("half")
        raise RuntimeError("the plot failed")

    with pytest.raises(RuntimeError):
        rundir.replace_file(target, broken)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["timeline.png"]
    assert rundir.replace_file(target, lambda new: False) is None  # nothing to draw
    assert target.read_text() == "old"
