"""A lab grown from its topology (issue 15): --routers N, --vrids N, a scenario's `scale:`,
and the `cascade` step that hands the master role down the order of priority."""

from __future__ import annotations

from ipaddress import ip_interface, ip_network
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from vrrplab.analysis.report import summary
from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.loader import limits, load_scenario
from vrrplab.loader.scale import Scale, grown

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
TEXTBOOK = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())


def scenario(name: str, routers: int | None = None, vrids: int | None = None):
    return load_scenario(SCENARIOS / f"{name}.yaml", scale=Scale(routers, vrids))


def lan_address(topology, router: str):
    return topology.node(router).interface("eth0").address


def test_routers_grow_as_copies_of_the_last_with_lower_distinct_priorities():
    topo = scenario("failover-crash", routers=16).topology
    assert [r.name for r in topo.routers] == [f"r{i}" for i in range(1, 17)]
    assert str(lan_address(topo, "r3")) == "192.168.1.30/24"  # the textbook's .10, .20, then .30
    assert str(lan_address(topo, "r10")) == "192.168.1.101/24"  # c1 has .100: the next free
    assert str(topo.node("r16").interface("eth1").address) == "203.0.113.160/24"
    priorities = [r.priority for r in topo.vrrp.routers]
    assert priorities[:2] == [120, 100]  # the declared ones untouched
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == 16
    assert min(priorities) >= 1
    assert all(r.state == "BACKUP" for r in topo.vrrp.routers[2:])


def test_ipv6_routers_read_as_the_textbook_reads_its_addresses():
    topo = scenario("ipv6", routers=3).topology
    assert str(lan_address(topo, "r3")) == "2001:db8:1::30/64"


def test_vrids_fill_the_lan_and_widen_its_subnet_only_when_needed():
    topo = scenario("failover-crash", vrids=16).topology
    lan = [i for i in topo.vrrp.instances if i.interface == "eth0"]
    assert len(lan) == 16 and lan[0].name == "VI_LAN" and topo.segments["lan"].prefixlen == 24
    assert [i.vrid for i in lan] == [10, *range(11, 20), *range(21, 27)]  # 20: upstream's
    assert len({v.ip for i in lan for v in i.vips}) == 16

    topo = scenario("failover-crash", vrids=255).topology
    lan = [i for i in topo.vrrp.instances if i.interface == "eth0"]
    assert len(lan) == 255 and len({i.vrid for i in lan}) == 255
    assert topo.segments["lan"] == ip_network("192.168.0.0/23")  # 255 VIPs + 3 nodes > a /24
    assert str(lan_address(topo, "r1")) == "192.168.1.10/23"  # the same address, wider
    assert str(topo.node("inet").routes[0].to) == "192.168.0.0/23"  # the return route follows
    assert all(v.network == topo.segments["lan"] for i in lan for v in i.vips)


def test_ipv6_vrids_put_a_link_local_vip_first():
    topo = scenario("ipv6", vrids=3).topology
    added = [i for i in topo.vrrp.instances if i.name.startswith("VI_LAN_")]
    assert [str(i.vips[0]) for i in added] == ["fe80::1:11/64", "fe80::1:12/64"]


def test_an_ipv6_link_local_vip_reads_as_its_vrid_in_decimal():
    """VRID 16's link-local VIP was fe80::1:10 (hex), which a class reads as VRID 10."""
    topo = scenario("ipv6", vrids=7).topology
    vips = {i.vrid: str(i.vips[0].ip) for i in topo.vrrp.instances if i.name.startswith("VI_LAN_")}
    assert vips[16] == "fe80::1:16" and vips[11] == "fe80::1:11"
    assert len(set(vips.values())) == len(vips)


def test_the_topology_as_written_is_left_alone():
    before = yaml.safe_dump(TEXTBOOK)
    grown(TEXTBOOK, Scale(8, 32))
    assert yaml.safe_dump(TEXTBOOK) == before
    assert grown(TEXTBOOK, Scale()) is TEXTBOOK


