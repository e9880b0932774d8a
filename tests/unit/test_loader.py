"""Loading and validating topologies and scenarios: good files load, bad ones say why."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest
import yaml

from vrrplab import loader
from vrrplab.errors import InputError
from vrrplab.loader import find_scenario, load_scenario, load_topology

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = (ROOT / "topologies/textbook.yaml").read_text()


def test_textbook_loads_as_the_lesson_describes():
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    assert [r.name for r in topo.routers] == ["r1", "r2"]
    assert topo.node("r1").interface("eth0").address.compressed == "192.168.1.10/24"
    assert topo.vrrp.router("r1").priority == 120 and topo.vrrp.router("r2").priority == 100
    assert topo.lan_instance().vrid == 10
    assert str(topo.lan_instance().vips[0]) == "192.168.1.1/24"
    assert topo.node("c1").gateway.compressed == "192.168.1.1"
    assert topo.vrrp.skew_time("r2") == pytest.approx(156 / 256)  # RFC 3768 §6.1


def test_failover_basic_loads_with_probe_defaults():
    scenario = load_scenario(ROOT / "scenarios/failover-basic.yaml")
    assert [f.name for f in scenario.faults] == ["stop-r1", "restart-r1"]
    assert scenario.probe.source == "c1"
    assert [str(t) for t in scenario.probe.targets] == ["192.168.1.1", "203.0.113.100"]
    assert scenario.probe.interval == 0.005


def _topology_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TEXTBOOK, old
    path = tmp_path / "bad.yaml"
    path.write_text(TEXTBOOK.replace(old, new, 1))
    return path


BAD_TOPOLOGIES = [
    ("auth_pass: Lab2pass", "auth_pass: SecurePassword123", "vrrp.auth_pass: expected a string of 1 to 8"),
    ("vrid: 10,", "vrid: 300,", "vrrp.instances.VI_LAN.vrid: expected an integer from 1 to 255, got 300"),
    ("vrid: 20,", "vrid: 10,", "VI_UP.vrid"),  # fine: another segment
    ("priority: 100,", "priority: 255,", "vrrp.routers.r2.priority: expected 1 to 254"),
    ("priority: 100,", "priority: 0,", "vrrp.routers.r2.priority: expected an integer from 1 to 255, got 0"),
    ("advert_int: 1 ", "advert_int: 0.5 ", "vrrp.advert_int: expected an integer from 1 to 255, got 0.5"),
    ("vips: [192.168.1.1/24]", "vips: [10.0.0.1/24]", "VI_LAN.vips[0]: expected an address in the segment's subnet"),
    ("address: 192.168.1.20/24", "address: 192.168.1.10/24", "expected an address not already used by r1.eth0"),
    ("address: 192.168.1.20/24", "address: 192.168.1.999/24", "routers.r2.interfaces.eth0.address: expected an IPv4 address"),
    ("    gateway: 192.168.1.1", "    gatway: 192.168.1.1", "hosts.c1.gatway: unknown key (did you mean 'gateway'?"),
    ("  r2:\n    interfaces:", "  r2-long-name:\n    interfaces:", "routers.r2-long-name: expected a node name"),
    ("      eth1: {segment: upstream, address: 203.0.113.20/24}",
     "      eth1: {segment: upsteam, address: 203.0.113.20/24}",
     "routers.r2.interfaces.eth1.segment: expected one of the segments: lan, upstream, got 'upsteam'"),
    ("version: 2 ", "version: 4 ", "vrrp.version: expected one of 2, 3, got 4"),
    ("priority: 100,", "priority: 120,", "vrrp.routers: expected distinct priorities"),
]


@pytest.mark.parametrize("old,new,message", [c for c in BAD_TOPOLOGIES if c[2] != "VI_UP.vrid"])
def test_bad_topology_names_file_field_and_expectation(tmp_path, old, new, message):
    path = _topology_with(tmp_path, old, new)
    with pytest.raises(InputError) as err:
        load_topology(path)
    assert any(p.startswith(f"{path}: ") and message in p for p in err.value.problems), err.value.problems


def test_same_vrid_on_two_segments_is_fine(tmp_path):
    load_topology(_topology_with(tmp_path, "vrid: 20,", "vrid: 10,"))


def test_v3_allows_centiseconds_and_refuses_auth(tmp_path):
    path = _topology_with(tmp_path, "version: 2 ", "version: 3 ")
    with pytest.raises(InputError, match="no auth_pass with version 3"):
        load_topology(path)
    text = path.read_text().replace("  auth_pass: Lab2pass   # PASS carries 8 characters at most\n", "")
    path.write_text(text.replace("advert_int: 1 ", "advert_int: 0.01 "))
    assert load_topology(path).vrrp.advert_int == 0.01
    path.write_text(text.replace("advert_int: 1 ", "advert_int: 0.015 "))
    with pytest.raises(InputError, match="whole number of centiseconds"):
        load_topology(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nsegments: [unclosed\n")
    with pytest.raises(InputError, match=r"broken.yaml: line \d+, column \d+: invalid YAML"):
        load_topology(path)


def test_duplicate_key_is_refused(tmp_path):
    path = _topology_with(tmp_path, "  r2:\n    interfaces:", "  r1:\n    interfaces:")
    with pytest.raises(InputError, match="duplicate key 'r1'"):
        load_topology(path)


def test_yaml_tags_are_not_executed(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError, match="invalid YAML"):
        load_topology(path)


def _scenario(tmp_path: Path, steps: str, extra: str = "") -> Path:
    (tmp_path / "topologies").mkdir(exist_ok=True)
    (tmp_path / "topologies" / "textbook.yaml").write_text(TEXTBOOK)
    (tmp_path / "scenarios").mkdir(exist_ok=True)
    path = tmp_path / "scenarios" / "s.yaml"
    header = "name: s\ndescription: a test\ntopology: textbook\nsteps:\n"
    path.write_text(header + textwrap.indent(steps, "  ") + extra)
    return path


@pytest.mark.parametrize("steps,message", [
    ("- wait_master: r9\n", "steps[0].wait_master: expected one of r1, r2, got 'r9'"),
    ("- hold: -1\n", "steps[0].hold: expected a number from 0 to 600"),
    ("- hold: 500\n- hold: 500\n", "steps: expected a run of at most 600 s"),
    ("- sleep: 1\n", "steps[0].sleep: unknown key"),
    ("- fault: {name: f, kind: explode, target: r1, expect_master: r2}\n",
     "steps[0].fault.kind: expected one of stop, start, crash"),
    ("- fault: {name: f, kind: stop, target: c1, expect_master: r2}\n",
     "steps[0].fault.target: expected one of r1, r2, got 'c1'"),
    ("- fault: {name: f, kind: stop, target: r1, expect_master: r2}\n"
     "- fault: {name: f, kind: start, target: r1, expect_master: r1}\n",
     "steps[1].fault.name: expected a name no other fault has"),
])
def test_bad_scenario_steps(tmp_path, steps, message):
    path = _scenario(tmp_path, steps)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert any(p.startswith(f"{path}: ") and message in p for p in err.value.problems), err.value.problems


def test_scenario_with_unknown_topology(tmp_path):
    path = _scenario(tmp_path, "- hold: 1\n")
    path.write_text(path.read_text().replace("topology: textbook", "topology: nowhere"))
    with pytest.raises(InputError, match="topology: expected the name of a file in topologies/"):
        load_scenario(path)


def test_probe_targets_and_interval_are_checked(tmp_path):
    path = _scenario(tmp_path, "- hold: 1\n", "probe: {from: r1, interval: 5}\n")
    with pytest.raises(InputError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "probe.from: expected one of c1, got 'r1'" in text
    assert "probe.interval: expected a number from 0.001 to 1" in text


# --- every shipped file stays valid -----------------------------------------------

@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_loads(path):
    load_scenario(path)


@pytest.mark.parametrize("path", sorted((ROOT / "topologies").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_topology_loads(path):
    load_topology(path)


# --- routers that disagree on the password ------------------------------------------

def test_auth_mismatch_loads_because_it_expects_the_split_brain():
    scenario = load_scenario(ROOT / "scenarios/auth-mismatch.yaml")
    assert scenario.topology.vrrp.auth_pass_of("r2") == "Other123"
    assert scenario.steps[0].action == "wait_masters"


def test_passwords_that_agree_in_8_characters_agree():
    scenario = load_scenario(ROOT / "scenarios/long-password.yaml")
    vrrp = scenario.topology.vrrp
    assert vrrp.auth_pass_of("r1")[:8] == vrrp.auth_pass_of("r2")[:8] == "SecurePa"


PASS_R2 = "vrrp:\n  routers: {r2: {auth_pass: Other123}}\n"


@pytest.mark.parametrize("steps,ok", [
    ("- wait_master: r1\n- hold: 1\n", False),
    ("- wait_masters: [r1, r2]\n", True),
    ("- fault: {name: f, kind: block_vrrp, target: r2, expect_master: r2, vip_holders: [r1, r2]}\n",
     True),
    ("- fault: {name: f, kind: block_vrrp, target: r2, expect_master: r2, vip_holders: [r2]}\n",
     False),
])
def test_differing_passwords_need_an_expected_split_brain(tmp_path, steps, ok):
    path = _scenario(tmp_path, steps, PASS_R2)
    if ok:
        load_scenario(path)
        return
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert any(p.startswith(f"{path}: vrrp.routers.r2.auth_pass: expected the password of r1")
               for p in err.value.problems), err.value.problems


def test_a_topology_alone_refuses_differing_passwords(tmp_path):
    path = _topology_with(tmp_path, "r2: {priority: 100, state: BACKUP}",
                          "r2: {priority: 100, state: BACKUP, auth_pass: Other123}")
    with pytest.raises(InputError, match="vrrp.routers.r2.auth_pass: expected the password of r1"):
        load_topology(path)


def test_no_password_against_a_password_is_a_mismatch(tmp_path):
    path = _topology_with(tmp_path, "  auth_pass: Lab2pass   # PASS carries 8 characters at most\n",
                          "")
    r2 = "r2: {priority: 100, state: BACKUP"
    path.write_text(path.read_text().replace(r2 + "}", r2 + ", auth_pass: Lab2pass}"))
    with pytest.raises(InputError, match="expected the password of r1 \\(no auth_pass"):
        load_topology(path)


# --- YAML that is fine, YAML that is not ---------------------------------------------

def test_yaml_merge_keys_are_plain_yaml(tmp_path):
    text = TEXTBOOK.replace("  r1:\n    interfaces:", "  r1: &router\n    interfaces:", 1)
    path = tmp_path / "merge.yaml"
    path.write_text(text.replace("    r2: {priority: 100, state: BACKUP}",
                                 "    r2: {<<: {priority: 1, state: BACKUP}, priority: 100}"))
    assert load_topology(path).vrrp.router("r2").priority == 100


def test_a_scenario_path_with_odd_names_is_an_input_error():
    with pytest.raises(InputError, match="no such scenario file"):
        find_scenario("x" * 5000 + ".yaml")


# --- whatever the YAML holds, only InputError comes out --------------------------------

ODD_VALUES = [None, [], {}, 0, -1, 256, "", "x", "r1", True, 1.5, float("nan"), [None], [{}],
              {"a": 1}, {1: 2}, ["r1", "r1"], "a\nb", "192.168.1.1", "192.168.1.0/24"]
DELETE = object()


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, prefix + (i,))


def _mutated(data, path, value):
    if not path:
        return value
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


def _mutations(data):
    for path in _paths(data):
        for value in ODD_VALUES + ([DELETE] if path else []):
            yield path, value, _mutated(data, path, value)


def _only_input_errors(monkeypatch, load, loaded: Path, mangled: Path):
    """`load(loaded)` with each mutation of `mangled`'s data: InputError or success only."""
    parsed = {}

    def read(path, mutated):
        if path == mangled:
            return copy.deepcopy(mutated)
        if path not in parsed:
            parsed[path] = yaml.safe_load(path.read_text())
        return copy.deepcopy(parsed[path])

    failures = []
    for where, value, mutated in _mutations(yaml.safe_load(mangled.read_text())):
        monkeypatch.setattr(loader, "read_yaml", lambda p, m=mutated: read(p, m))
        try:
            load(loaded)
        except InputError as exc:
            assert all(isinstance(p, str) and p.isprintable() for p in exc.problems), exc.problems
        except Exception as exc:  # noqa: BLE001 (that is the point)
            failures.append(f"{where} = {value!r}: {type(exc).__name__}: {exc}")
    assert not failures, failures[:10]


