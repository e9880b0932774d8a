"""keepalived.conf read as people write it; render -> read -> render is identical."""

from __future__ import annotations

import dataclasses
from ipaddress import ip_address, ip_interface
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vrrplab.errors import InputError
from vrrplab.loader import load_topology
from vrrplab.speakers import keepalived_read as kr
from vrrplab.speakers.keepalived_conf import render_keepalived_conf, script_path, script_word
from vrrplab.speakers.keepalived_map import to_vrrp
from vrrplab.speakers.keepalived_read import read_config, read_text, script_argv, split_line

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "vrrp-keepalived-bts-sio.txt"


def _seed(router: int) -> str:
    text = SEED.read_text()
    start = text.index(f"! VRRP configuration for ROUTER{router}")
    return text[start:text.index("Step 4" if router == 1 else "Step 5")].rstrip() + "\n"


# --- the lesson's two files ----------------------------------------------------------

@pytest.mark.skipif(not SEED.exists(), reason="the seed lesson is outside the repository")
@pytest.mark.parametrize("router, priority, state", [(1, 120, "MASTER"), (2, 100, "BACKUP")])
def test_the_lessons_configs_read(tmp_path, router, priority, state):
    conf = tmp_path / f"r{router}.conf"
    conf.write_text(_seed(router))
    config = read_config(conf)
    (inst,) = config.instances
    assert inst.name == "VRRP_GATEWAY" and inst.vrid.value == 10
    assert inst.priority.value == priority and inst.state.value == state
    assert [v.value for v in inst.vips] == [ip_interface("192.168.1.1/24")]
    assert inst.interface.value == "eth0" and inst.advert_int.value == 1
    assert inst.auth_type.value == "PASS" and inst.auth_pass.value == "SecurePassword123"
    assert inst.vrid.where.line == 5 and inst.vrid.where.file == str(conf)
    assert [t.name for t in inst.track_scripts] == ["chk_gateway"]
    script = config.scripts["chk_gateway"]
    assert script.argv == ["/usr/bin/killall", "-0", "keepalived"]
    assert script.interval.value == 2 and script.weight.value == -20
    assert script.where.seq > inst.track_scripts[0].where.seq  # defined after its instance
    assert not [f for f in config.findings if f.severity == "error"]


@pytest.mark.skipif(not SEED.exists(), reason="the seed lesson is outside the repository")
def test_the_lessons_pair_maps_onto_the_model():
    vrrp = to_vrrp({"r1": read_text(_seed(1)), "r2": read_text(_seed(2))})
    assert vrrp.instance().vrid == 10 and vrrp.version == 2 and vrrp.preempt
    assert vrrp.priority("r1") == 120 and vrrp.priority("r2") == 100
    assert vrrp.master_of() == "r1" and vrrp.auth_pass == "SecurePassword123"
    assert vrrp.router("r1").track_scripts[0].weight == -20


# --- the grammar ----------------------------------------------------------------------

def test_comments_quotes_and_braces_anywhere():
    text = """! a comment
global_defs { router_id R1 }   # a one-line block
vrrp_script chk
{
\tscript "/x/a b#c!d {e}"   ! comment after a quoted #
  interval 2 ; weight -5
}
vrrp_instance VI_1
    {
  state backup
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.1/24 dev eth0 label eth0:1
    2001:db8::1
  }
  track_script {
    chk weight -30
  }
  track_interface { eth1 weight -10
  eth2 }
  unicast_src_ip 10.0.0.2
  unicast_peer {
    10.0.0.3
  }
  use_vmac
  version 3
}
"""
    config = read_text(text)
    assert config.router_id.value == "R1"
    assert config.scripts["chk"].script.value == "/x/a b#c!d {e}"
    inst = config.instances[0]
    assert inst.state is None and inst.vrid.where.line == 11  # keepalived: BACKUP
    assert any(f.code == "bad-state" and f.where.line == 10 for f in config.findings)
    assert [str(v.value) for v in inst.vips] == ["10.0.0.1/24", "2001:db8::1/128"]
    assert [(t.name, t.weight) for t in inst.track_scripts] == [("chk", -30)]
    assert [(t.name, t.weight) for t in inst.track_interfaces] == [("eth1", -10), ("eth2", None)]
    assert inst.unicast_src_ip.value == ip_address("10.0.0.2")
    assert [p.value for p in inst.unicast_peers] == [ip_address("10.0.0.3")]
    assert inst.use_vmac.value == "" and config.version_of(inst) == 3
    # "interval 2 ; weight -5" is one line: interval gets two values, said as a finding
    assert any(f.code == "bad-value" and f.where.line == 6 for f in config.findings)


