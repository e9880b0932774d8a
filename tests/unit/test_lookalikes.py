"""Look-alikes (issue 18): a name resolves only to what `vrrplab list` shows; a file
elsewhere runs when named by its path."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.loader import PROJECT_ROOT, find_scenario, list_scenarios
from vrrplab.shell.launch import find_lab

ROOT = Path(__file__).resolve().parents[2]
IMPOSTOR = "name: failover-basic\ndescription: someone else's\ntopology: textbook\nsteps: []\n"


def _plant(folder: Path) -> Path:
    """A ./scenarios/failover-basic.yaml and a ./topologies/textbook.yaml in `folder`."""
    for sub, name in (("scenarios", "failover-basic"), ("topologies", "textbook")):
        (folder / sub).mkdir()
        (folder / sub / f"{name}.yaml").write_text(IMPOSTOR)
    return folder / "scenarios" / "failover-basic.yaml"


def test_a_name_is_the_catalogues_never_the_current_folders(tmp_path, monkeypatch):
    local = _plant(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = find_scenario("failover-basic")
    assert found == PROJECT_ROOT / "scenarios" / "failover-basic.yaml"
    assert found in list_scenarios()
    assert find_lab("textbook") == PROJECT_ROOT / "topologies" / "textbook.yaml"
    assert find_lab("failover-basic") == found


def test_a_file_elsewhere_runs_when_named_by_its_path(tmp_path, monkeypatch):
    local = _plant(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert find_scenario("scenarios/failover-basic.yaml") == Path("scenarios/failover-basic.yaml")
    assert find_scenario(str(local)) == local
    assert find_lab("./topologies/textbook.yaml") == Path("./topologies/textbook.yaml")


def test_list_shows_what_a_name_runs(tmp_path, monkeypatch):
    _plant(tmp_path)
    monkeypatch.chdir(tmp_path)
    listed = CliRunner().invoke(main, ["list"]).output
    assert "someone else's" not in listed
    for path in list_scenarios():
        assert path.parent == ROOT / "scenarios"
        assert find_scenario(path.stem) == path


def test_a_name_outside_the_catalogue_is_refused_naming_the_known(tmp_path, monkeypatch):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text(IMPOSTOR.replace("failover-basic", "mine"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "mine"])
    assert result.exit_code == 2
    assert "mine: no such scenario (known: " in result.output and "failover-basic" in result.output