def test_a_mangled_topology_raises_only_input_errors(monkeypatch):
    path = ROOT / "topologies/textbook.yaml"
    _only_input_errors(monkeypatch, load_topology, path, path)


@pytest.mark.parametrize("name", ["failover-basic", "healthcheck-fail", "link-flap",
                                  "firewall-blocks-vrrp", "fast-vrrpv3"])
def test_a_mangled_scenario_raises_only_input_errors(monkeypatch, name):
    path = ROOT / f"scenarios/{name}.yaml"
    _only_input_errors(monkeypatch, load_scenario, path, path)


def test_a_scenario_on_a_mangled_topology_raises_only_input_errors(monkeypatch):
    _only_input_errors(monkeypatch, load_scenario, ROOT / "scenarios/healthcheck-fail.yaml",
                       ROOT / "topologies/textbook.yaml")


def test_set_priority_gives_the_router_a_script_per_priority_asked():
    scenario = load_scenario(ROOT / "scenarios/priority-change.yaml")
    lower, restore = scenario.faults
    assert (lower.kind, lower.priority, restore.priority) == ("set_priority", 90, 120)
    (script,) = scenario.topology.vrrp.router("r1").track_scripts
    assert (script.name, script.weight, script.interval) == ("vrrplab_priority_90", -30, 1.0)
    assert script.script == "test ! -e /run/vrrplab/priority/r1-90"  # fails while flagged
    assert scenario.topology.vrrp.router("r2").track_scripts == ()


def test_a_raised_priority_applies_its_weight_while_the_flag_exists():
    from vrrplab.faults.files import priority_script
    assert priority_script("r2", 100, 130) == ("vrrplab_priority_130",
                                               "test -e /run/vrrplab/priority/r2-130", 30)