def test_vrrp_version_in_an_instance_is_keepalived_unknown():
    config = read_text("global_defs {\n vrrp_version 3\n}\n"
                       "vrrp_instance A {\n  vrrp_version 2\n}\nvrrp_instance B {\n"
                       "  version 2\n}\nvrrp_instance C {\n  virtual_ipaddress {\n"
                       "    fe80::1\n  }\n}\n")
    a, b, c = config.instances
    assert [config.version_of(i) for i in (a, b, c)] == [3, 2, 3]  # C: IPv6 is VRRPv3
    (finding,) = config.findings
    assert finding.code == "misplaced-keyword" and finding.where.line == 5


def test_unknown_and_unmodelled_keywords_are_findings():
    config = read_text("vrrp_instance A {\n  priorty 120\n  notify_master /x.sh\n}\nfoo {\n}\n")
    got = {(f.code, f.where.line) for f in config.findings}
    assert ("unknown-keyword", 2) in got and ("not-modelled", 3) in got
    assert ("unknown-keyword", 5) in got
    unknown = next(f for f in config.findings if f.code == "unknown-keyword")
    assert "Unknown keyword" in str(unknown.message)


@pytest.mark.parametrize("text", [
    "}", "{", "vrrp_instance {", '"', "vrrp_instance A { state", "vrrp_instance A {\n}\n}",
    "virtual_router_id x", "vrrp_instance A { priority 999 }", "vrrp_instance A { advert_int nan }",
    "global_defs", "vrrp_script { }", "vrrp_instance A { track_script { x weight } }",
])
def test_broken_text_is_findings_never_a_crash(text):
    config = read_text(text)
    assert config.findings


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list('{}"#!\\ \n\tabvrp_instancescript 12.-')),
               max_size=200))
def test_any_text_reads_without_crashing(text):
    try:
        read_text(text)
    except InputError as exc:  # only blocks nested too deep
        assert "nested" in str(exc)


def test_deep_nesting_is_one_line_exit_2():
    with pytest.raises(InputError) as err:
        read_text("a {\n" * 40)
    assert err.value.exit_code == 2


@pytest.mark.parametrize("folder", ["Mes TP", "élève", "l'école", 'a"b c', "back\\slash x",
                                    "tab\tx", "h#x! {y}", "d$x `y` ;&|", "日本 語"])
def test_a_script_word_reads_back_as_its_path(folder):
    path = Path("/srv") / folder / "r1.chk.sh"
    words, problem = split_line(f"    script {script_word(path)}")
    assert problem is None
    assert script_argv(words[1][0]) == [str(path)]


# --- include ------------------------------------------------------------------------

def test_include_relative_to_the_including_file_and_globbed(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "main.conf").write_text("! main\ninclude conf.d/*.conf\n")
    (tmp_path / "conf.d" / "a.conf").write_text(
        "vrrp_instance A {\n  virtual_router_id 1\n  track_script {\n    chk\n  }\n}\n")
    (tmp_path / "conf.d" / "b.conf").write_text("include ../scripts/chk.conf\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "chk.conf").write_text("vrrp_script chk {\n  script /bin/true\n}\n")
    config = read_config(tmp_path / "main.conf")
    assert config.instances[0].vrid.where.file.endswith("conf.d/a.conf")
    assert config.scripts["chk"].where.file.endswith("scripts/chk.conf")
    assert len(config.files) == 4
    # read after a.conf: keepalived would not find it for A's track_script
    assert config.scripts["chk"].where.seq > config.instances[0].track_scripts[0].where.seq


def test_include_globs_in_a_folder_with_pattern_characters(tmp_path):
    folder = tmp_path / "TP [2] *"
    folder.mkdir()
    (folder / "main.conf").write_text("include parts/*.conf\ninclude none/*.conf\n")
    (folder / "parts").mkdir()
    (folder / "parts" / "x.conf").write_text("vrrp_script chk {\n  script /bin/true\n}\n")
    config = read_config(folder / "main.conf")
    assert "chk" in config.scripts
    assert [(f.code, f.where.line) for f in config.findings] == [("include-missing", 2)]


def test_include_cycles_and_depth_are_bounded(tmp_path):
    (tmp_path / "a.conf").write_text("include b.conf\n")
    (tmp_path / "b.conf").write_text("include a.conf\n")
    config = read_config(tmp_path / "a.conf")
    assert [f.code for f in config.findings] == ["include-cycle"]
    for n in range(12):
        (tmp_path / f"d{n}.conf").write_text(f"include d{n + 1}.conf\n")
    (tmp_path / "d12.conf").write_text("! bottom\n")
    config = read_config(tmp_path / "d0.conf")
    assert any(f.code == "include-depth" for f in config.findings)
    assert len(config.files) == kr.MAX_INCLUDE_DEPTH + 1


def test_a_missing_include_is_a_warning(tmp_path):
    (tmp_path / "a.conf").write_text("include nothing-here.conf\n")
    (finding,) = read_config(tmp_path / "a.conf").findings
    assert finding.code == "include-missing" and finding.where.line == 1


# --- render -> read -> render --------------------------------------------------------

PASSWORDS = st.text(alphabet=st.sampled_from(
    list("abcXYZ019$%&()*+,./:;<=>?@[]^_`|~-")), min_size=1, max_size=8)
FOLDERS = st.text(alphabet=st.sampled_from(list("aé Z_-'\"\\#!{}$;日\t")), min_size=1,
                  max_size=12)
NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)


