"""vrrplab lint: the lesson's configs, the catalogue's rendered ones, a corpus of student
pairs (tests/unit/data/student_configs/manifest.yaml), and known-bad input for each rule."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from vrrplab.errors import InputError
from vrrplab.lint.command import lint_command, lint_paths
from vrrplab.loader import list_scenarios, load_scenario
from vrrplab.speakers.keepalived_conf import render_keepalived_conf
from vrrplab.speakers.keepalived_read import read_config

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "data" / "student_configs"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
LESSON = Path(__file__).parent / "data" / "seed_lesson"  # the seed's two files, verbatim


def line_of(path: Path, text: str) -> int:
    """The line where `text` first starts in the file (the manifest's `at`)."""
    content = path.read_text()
    assert text in content, f"{path}: {text!r} not found"
    return content[:content.index(text)].count("\n") + 1


def found(result, code: str) -> list[tuple[str, int]]:
    return [(Path(f.where.file).name, f.where.line) for f in result.findings if f.code == code]


def _lint_in(folder: Path, *names: str, keepalived: bool = False):
    """Lint from inside the folder, so files are named as a student types them."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        return lint_paths([Path(n) for n in names], keepalived=keepalived)
    finally:
        os.chdir(here)


# --- the corpus ------------------------------------------------------------------------

def test_the_corpus_holds_at_least_30_pairs():
    assert len(MANIFEST) >= 30
    for name in MANIFEST:
        assert (CORPUS / name / "r1.conf").is_file() and (CORPUS / name / "r2.conf").is_file()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_student_pair_gives_its_findings(name):
    case = MANIFEST[name]
    result = _lint_in(CORPUS / name, "r1.conf", "r2.conf")
    for want in case["expect"]:
        line = line_of(CORPUS / name / want["file"], want["at"])
        assert (want["file"], line) in found(result, want["code"]), \
            f"{name}: expected {want} at line {line}; got " + \
            "; ".join(f"{f.where} {f.code}" for f in result.findings)
    expected_codes = {w["code"] for w in case["expect"]}
    stray = [f for f in result.findings if f.severity == "error" and f.code not in expected_codes]
    assert not stray, f"{name}: unexpected errors {[(str(f.where), f.code) for f in stray]}"
    assert result.exit_code == (1 if any(f.severity == "error" for f in result.findings) else 0)


# --- the lesson's two files, as printed --------------------------------------------------

def _seed_pair(folder: Path) -> tuple[Path, Path]:
    """The lesson's files (tests/unit/data/seed_lesson), as a student hands them in."""
    for name in ("r1.conf", "r2.conf"):
        (folder / name).write_text((LESSON / name).read_text())
    return folder / "r1.conf", folder / "r2.conf"


def test_the_lessons_configs_lint_with_their_line_numbers(tmp_path):
    _seed_pair(tmp_path)
    result = _lint_in(tmp_path, "r1.conf", "r2.conf")
    assert ("r1.conf", 20) in found(result, "track-script-later")  # its track_script line
    assert ("r2.conf", 19) in found(result, "track-script-later")
    assert ("r1.conf", 20) in found(result, "weight-tie")  # 120 - 20 = 100 = r2's 100
    assert ("r1.conf", 11) in found(result, "long-auth-pass")  # SecurePassword123
    assert ("r1.conf", 26) in found(result, "own-process-check")  # killall -0 keepalived
    tie = next(f for f in result.findings if f.code == "weight-tie")
    assert tie.scenario == "healthcheck-tie" and "100" in str(tie.message)
    assert result.exit_code == 1


# --- the catalogue's own configs ---------------------------------------------------------

# the scenarios that make a mistake on purpose, to show what it does: the lint says it
ON_PURPOSE = {"auth-mismatch": {"auth-differs"}, "healthcheck-tie": {"weight-tie"}}


@pytest.mark.parametrize("path", list_scenarios(), ids=lambda p: p.stem)
def test_every_scenarios_rendered_configs_lint_without_error(tmp_path, path):
    topo = load_scenario(path).topology
    files = []
    for router in topo.routers:
        conf = tmp_path / f"{router.name}.conf"
        conf.write_text(render_keepalived_conf(topo, router.name, tmp_path))
        files.append(conf)
    result = lint_paths(files, keepalived=False)
    errors = [f"{f.where} {f.code} {f.message}" for f in result.findings if f.severity == "error"]
    on_purpose = ON_PURPOSE.get(path.stem, set())
    assert {f.code for f in result.findings if f.severity == "error"} == on_purpose, errors


def test_every_scenario_a_finding_names_exists():
    from vrrplab.lint.rules import SCENARIOS

    names = {p.stem for p in list_scenarios()}
    assert set(SCENARIOS.values()) <= names


# --- the command ------------------------------------------------------------------------

def test_json_output_and_exit_codes(tmp_path):
    pair = CORPUS / "03-vrid-differs"
    text, code = lint_command([pair / "r1.conf", pair / "r2.conf"], json_output=True,
                              keepalived=False)
    doc = json.loads(text)
    assert code == 1 and doc["exit_code"] == 1 and doc["counts"]["error"] >= 1
    finding = next(f for f in doc["findings"] if f["code"] == "vrid-differs")
    assert finding["severity"] == "error" and finding["line"] == 6
    assert finding["scenario"] == "firewall-blocks-vrrp" and finding["file"].endswith("r2.conf")
    ok = CORPUS / "02-correct"
    assert lint_command([ok / "r1.conf", ok / "r2.conf"], keepalived=False)[1] == 0


@pytest.mark.parametrize("make", [
    lambda d: d / "missing.conf",
    lambda d: Path("/dev/zero"),
    lambda d: (d / "latin1.conf").write_bytes(b"! caf\xe9\n") and d / "latin1.conf",
    lambda d: (d / "big.conf").write_bytes(b"#" * (300 * 1024)) and d / "big.conf",
    lambda d: (d / "fifo.conf", os.mkfifo(d / "fifo.conf"))[0],
], ids=["missing", "dev-zero", "latin1", "too-big", "fifo"])
def test_an_unreadable_file_is_one_line_exit_2(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(InputError) as err:
        lint_command([path], keepalived=False)
    assert err.value.exit_code == 2
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_an_unreadable_included_file_names_the_include_line(tmp_path):
    (tmp_path / "r1.conf").write_text("! r1\ninclude part.conf\n")
    (tmp_path / "part.conf").write_bytes(b"\xff\n")
    with pytest.raises(InputError) as err:
        lint_command([tmp_path / "r1.conf"], keepalived=False)
    assert "r1.conf:2" in str(err.value) and "part.conf" in str(err.value)


def test_the_cli_command(tmp_path):
    from vrrplab.cli import main

    if "lint" not in main.commands:
        pytest.skip("cli.py without the lint command")
    pair = CORPUS / "14-weight-tie"
    runner = CliRunner()
    got = runner.invoke(main, ["lint", "--no-keepalived", str(pair / "r1.conf"),
                               str(pair / "r2.conf")])
    assert got.exit_code == 1, got.output
    assert "r1.conf:" in got.output and "error:" in got.output and "healthcheck-tie" in got.output
    got = runner.invoke(main, ["lint", "--json", "--no-keepalived", str(pair / "r1.conf")])
    assert json.loads(got.output)["files"] == [str(pair / "r1.conf")]
    got = runner.invoke(main, ["lint", str(tmp_path / "nothing.conf")])
    assert got.exit_code == 2 and "nothing.conf" in got.output


# --- keepalived -t (root, keepalived installed) ------------------------------------------

needs_keepalived = pytest.mark.skipif(
    shutil.which("keepalived") is None or os.geteuid() != 0,
    reason="keepalived -t needs root and keepalived")


@needs_keepalived
def test_keepalived_t_lines_become_findings_at_their_line(tmp_path):
    conf = tmp_path / "r1.conf"
    conf.write_text("vrrp_instance A {\n  state BACKUP\n  interface eth0\n"
                    "  virtual_router_id 10\n  priority 100\n  foo_bar 12\n"
                    "  virtual_ipaddress {\n    192.168.1.1/24\n  }\n}\n")
    result = lint_paths([conf], keepalived=True)
    said = [f for f in result.findings if f.code == "keepalived-t"]
    ours = found(result, "unknown-keyword")
    assert ("r1.conf", 6) in ours  # keepalived says 'Unknown keyword' there too: not twice
    assert not any(f.where.line == 6 for f in said), [str(f.message) for f in said]
    conf.write_text(conf.read_text().replace("foo_bar 12", "garp_master_delay -5"))
    result = lint_paths([conf], keepalived=True)
    assert result.keepalived_checked


# --- known-bad input for every finding's code ----------------------------------------

BASE = """vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id {vrid}
    priority {priority}
    advert_int {advert}
{extra}    virtual_ipaddress {{
        192.168.1.1/24
    }}
}}
"""


def _conf(state="BACKUP", vrid=10, priority=100, advert=1, extra="", head="", tail=""):
    return head + BASE.format(state=state, vrid=vrid, priority=priority, advert=advert,
                              extra=extra) + tail


# code -> (r1.conf, r2.conf or None): one known-bad input each, beside the corpus
KNOWN_BAD = {
    "no-instance": ("global_defs {\n    router_id R1\n}\n", None),
    "script-missing": (_conf(head="vrrp_script chk {\n    interval 2\n}\n",
                             extra="    track_script {\n        chk\n    }\n"), None),
    "instance-missing": (_conf() + _conf().replace("VI_1", "VI_2").replace(
        "virtual_router_id 10", "virtual_router_id 11"), _conf(priority=90)),
    "advert-int-differs": (_conf(head="global_defs {\n    vrrp_version 3\n}\n", priority=120),
                           _conf(advert=0.5, head="global_defs {\n    vrrp_version 3\n}\n")),
    "bad-include": (_conf(tail="include a.conf b.conf\n"), None),
    "missing-block": ("vrrp_instance VI_1\n", None),
    "missing-name": ("vrrp_script {\n}\n", None),
    "duplicate": (_conf() + _conf(), None),
    "include-outside": (_conf(tail="include /etc/hostname\n"), None),
    "same-priority": (_conf(priority=100, extra="    unicast_src_ip 192.168.1.10\n"),
                      _conf(priority=100, extra="    unicast_src_ip 192.168.1.20\n")),
}


def _codes_in_source() -> set[str]:
    import re

    from vrrplab.lint.rules import SCENARIOS

    codes = set()
    for module in ("vrrplab/lint/rules.py", "vrrplab/speakers/keepalived_read.py"):
        text = (ROOT / module).read_text()
        codes |= set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', text))  # hyphenated literals
    return codes - set(SCENARIOS.values())


def test_every_finding_has_known_bad_input():
    covered = {w["code"] for case in MANIFEST.values() for w in case["expect"]} | set(KNOWN_BAD)
    covered |= {"include-depth", "unclosed-quote"}  # test_keepalived_read.py and the corpus
    assert _codes_in_source() - covered == set()


@pytest.mark.parametrize("code", sorted(KNOWN_BAD))
def test_known_bad_input_gives_its_finding(tmp_path, code):
    r1, r2 = KNOWN_BAD[code]
    (tmp_path / "r1.conf").write_text(r1)
    names = ["r1.conf"]
    if r2 is not None:
        (tmp_path / "r2.conf").write_text(r2)
        names.append("r2.conf")
    result = _lint_in(tmp_path, *names)
    assert code in {f.code for f in result.findings}, [f.code for f in result.findings]


def test_a_tie_names_the_winner_by_address(tmp_path):
    r1, r2 = KNOWN_BAD["same-priority"]
    (tmp_path / "r1.conf").write_text(r1)
    (tmp_path / "r2.conf").write_text(r2)
    result = _lint_in(tmp_path, "r1.conf", "r2.conf")
    tie = next(f for f in result.findings if f.code == "same-priority")
    assert "RFC 5798 6.4.3" in str(tie.message) and str(tie.message).endswith(
        ": r2.conf, not the one written MASTER")


def test_an_include_outside_the_folder_is_not_read_nor_shown_to_keepalived(tmp_path):
    (tmp_path / "r1.conf").write_text(_conf(tail="include ../../../../etc/passwd\n"))
    result = _lint_in(tmp_path, "r1.conf", keepalived=True)
    assert "include-outside" in {f.code for f in result.findings}
    assert not any("root:" in str(f.message) for f in result.findings)
    assert any(f.code == "keepalived-t" and "not run" in str(f.message)
               for f in result.findings)


def test_what_a_file_says_is_escaped_in_findings(tmp_path):
    (tmp_path / "r1.conf").write_text(_conf(extra="    \x1b]0;owned\x07bad 1\n"))
    result = _lint_in(tmp_path, "r1.conf")
    unknown = next(f for f in result.findings if f.code == "unknown-keyword")
    assert "\x1b" not in str(unknown.message) and "\\x1b" in str(unknown.message)


def test_a_script_file_that_pings_is_read(tmp_path):
    script = tmp_path / "check_gateway.sh"
    script.write_text("#!/bin/bash\n# Check Internet connectivity via ping\n"
                      "ping -c 1 -W 1 8.8.8.8 > /dev/null 2>&1\nexit $?\n")
    head = f'vrrp_script chk_gateway {{\n    script "{script}"\n    weight -30\n}}\n'
    (tmp_path / "r1.conf").write_text(
        _conf(head=head, extra="    track_script {\n        chk_gateway\n    }\n"))
    result = _lint_in(tmp_path, "r1.conf")
    ping = next(f for f in result.findings if f.code == "ping-check")
    assert "8.8.8.8" in str(ping.message) and ping.where.line == 2
    assert ping.scenario == "healthcheck-fail"


def test_keepalived_t_output_is_placed_deduplicated_and_capped(tmp_path, monkeypatch):
    """keepalived -t's three shapes of line, without root: its output given."""
    import subprocess

    from vrrplab.lint import command

    conf = tmp_path / "r1.conf"
    conf.write_text(_conf())
    said = "\n".join(
        [f"({conf}: Line 4) Truncating auth_pass to 8 characters",  # at its line
         "(Line 6) Extra '}' found",  # the main file's line
         "(VI_1) Warning - something about the instance",  # at the instance's line
         "(VI_1) Warning - something about the instance",  # said once
         "WARNING - interface eth0 for vrrp_instance VI_1 doesn't exist",  # this machine's
         "Disabling track script chk since not found/accessible"]  # a note
        + [f"({conf}: Line 9) repeated {n}" for n in range(40)])
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 0, stdout=said, stderr=""))
    found_ = command.keepalived_findings(read_config(conf), known=set())
    places = [(f.where.line, f.severity, str(f.message)) for f in found_]
    assert places[0] == (4, "warning", "keepalived -t says: Truncating auth_pass to 8 characters")
    assert places[1][0] == 6 and places[2][0] == 1  # VI_1 starts on line 1
    assert sum("something about" in p[2] for p in places) == 1
    assert not any("doesn't exist" in p[2] for p in places)
    assert places[3][1] == "note"
    assert len(found_) == command.MAX_KEEPALIVED_LINES + 1
    assert str(found_[-1].message) == "keepalived -t said 24 more lines"