def test_the_cascade_hands_the_master_down_the_order_of_priority():
    steps = scenario("three-routers").steps
    assert [(s.fault.name, s.fault.target, s.fault.expect_master) for s in steps if s.fault] == [
        ("crash-r1", "r1", "r2"), ("crash-r2", "r2", "r3")]  # the scenario as it was written
    faults = scenario("three-routers", routers=6).faults
    assert [(f.target, f.expect_master) for f in faults] == [
        ("r1", "r2"), ("r2", "r3"), ("r3", "r4"), ("r4", "r5"), ("r5", "r6")]


@pytest.mark.parametrize("scale, expected", [
    (Scale(routers=2), "--routers 2: expected at least the topology's 3 routers"),
    (Scale(vrids=1, routers=3), None),
])
def test_shrinking_is_refused(scale, expected):
    if expected is None:
        assert scenario("three-routers", scale.routers, scale.vrids)
        return
    with pytest.raises(InputError) as refused:
        scenario("three-routers", scale.routers, scale.vrids)
    assert expected in str(refused.value)


def test_no_room_below_the_lowest_priority_is_refused():
    top = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())
    top["vrrp"]["routers"]["r2"]["priority"] = 3
    with pytest.raises(InputError, match=r"--routers 16: expected at most 4 routers \(each one "
                       r"added needs its own priority below 3, the lowest given\)"):
        grown(top, Scale(routers=16))


def test_a_grown_lab_past_a_limit_is_refused_naming_the_option(tmp_path):
    top = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())
    for n in (3, 4):  # four links per router: 16 routers make 64, with the hosts' 66
        top["segments"][f"s{n}"] = {"subnet": f"10.{n}.0.0/24"}
        for i, router in ((1, "r1"), (2, "r2")):
            top["routers"][router]["interfaces"][f"eth{n - 1}"] = {
                "segment": f"s{n}", "address": f"10.{n}.0.{10 * i}/24"}
    (tmp_path / "four-links.yaml").write_text(yaml.safe_dump(top))
    raw = yaml.safe_load((SCENARIOS / "failover-crash.yaml").read_text())
    raw["topology"] = str(tmp_path / "four-links.yaml")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    assert load_scenario(tmp_path / "s.yaml", scale=Scale(routers=15))
    with pytest.raises(InputError) as refused:
        load_scenario(tmp_path / "s.yaml", scale=Scale(routers=16))
    assert "four-links.yaml (+ --routers 16): routers, hosts: interfaces: expected at most 64" \
        in str(refused.value)
    raw["scale"] = {"routers": 16}  # the scenario's scale: said as such, not as an option
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as refused:
        load_scenario(tmp_path / "s.yaml")
    assert "four-links.yaml (+ scale.routers 16): routers, hosts: interfaces: expected at " \
        "most 64" in str(refused.value) and "--routers" not in str(refused.value)


@pytest.mark.parametrize("step, expected", [
    ({"cascade": {"kind": "flap"}}, "steps[2].cascade.kind: expected one of crash, stop"),
    ({"cascade": {"kind": "crash", "every": 2}}, "steps[2].cascade"),
    ({"cascade": {"hold": -1}}, "steps[2].cascade.hold: expected a number from 0"),
])
def test_a_wrong_cascade_names_its_field(tmp_path, step, expected):
    raw = yaml.safe_load((SCENARIOS / "three-routers.yaml").read_text())
    raw["steps"] = raw["steps"][:2] + [step]
    raw["topology"] = str(ROOT / "topologies/three-routers.yaml")
    path = tmp_path / "cascade.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as refused:
        load_scenario(path)
    assert expected in str(refused.value)


def test_the_scenario_may_say_its_scale_and_the_command_line_wins(tmp_path):
    raw = yaml.safe_load((SCENARIOS / "three-routers.yaml").read_text())
    raw.update(topology=str(ROOT / "topologies/three-routers.yaml"), scale={"routers": 5})
    path = tmp_path / "five.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert len(load_scenario(path).topology.routers) == 5
    assert load_scenario(path).scale == {"routers": 5}
    assert len(load_scenario(path, scale=Scale(routers=7)).topology.routers) == 7
    raw["scale"] = {"routers": 40}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError, match=r"scale.routers: expected an integer from 2 to 16"):
        load_scenario(path)


