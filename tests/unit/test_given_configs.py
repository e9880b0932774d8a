"""`vrrplab run SCENARIO --config r1=PATH ...`: the routers' own keepalived.conf, no root.

What the lab cannot run is refused before anything starts (exit 2, file and line); what is
only wrong runs, and lint's findings travel with the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.speakers.given import parse_options, with_given_configs

LESSON = Path(__file__).parent / "data" / "seed_lesson"
PAIRS = Path(__file__).parent / "data" / "student_configs"


def _lesson() -> dict[str, Path]:
    return {"r1": LESSON / "r1.conf", "r2": LESSON / "r2.conf"}


def _basic():
    return load_scenario(find_scenario("failover-basic"))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _instance(priority: int, interface: str = "eth0", vip: str = "192.168.1.1/24",
              extra: str = "") -> str:
    return (f"vrrp_instance VI_1 {{\n state BACKUP\n interface {interface}\n"
            f" virtual_router_id 10\n priority {priority}\n advert_int 1\n{extra}"
            f" virtual_ipaddress {{\n  {vip}\n }}\n}}\n")


def test_the_lessons_pair_becomes_the_scenarios_vrrp():
    scenario = with_given_configs(_basic(), _lesson())
    vrrp = scenario.topology.vrrp
    assert [i.name for i in vrrp.instances] == ["VRRP_GATEWAY"]
    assert vrrp.instances[0].vrid == 10 and vrrp.sync_group is None
    assert [(r.name, r.priority, r.state) for r in vrrp.routers] == [
        ("r1", 120, "MASTER"), ("r2", 100, "BACKUP")]
    assert scenario.given.path_of("r1") == (LESSON / "r1.conf").resolve()
    # the lesson's files give the LAN's VIP only: the upstream host has no way back
    # (its route goes through the topology's upstream VIP), so the client pings its gateway
    assert [str(t) for t in scenario.probe.targets] == ["192.168.1.1"]
    codes = {f.code for f in scenario.given.findings}
    assert {"track-script-later", "long-auth-pass"} <= codes, codes


def test_the_findings_go_into_results_in_both_languages():
    document = with_given_configs(_basic(), _lesson()).given.as_results()
    assert document["files"]["r2"]["copy"] == "r2.given.conf"
    finding = next(f for f in document["findings"] if f["code"] == "track-script-later")
    assert finding["line"] == 20 and finding["severity"] == "error"
    assert finding["said"] and finding["message"]


def test_the_rendered_scenario_keeps_its_upstream_probe_without_configs():
    assert [str(t) for t in _basic().probe.targets] == ["192.168.1.1", "203.0.113.100"]


@pytest.mark.parametrize("values, expected", [
    (["r1"], "expected ROUTER=PATH"),
    (["=r1.conf"], "expected ROUTER=PATH"),
    (["r1=a", "r1=b"], "r1 given twice"),
])
def test_bad_options_are_refused(values, expected):
    with pytest.raises(InputError, match=expected):
        parse_options(values)


def test_every_router_needs_a_file_and_only_the_labs():
    with pytest.raises(InputError) as error:
        with_given_configs(_basic(), {"r1": LESSON / "r1.conf", "r3": LESSON / "r2.conf"})
    assert "r3=...: the lab's routers are r1, r2" in str(error.value)
    assert "missing r2" in str(error.value)


def test_an_interface_the_router_lacks_names_the_line(tmp_path):
    r1 = _write(tmp_path, "r1.conf", _instance(120, interface="ens33"))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    with pytest.raises(InputError, match=r"r1.conf:3: interface ens33: the lab's r1 has eth0, eth1"):
        with_given_configs(_basic(), {"r1": r1, "r2": r2})


def test_a_vip_outside_the_subnet_names_the_line(tmp_path):
    r1 = _write(tmp_path, "r1.conf", _instance(120, vip="10.0.0.1/24"))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    with pytest.raises(InputError, match=r"r1.conf:8: 10.0.0.1/24 is outside eth0's subnet "
                                         r"192.168.1.0/24"):
        with_given_configs(_basic(), {"r1": r1, "r2": r2})


def test_a_file_without_an_instance_is_refused(tmp_path):
    r1 = _write(tmp_path, "r1.conf", "global_defs {\n router_id r1\n}\n")
    with pytest.raises(InputError, match="r1.conf: expected a vrrp_instance block"):
        with_given_configs(_basic(), {"r1": r1, "r2": LESSON / "r2.conf"})


def test_what_the_bundled_speaker_lacks_is_refused_by_line(tmp_path):
    peers = " unicast_peer {\n  192.168.1.20\n }\n"
    r1 = _write(tmp_path, "r1.conf", _instance(120, extra=peers))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    given = {"r1": r1, "r2": r2}
    assert with_given_configs(_basic(), given, "keepalived").given  # keepalived runs it
    with pytest.raises(InputError, match=r"r1.conf:8: unicast_peer: the bundled speaker"):
        with_given_configs(_basic(), given, "bundled")


def test_equal_priorities_run_and_are_a_finding(tmp_path):
    """Wrong but runnable: the lab shows the consequence rather than refusing it."""
    r1 = _write(tmp_path, "r1.conf", _instance(100))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    scenario = with_given_configs(_basic(), {"r1": r1, "r2": r2})
    assert [r.priority for r in scenario.topology.vrrp.routers] == [100, 100]


def test_every_corpus_pair_either_runs_or_says_why(tmp_path):
    """The 42 student-like pairs: each becomes a scenario or one clear InputError."""
    for pair in sorted(p for p in PAIRS.iterdir() if p.is_dir()):
        given = {"r1": pair / "r1.conf", "r2": pair / "r2.conf"}
        try:
            with_given_configs(_basic(), given)
        except InputError as error:
            assert str(error).strip() and "Traceback" not in str(error), pair.name


def test_the_cli_refuses_before_anything_starts(tmp_path):
    result = CliRunner().invoke(main, ["run", "failover-basic", "--config", "r1=nowhere.conf",
                                       "--config", f"r2={LESSON / 'r2.conf'}",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "nowhere.conf" in result.output
    assert not (tmp_path / "out").exists()


def test_script_options_put_a_file_in_one_router_or_all(tmp_path):
    from vrrplab.speakers.given import parse_scripts
    source = _write(tmp_path, "check.sh", "#!/bin/sh\nping -c 1 8.8.8.8\n")
    # /usr/local/bin: a folder every Debian has (/etc/keepalived comes with keepalived)
    assert parse_scripts([f"r1:/usr/local/bin/check.sh={source}"], ["r1", "r2"]) == (
        ("r1", Path("/usr/local/bin/check.sh"), source),)
    assert [r for r, _, _ in parse_scripts([f"/usr/local/bin/c.sh={source}"], ["r1", "r2"])] \
        == ["r1", "r2"]


@pytest.mark.parametrize("value, expected", [
    ("/etc/keepalived/c.sh", "expected [ROUTER:]PATH=FILE"),
    ("r9:/usr/local/bin/c.sh={src}", "the lab's routers are r1, r2"),
    ("/etc/c.sh={src}", "a folder two levels down or more"),
    ("etc/keepalived/c.sh={src}", "an absolute path"),
    ("/home/prof/c.sh={src}", "/home/prof is private to each router"),
    ("/etc/no-such-folder-here/c.sh={src}", "does not exist on this machine"),
    ("/usr/local/bin/c.sh=/nowhere/c.sh", "expected a readable file"),
])
def test_bad_script_options_are_refused(tmp_path, value, expected):
    from vrrplab.speakers.given import parse_scripts
    source = _write(tmp_path, "check.sh", "#!/bin/sh\n")
    with pytest.raises(InputError, match=expected.replace("[", r"\[")):
        parse_scripts([value.format(src=source)], ["r1", "r2"])


def test_script_without_config_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["run", "failover-basic", "--script",
                                       f"/etc/keepalived/c.sh={LESSON / 'check_gateway.sh'}",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "give them with --config" in result.output


@pytest.mark.parametrize("extra, line, expected", [
    (" notify_master /usr/local/bin/tell.sh\n", 7, "notify_master: keepalived does this, the "
                                                    "bundled speaker does not"),
    (" garp_master_delay 2\n", 7, "garp_master_delay: keepalived does this"),
])
def test_what_keepalived_reads_and_the_bundled_speaker_does_not_do_is_refused(
        tmp_path, extra, line, expected):
    r1 = _write(tmp_path, "r1.conf", _instance(120, extra=extra))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    given = {"r1": r1, "r2": r2}
    assert with_given_configs(_basic(), given, "keepalived").given
    with pytest.raises(InputError, match=rf"r1.conf:{line}: {expected}.*--speaker keepalived"):
        with_given_configs(_basic(), given, "bundled")


def test_a_scripts_timeout_and_reverse_weight_are_refused_on_bundled(tmp_path):
    script = ('vrrp_script chk {\n script "/bin/true"\n interval 1\n weight 10 reverse\n'
              ' timeout 2\n}\n')
    r1 = _write(tmp_path, "r1.conf", script + _instance(120, extra=" track_script {\n  chk\n }\n"))
    r2 = _write(tmp_path, "r2.conf", _instance(100))
    with pytest.raises(InputError) as error:
        with_given_configs(_basic(), {"r1": r1, "r2": r2}, "bundled")
    said = str(error.value)
    assert "r1.conf:5: timeout: the bundled speaker does not time its checks out" in said
    assert "r1.conf:4: weight ... reverse" in said


def test_each_check_of_the_files_is_tried_once_and_said(tmp_path):
    """try_checks runs each vrrp_script the files define in its router (a fake lab here)
    and keeps its exit and the end of what it printed; a stuck one is said, not fatal."""
    import subprocess

    from vrrplab.errors import LabError
    from vrrplab.analysis.report import checked_once
    from vrrplab.speakers.given import try_checks

    class Lab:
        def __init__(self):
            self.ran = []

        def run(self, router, argv, timeout):
            self.ran.append((router, argv))
            if router == "r2":
                raise LabError("r2: stuck did not finish in 5 s")
            return subprocess.CompletedProcess(argv, 1, "x\nkeepalived: no process found\n")

    lab = Lab()
    given = with_given_configs(_basic(), _lesson()).given
    tried = try_checks(lab, given)
    assert lab.ran == [("r1", ["/usr/bin/killall", "-0", "keepalived"]),
                       ("r2", ["/usr/bin/killall", "-0", "keepalived"])]
    assert tried[0] == {"router": "r1", "name": "chk_gateway",
                        "command": "/usr/bin/killall -0 keepalived", "exit": 1,
                        "said": "x\nkeepalived: no process found"}
    assert tried[1]["exit"] is None and "did not finish" in tried[1]["said"]
    assert checked_once(tried[0]) == ("r1's vrrp_script chk_gateway, run once before the "
                                      "daemons: exit 1, said: keepalived: no process found")


def test_the_summary_says_which_router_ran_its_file_and_which_its_intent():
    from vrrplab.analysis.report import _given_lines
    given = with_given_configs(_basic(), _lesson()).given.as_results()
    lines = _given_lines(given, {"r1": "keepalived", "r2": "bundled"})
    assert lines[0].strip().startswith("r1 ran its own file ")
    assert lines[1].strip().startswith("r2 ran what its file ")
    assert lines[1].endswith("asks for, on the bundled speaker")


def test_script_targets_once_in_one_folder_level_and_away_from_the_configs(tmp_path):
    from vrrplab.speakers.given import parse_scripts
    src = _write(tmp_path, "c.sh", "#!/bin/sh\n")
    other = _write(tmp_path, "d.sh", "#!/bin/sh\n")
    routers = ["r1", "r2"]

    def refused(*values: str, given=None) -> str:
        scripts = parse_scripts(list(values), routers)
        with pytest.raises(InputError) as error:
            with_given_configs(_basic(), given or _lesson(), scripts=scripts)
        return str(error.value)

    assert "given twice for r1" in refused(f"r1:/usr/local/bin/c.sh={src}",
                                           f"r1:/usr/local/bin/c.sh={other}")
    (tmp_path / "sub").mkdir()
    nested = Path("/usr/local/lib")  # exists on Debian, below /usr/local
    assert "below another script's" in refused(f"r1:/usr/local/c.sh={src}",
                                               f"r1:{nested}/d.sh={other}")
    # a script's folder holding a given file: its tmpfs would hide the file from keepalived
    from vrrplab.speakers.given import _check_scripts_fit
    with pytest.raises(InputError, match="holds the files given with --config"):
        _check_scripts_fit((("r1", Path("/srv/tp/c.sh"), src),), [Path("/srv/tp/r1.conf")])


def test_two_scripts_with_one_name_get_their_own_copies(tmp_path):
    from vrrplab.speakers.given import parse_scripts
    a = _write(tmp_path, "a.sh", "#!/bin/sh\necho a\n")
    b = _write(tmp_path, "b.sh", "#!/bin/sh\necho b\n")
    scripts = parse_scripts([f"r1:/usr/local/bin/check.sh={a}", f"r1:/usr/local/sbin/check.sh={b}"],
                            ["r1", "r2"])
    given = with_given_configs(_basic(), _lesson(), scripts=scripts).given
    out = tmp_path / "run"
    out.mkdir()
    given.copy_into(out)
    placed = dict(given.placed(out)["r1"])
    assert placed[Path("/usr/local/bin/check.sh")].read_text().endswith("echo a\n")
    assert placed[Path("/usr/local/sbin/check.sh")].read_text().endswith("echo b\n")


def test_the_routers_read_the_given_files_not_their_folders(tmp_path):
    given = with_given_configs(_basic(), _lesson()).given
    assert given.read_files == ((LESSON / "r1.conf").resolve(), (LESSON / "r2.conf").resolve())


def test_vrids_added_to_the_routers_own_files_are_refused(tmp_path, monkeypatch):
    """--config replaces the topology's vrrp: --vrids 16's added VRIDs vanished while
    results.json said scale {vrids: 16}. Refused before anything, said where it came from."""
    import yaml

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    configs = ["--config", f"r1={LESSON / 'r1.conf'}", "--config", f"r2={LESSON / 'r2.conf'}"]
    result = CliRunner().invoke(main, ["run", "failover-basic", *configs, "--vrids", "16",
                                       "--lang", "en", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "vrrplab: --vrids 16: expected no VRIDs added to the routers' own files (--config runs "
        "each file as written, with its own instances)")
    assert not (tmp_path / "out").exists()
    raw = yaml.safe_load(find_scenario("failover-basic").read_text())
    raw.update(topology=str(Path(find_scenario("failover-basic")).parents[1] / "topologies"
                            / f"{raw['topology']}.yaml"), scale={"vrids": 4})
    scenario = _write(tmp_path, "four.yaml", yaml.safe_dump(raw))
    result = CliRunner().invoke(main, ["run", str(scenario), *configs, "--lang", "en",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{scenario}: scale.vrids: expected no VRIDs added" in result.output
    # a scale that adds none (failover-basic has one VRID) runs the files as before
    for args in (["--vrids", "1"], ["--routers", "2"]):
        result = CliRunner().invoke(main, ["run", "failover-basic", *configs, *args,
                                           "--lang", "en", "--out", str(tmp_path / "out")])
        assert "VRIDs added" not in result.output and "needs root" in result.output, \
            result.output
