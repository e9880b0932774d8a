"""keepalived.conf rendering against golden files (the lesson's config, corrected)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vrrplab.loader import load_topology
from vrrplab.speakers.keepalived_conf import render_keepalived_conf

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("router", ["r1", "r2"])
def test_textbook_config_matches_golden(router):
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    expected = (GOLDEN / f"textbook-{router}.keepalived.conf").read_text()
    assert render_keepalived_conf(topo, router) == expected


def test_v3_nopreempt_render():
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    vrrp = dataclasses.replace(topo.vrrp, version=3, advert_int=0.1, auth_pass=None, preempt=False)
    text = render_keepalived_conf(dataclasses.replace(topo, vrrp=vrrp), "r2")
    assert "    vrrp_version 3\n" in text
    assert "    advert_int 0.1\n" in text
    assert "    nopreempt\n" in text
    assert "authentication" not in text


# --- a track script's path: spaces and accents (a teacher's "Mes TP" folder), issue 18 ---

FOLDERS = ["Mes TP", "élève", "l'école", 'a"b c', "back\\slash x", "tab\tx", "h#x! {y}",
           "d$x `y` ;&|", "日本 語"]


def _with_scripts(folder: Path) -> tuple[str, Path]:
    """r1's keepalived.conf for healthcheck-fail rendered into `folder`, and its script."""
    from vrrplab.loader import load_scenario
    from vrrplab.speakers.keepalived_conf import script_path

    topo = load_scenario(ROOT / "scenarios/healthcheck-fail.yaml").topology
    folder.mkdir(parents=True)
    script = script_path(folder, "r1", "chk_gateway")
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    return render_keepalived_conf(topo, "r1", folder), script


@pytest.mark.parametrize("name", FOLDERS)
def test_a_script_path_is_one_word_whatever_its_folder(tmp_path, name):
    from vrrplab.speakers.keepalived_conf import script_word

    text, script = _with_scripts(tmp_path / name)
    line = next(line for line in text.splitlines() if line.strip().startswith("script "))
    assert line == f"    script {script_word(script)}"
    assert line.count('"') == 2  # the line's own quotes only
    assert "Mes\\\\ TP" in script_word(Path("/x/Mes TP/r1.sh"))
    assert script_word(Path("/x/élève/r1.sh")) == '"/x/élève/r1.sh"'  # letters as they are


def _keepalived_check(conf: Path) -> str:
    import subprocess

    result = subprocess.run(["keepalived", "-t", "-f", str(conf)], capture_output=True,
                            text=True, timeout=30)
    return result.stdout + result.stderr


needs_keepalived = pytest.mark.skipif(
    __import__("shutil").which("keepalived") is None or __import__("os").geteuid() != 0,
    reason="keepalived -t (as root: enable_script_security) checks the script's path")


@needs_keepalived
@pytest.mark.parametrize("name", FOLDERS)
def test_keepalived_finds_the_script_in_any_folder(tmp_path, name):
    """keepalived -t outside any lab: the lab's interfaces are not here (with an unknown
    one keepalived stops before the scripts), so the test puts lo in their place."""
    text, script = _with_scripts(tmp_path / name)
    conf = tmp_path / "r1.keepalived.conf"
    conf.write_text(text.replace("eth0", "lo").replace("eth1", "lo"))
    said = _keepalived_check(conf)
    assert "chk_gateway" not in said and "not found" not in said and "quote" not in said, said
    script.unlink()  # the control: a missing script is reported, so the check means something
    assert "not found" in _keepalived_check(conf)