@pytest.mark.parametrize("args, expected", [
    (["--routers", "1"], "Invalid value for '--routers'"),
    (["--routers", "17"], "Invalid value for '--routers'"),
    (["--vrids", "256"], "Invalid value for '--vrids'"),
    (["--routers", "2"], "at least the topology's 3 routers"),
])
def test_run_refuses_a_wrong_scale_before_anything(monkeypatch, tmp_path, args, expected):
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    result = CliRunner().invoke(main, ["run", "three-routers", "--out", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "needs root" not in result.output and not any(tmp_path.iterdir())


def test_the_summary_says_the_lab_was_grown():
    results = {"scenario": "three-routers", "speaker": "keepalived", "topology": "three-routers",
               "scale": {"routers": 16, "vrids": 4}, "faults": [], "checks": [],
               "vrrp": {"version": 2, "advert_int_s": 1, "vip": "192.168.1.1", "vrid": 10},
               "verdict": "pass", "errors": []}
    assert "lab grown from three-routers: 16 routers, 4 VRIDs on the LAN" in summary(results)


def test_limits_hold_the_largest_grown_lab():
    top = grown(TEXTBOOK, Scale(routers=limits.MAX_ROUTERS, vrids=255))
    for quantity, (_field, count) in limits.counts(top).items():
        assert count <= limits.LIMITS[quantity], quantity
    assert all(ip_interface(spec["address"]).network.prefixlen == 23
               for spec in (r["interfaces"]["eth0"] for r in top["routers"].values()))


def test_the_summary_names_the_speaker_once_when_every_router_runs_it():
    speakers = {f"r{i}": "keepalived" for i in range(1, 17)}
    results = {"scenario": "three-routers", "speaker": "keepalived", "topology": "three-routers",
               "speakers": speakers, "speaker_versions": dict.fromkeys(speakers, "keepalived 2.2.7"),
               "faults": [], "checks": [], "verdict": "pass", "errors": [],
               "vrrp": {"version": 2, "advert_int_s": 1, "vip": "192.168.1.1", "vrid": 10}}
    assert "speakers: keepalived 2.2.7 on all 16 routers" in summary(results)


def test_the_added_vrids_are_nobodys_gateway():
    topo = scenario("failover-crash", vrids=16).topology
    assert [i.name for i in topo.gateway_instances()] == ["VI_LAN"]  # the client's, judged
    sharing = load_scenario(SCENARIOS / "load-sharing.yaml").topology
    assert [i.name for i in sharing.gateway_instances()] == ["VI_LAN_A", "VI_LAN_B"]


def test_a_crash_darkens_the_links_before_waiting_for_the_daemon_to_exit():
    """With 255 VRIDs the killed daemon took 3.2 s to exit (its sockets closing) while its
    links stayed up and the kernel answered the client's pings for it: the data gap read
    0.07 s for a crash. The links go down right after SIGKILL; the reaping comes last."""
    from types import SimpleNamespace

    from vrrplab.faults.actions import crash_router
    from vrrplab.loader.model import Fault

    calls = []
    speaker = SimpleNamespace(kill=lambda: calls.append(("SIGKILL",)),
                              crash=lambda: calls.append(("reaped",)))
    lab = SimpleNamespace(set_link=lambda node, link, up: calls.append(("link", link, up)))
    topo = scenario("failover-crash").topology
    ctx = SimpleNamespace(speakers={"r1": speaker}, lab=lab, topology=topo)
    crash_router(ctx, Fault(name="crash-r1", kind="crash", target="r1", expect_master="r2"))
    assert calls == [("SIGKILL",), ("link", "eth0", False), ("link", "eth1", False),
                     ("reaped",)]


@pytest.mark.parametrize("log, expected", [
    ("listening on eth0\n4301 packets captured\n4852 packets received by filter\n"
     "551 packets dropped by kernel\n", 551),
    ("listening on eth0\n12 packets captured\n12 packets received by filter\n"
     "0 packets dropped by kernel\n", 0),
    ("listening on eth0\n1 packet captured\n1 packet received by filter\n"
     "1 packet dropped by kernel\n", 1),
    ("listening on eth0\n", None),  # killed before its last words
])
def test_the_captures_losses_are_read_from_tcpdump(tmp_path, log, expected):
    """255 VRIDs' bursts overflowed tcpdump's buffer once (551 packets lost, 13 VRIDs with
    no advert seen): a run says what its capture lost."""
    from vrrplab.run.capture import read_dropped

    (tmp_path / "capture.tcpdump.log").write_text(log)
    assert read_dropped(tmp_path / "capture.pcap") == expected


def test_the_summary_warns_of_a_lossy_capture_only():
    base = {"scenario": "failover-crash", "speaker": "keepalived", "topology": "textbook",
            "faults": [], "checks": [], "verdict": "pass", "errors": [],
            "vrrp": {"version": 2, "advert_int_s": 1, "vip": "192.168.1.1", "vrid": 10}}
    assert "capture lost 551 packets" in summary({**base, "capture_dropped": 551})
    assert "capture lost" not in summary({**base, "capture_dropped": 0})


def test_steady_state_cost_excludes_the_start_up():
    """A daemon's CPU between convergence and the steps' end, as a share of that time:
    its start-up (keepalived parsing, the bundled speaker's Python imports) is not in it."""
    from vrrplab.analysis.results import _usage

    usage = {"r1": {"converged": {"t": 1003.0, "pid": 41, "cpu_s": 0.40, "rss_kib": 9000},
                    "end": {"t": 1063.0, "pid": 41, "cpu_s": 0.46, "rss_kib": 9100}},
             "r2": {"end": {"t": 1063.0, "pid": 42, "cpu_s": 0.3, "rss_kib": 8000}}}  # never up
    shown = _usage(usage, t0=1000.0)
    assert shown["r1"]["steady_cpu_percent"] == pytest.approx(0.1)  # 0.06 s over 60 s
    assert shown["r1"]["converged"] == {"t_s": 3.0, "pid": 41, "cpu_s": 0.4, "rss_kib": 9000}
    assert "steady_cpu_percent" not in shown["r2"]


def test_steady_state_cost_is_none_across_a_restart():
    """failover-basic stops r1's keepalived and starts it again: the end sample is another
    process, its CPU counted from its own start; the difference came out negative."""
    from vrrplab.analysis.results import _usage

    usage = {"r1": {"converged": {"t": 1003.0, "pid": 41, "cpu_s": 0.40, "rss_kib": 9000},
                    "end": {"t": 1063.0, "pid": 77, "cpu_s": 0.05, "rss_kib": 8800}}}
    shown = _usage(usage, t0=1000.0)
    assert shown["r1"]["steady_cpu_percent"] is None
    assert (shown["r1"]["converged"]["pid"], shown["r1"]["end"]["pid"]) == (41, 77)


def test_a_speakers_usage_is_its_process_groups(monkeypatch):
    from vrrplab.speakers import base

    fields = ["S"] + ["0"] * 40
    fields[11], fields[12], fields[21] = "150", "50", "1000"  # utime, stime (ticks), rss (pages)
    monkeypatch.setattr(base, "group_stats", lambda group: iter([(7, fields), (8, fields)]))

    class Running:
        running = True
        proc = type("P", (), {"pid": 7})()

    sample = base.Speaker.usage(Running())
    ticks, page_kib = base.os.sysconf("SC_CLK_TCK"), base.os.sysconf("SC_PAGE_SIZE") // 1024
    assert sample["cpu_s"] == pytest.approx(2 * 200 / ticks) and sample["pid"] == 7
    assert sample["rss_kib"] == 2 * 1000 * page_kib


def test_the_page_of_a_grown_lab_says_so_and_its_boxes_do_not_overlap(tmp_path):
    from tests.unit import synthetic
    from vrrplab.analysis import html as report_html
    from vrrplab.analysis.results import build_results

    results = build_results(synthetic.record(tmp_path))
    assert "lab grown" not in report_html.render_html(results, tmp_path)  # as written: silent
    grown_results = {**results, "scale": {"routers": 16}}
    routers = {f"r{i}": {**results["vrrp"]["routers"]["r2"], "priority": 100 - i}
               for i in range(3, 17)}
    grown_results["vrrp"] = {**results["vrrp"],
                             "routers": {**results["vrrp"]["routers"], **routers}}
    assert f"lab grown from {results['topology']}: 16 routers" in report_html.render_html(
        grown_results, tmp_path)
    boxes = sorted((n["x"], n["x"] + n["w"]) for n in report_html.topology(grown_results)["nodes"]
                   if n["kind"] in ("router", "master"))
    assert len(boxes) == 16
    assert all(right <= nxt_left for (_l, right), (nxt_left, _r) in zip(boxes, boxes[1:]))


def test_malformed_or_too_small_input_is_an_input_error_not_a_traceback():
    top = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())
    top["routers"]["r2"]["interfaces"]["eth0"] = "lan"  # not a mapping
    assert grown(top, Scale(routers=4)) is top  # left for the loader to name
    six = yaml.safe_load((ROOT / "topologies/ipv6.yaml").read_text())
    six["segments"]["lan"]["subnet"] = "2001:db8:1::/124"
    with pytest.raises(InputError, match=r"--vrids 16: expected at most 15 VRIDs \(the VIPs of "
                       r"more do not fit in 2001:db8:1::/124\)"):
        grown(six, Scale(vrids=16))


def test_the_lab_grows_after_the_scenarios_priorities(tmp_path):
    """A scenario that gives r2 priority 90: the routers added below it, not at 90 (they
    were grown from the topology's 100 before the override, r3 landing on r2's 90)."""
    raw = yaml.safe_load((SCENARIOS / "failover-crash.yaml").read_text())
    raw.update(topology=str(ROOT / "topologies/textbook.yaml"),
               vrrp={"routers": {"r2": {"priority": 90}}})
    path = tmp_path / "low-r2.yaml"
    path.write_text(yaml.safe_dump(raw))
    priorities = {r.name: r.priority for r in load_scenario(
        path, scale=Scale(routers=4)).topology.vrrp.routers}
    assert priorities["r2"] == 90 and priorities["r3"] < 90 and priorities["r4"] < priorities["r3"]


def renamed(top: dict, names: dict[str, str]) -> dict:
    """The topology with its routers renamed (r1 -> gw1 ...)."""
    top = yaml.safe_load(yaml.safe_dump(top))
    top["routers"] = {names.get(n, n): spec for n, spec in top["routers"].items()}
    top["vrrp"]["routers"] = {names.get(n, n): spec for n, spec in top["vrrp"]["routers"].items()}
    return top


@pytest.mark.parametrize("names, added", [
    ({"r1": "gw1", "r2": "gw2"}, ["gw3", "gw4"]),  # were r1, r2: a lab of gw1, gw2, r1, r2
    ({"r1": "edge", "r2": "core"}, ["core3", "core4"]),
    ({"r1": "routeur8", "r2": "routeur9"}, ["routeu10", "routeu11"]),  # 8 characters at most
])
def test_added_routers_are_named_as_the_last_one_is(names, added):
    top = grown(renamed(TEXTBOOK, names), Scale(routers=4))
    assert list(top["routers"]) == [*names.values(), *added]
    assert list(top["vrrp"]["routers"]) == [*names.values(), *added]
    assert top["routers"][added[0]]["interfaces"]["eth0"]["address"] == "192.168.1.30/24"


def scenario_file(tmp_path, name: str, **changes) -> Path:
    """A copy of a catalogue scenario with `changes` (its topology named by path)."""
    raw = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())
    raw.update(topology=str(ROOT / "topologies" / f"{raw['topology']}.yaml"), **changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("name, scale, expected", [
    ("three-routers", {"routers": 2}, "scale.routers: expected at least the topology's 3 "
                                      "routers, got 2"),
    ("failover-crash", {"vrids": 1, "routers": 16}, None),  # fine: the textbook's one VRID
    ("ipv6", {"vrids": 255}, None),
])
def test_a_scenarios_scale_is_refused_in_its_own_terms(tmp_path, name, scale, expected):
    """A refusal of the scenario's scale: names its file and field, never --routers (the
    options were not given)."""
    path = scenario_file(tmp_path, name, scale=scale)
    if expected is None:
        assert load_scenario(path)
        return
    with pytest.raises(InputError) as refused:
        load_scenario(path)
    assert str(refused.value) == f"{path}: {expected}"


def test_no_room_for_a_scenarios_scale_names_its_field(tmp_path):
    top = renamed(TEXTBOOK, {})
    top["vrrp"]["routers"]["r2"]["priority"] = 3
    (tmp_path / "low.yaml").write_text(yaml.safe_dump(top))
    raw = yaml.safe_load((SCENARIOS / "failover-crash.yaml").read_text())
    raw.update(topology=str(tmp_path / "low.yaml"), scale={"routers": 5})
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as refused:
        load_scenario(tmp_path / "s.yaml")
    assert str(refused.value) == (f"{tmp_path / 's.yaml'}: scale.routers: expected at most 4 "
                                  "routers (each one added needs its own priority below 3, the "
                                  "lowest given), got 5")


@pytest.mark.parametrize("args, expected", [
    (["load-sharing", "--vrids", "4"], "--vrids 4: expected a scenario whose wait_master names "
                                       "no instance (steps[0].wait_master names each instance's "
                                       "master; the VRIDs added would have none)"),
])
def test_vrids_on_a_scenario_naming_each_instances_master_is_refused(monkeypatch, tmp_path, args,
                                                                     expected):
    """load-sharing --vrids 4 was refused with 'steps[0].wait_master: expected every
    instance under one router, got VI_LAN_A_12, VI_LAN_A_13 under none'."""
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    result = CliRunner().invoke(main, ["run", *args, "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"vrrplab: {expected}"
    assert not any(tmp_path.iterdir())
    assert load_scenario(SCENARIOS / "load-sharing.yaml", scale=Scale(vrids=2))  # adds none


def test_a_scale_that_adds_nothing_is_not_said():
    """--routers 3 on three-routers grows nothing: no 'lab grown from ...'."""
    assert scenario("three-routers", routers=3).scale == {}
    assert scenario("failover-crash", routers=2, vrids=1).scale == {}
    assert scenario("failover-crash", routers=2, vrids=4).scale == {"vrids": 4}
    results = {"scenario": "three-routers", "speaker": "keepalived", "topology": "three-routers",
               "scale": scenario("three-routers", routers=3).scale, "faults": [], "checks": [],
               "vrrp": {"version": 2, "advert_int_s": 1, "vip": "192.168.1.1", "vrid": 10},
               "verdict": "pass", "errors": []}
    assert "lab grown" not in summary(results)


@pytest.mark.parametrize("steps, expected", [
    ([{"cascade": {"kind": "crash"}}, {"cascade": {"kind": "crash"}}],
     "steps[2].cascade: expected a cascade whose faults' names (crash-r1, crash-r2) no other "
     "fault has, got 'crash-r1 (steps[1].cascade), crash-r2 (steps[1].cascade)'"),
    ([{"fault": {"name": "crash-r2", "kind": "stop", "target": "r1", "expect_master": "r2"}},
      {"hold": 1}, {"cascade": {"kind": "crash"}}],
     "steps[3].cascade: expected a cascade whose faults' names (crash-r1, crash-r2) no other "
     "fault has, got 'crash-r2 (steps[1].fault)'"),
])
def test_a_cascade_naming_a_fault_twice_says_which_and_where(tmp_path, steps, expected):
    """Was 'steps[2].cascade.name: expected a name no other fault has' once per clash: a
    field the cascade does not have, and not where the name was taken."""
    path = scenario_file(tmp_path, "three-routers", steps=[{"wait_master": "r1"}, *steps])
    with pytest.raises(InputError) as refused:
        load_scenario(path)
    assert str(refused.value) == f"{path}: {expected}"


def test_the_scale_bench_keeps_a_failed_run_as_a_row(tmp_path, monkeypatch):
    """A run that wrote no results.json (here: refused, exit 2) lost the whole part's rows
    (max() of an empty folder); now it is a row saying why."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale_bench", ROOT / "benchmarks/scale.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    class Refused:
        def wait(self, timeout=None):
            return 2

    def launch(scenario, speaker, out, extra):
        out.with_suffix(".log").write_text("vrrplab: --routers 2: expected at least 3\n")
        return Refused()

    monkeypatch.setattr(bench, "launch", launch)
    for part in ("routers", "vrids", "labs"):
        row = bench.one_size(part, 2, "keepalived", tmp_path)
        assert row["passed"] == 0 and row["runs"] == (2 if part == "labs" else 1)
        assert row["exit_codes"][0] == 2
        assert row["error"].startswith("exit 2, no results.json: vrrplab: --routers 2"), row
        assert "no results.json" in bench.table(part, [row])
        assert "None" not in bench.table(part, [row])  # a count it lacks: "-", not "None/None"