@st.composite
def topologies(draw):
    """A catalogue topology with its vrrp section varied, as the loader accepts it."""
    path = draw(st.sampled_from(sorted((ROOT / "topologies").glob("*.yaml"))))
    base = load_topology(path)
    v6 = base.vrrp.instance().family == 6
    version = 3 if v6 else draw(st.sampled_from([2, 3]))
    over: dict = {"version": version,
                  "advert_int": draw(st.sampled_from([1, 2, 0.5, 0.1, 0.01] if version == 3
                                                     else [1, 2, 3])),
                  "preempt": draw(st.booleans()),
                  "preempt_delay": draw(st.sampled_from([0, 0, 5, 2.5]))}
    over["auth_pass"] = draw(st.none() | PASSWORDS) if version == 2 else None
    if not v6:
        over["use_vmac"] = draw(st.booleans())
    routers = {}
    for router in base.vrrp.routers:
        spec: dict = {}
        if draw(st.booleans()):
            names = draw(st.lists(NAMES, max_size=3, unique=True))
            spec["track_scripts"] = {
                n: {"script": "ping -c 1 10.0.0.1", "interval": draw(st.sampled_from([1, 2, 0.5])),
                    "weight": draw(st.integers(-253, 253)), "rise": draw(st.integers(1, 5)),
                    "fall": draw(st.integers(1, 5))} for n in names}
        interfaces = [i.name for i in base.node(router.name).interfaces]
        if draw(st.booleans()):
            spec["track_interfaces"] = draw(st.lists(st.sampled_from(interfaces), unique=True))
        if not over["preempt"] or over["preempt_delay"]:
            spec["state"] = "BACKUP"
        if spec:
            routers[router.name] = spec
    if routers:
        over["routers"] = routers
    try:
        return load_topology(path, over)
    except InputError:
        assume(False)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(topology=topologies(), folder=FOLDERS)
def test_render_read_render_is_identical(topology, folder):
    script_dir = Path("/srv") / folder
    texts = {r.name: render_keepalived_conf(topology, r.name, script_dir)
             for r in topology.routers}
    configs = {name: read_text(text, f"{name}.conf") for name, text in texts.items()}
    for config in configs.values():
        assert not [f for f in config.findings if f.severity != "note"], config.findings
        for script in config.scripts.values():
            assert script.argv == [str(script_path(script_dir, config.router_id.value,
                                                   script.name))]
    again = dataclasses.replace(topology, vrrp=to_vrrp(configs))
    for name, text in texts.items():
        assert render_keepalived_conf(again, name, script_dir) == text


@pytest.mark.skipif(not SEED.exists(), reason="the seed lesson is outside the repository")
def test_the_copied_lesson_files_still_equal_the_seed():
    """tests/unit/data/seed_lesson holds the lesson's files verbatim, for a clean clone."""
    copies = Path(__file__).parent / "data" / "seed_lesson"
    for router in (1, 2):
        assert (copies / f"r{router}.conf").read_text() == _seed(router)
    text = SEED.read_text()
    script = text[text.index("#!/bin/bash"):text.index("sudo chmod +x /etc/keepalived")]
    assert (copies / "check_gateway.sh").read_text() == script
