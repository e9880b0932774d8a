"""`--speaker`: shorthands and one kind per router; what FRR lacks, skipped or adapted;
vrrpd's frr.conf and macvlans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.features import describe_adaptation, describe_missing
from vrrplab.loader import find_scenario, load_scenario, load_topology
from vrrplab.speakers import kinds_for, per_router_pairs
from vrrplab.speakers import fit
from vrrplab.speakers.frr import STATE_LINE, FrrSpeaker
from vrrplab.speakers.frr_conf import (
    advert_ms,
    macvlan_commands,
    macvlan_up_commands,
    render_frr_conf,
)

ROOT = Path(__file__).resolve().parents[2]
R1R2 = ["r1", "r2"]


@pytest.mark.parametrize("choice, kinds", [
    ("keepalived", {"r1": "keepalived", "r2": "keepalived"}),
    ("frr", {"r1": "frr", "r2": "frr"}),
    ("mixed", {"r1": "keepalived", "r2": "bundled"}),
    ("r1=frr,r2=keepalived", {"r1": "frr", "r2": "keepalived"}),
    ("r2=bundled, r1=frr", {"r1": "frr", "r2": "bundled"}),
])
def test_each_router_gets_its_kind(choice, kinds):
    assert kinds_for(choice, R1R2) == kinds


@pytest.mark.parametrize("choice, said", [
    ("r1=frr", "nothing for r2"),
    ("r1=frr,r2=frr,r3=bundled", "no router r3"),
    ("r1=frr,r1=bundled", "r1 is named twice"),
    ("r1=quagga,r2=frr", "ROUTER=KIND"),
    ("frr,keepalived", "ROUTER=KIND"),
])
def test_a_wrong_choice_says_what_was_expected(choice, said):
    with pytest.raises(InputError, match=said):
        kinds_for(choice, R1R2)


def test_the_command_line_refuses_a_wrong_choice_before_anything_starts(tmp_path):
    result = CliRunner().invoke(main, ["run", "failover-basic", "--speaker", "r1=frr",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nothing for r2" in result.output
    assert list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(main, ["run", "failover-basic", "--speaker", "r1=junos,r2=frr"])
    assert result.exit_code == 2 and "ROUTER=KIND" in result.output
    assert per_router_pairs("mixed") is None


def _scenario(name: str):
    return load_scenario(find_scenario(name))


def test_failover_basic_runs_on_frr_without_what_it_does_not_need():
    scenario = _scenario("failover-basic")
    kinds = {"r1": "frr", "r2": "keepalived"}
    assert fit.missing(scenario, kinds) == []
    fitted = fit.fitted(scenario, kinds)
    vrrp = fitted.topology.vrrp
    # every router, keepalived's too: they must agree on the wire
    assert vrrp.auth_pass is None and vrrp.sync_group is None and vrrp.use_vmac
    assert [a["change"] for a in fitted.adapted] == ["without", "without", "use_vmac"]
    said = [str(describe_adaptation(a)) for a in fitted.adapted]
    assert "run without VRRPv2 PASS authentication (auth_pass) on every router: r1 (frr)" \
        in said[0]
    # keepalived alone: nothing changes
    assert fit.fitted(scenario, {"r1": "keepalived", "r2": "bundled"}) is scenario


@pytest.mark.parametrize("name, feature", [
    ("healthcheck-fail", "scripts"), ("auth-mismatch", "auth"), ("link-down", "sync_group"),
    ("preempt-delay", "preempt_delay"), ("track-interface", "track_interface"),
    ("priority-change", "scripts"),
])
def test_a_scenario_needing_what_frr_lacks_is_skipped_with_the_reason(name, feature):
    reasons = fit.missing(_scenario(name), {"r1": "keepalived", "r2": "frr"})
    assert {r["feature"] for r in reasons} >= {feature}
    assert all(r["routers"] == ["r2"] and r["kind"] == "frr" for r in reasons)
    assert "r2 (frr): no " in str(describe_missing(reasons[0]))
    assert fit.missing(_scenario(name), {"r1": "keepalived", "r2": "bundled"}) == []


def test_ipv6_runs_on_frr_as_a_known_finding_said_not_skipped():
    # vrrpd's late first IPv6 advert (features.KNOWN): the run goes on as written, its
    # timing checks fail, and why is said beside them (tests/lab/test_frr.py holds them)
    scenario = _scenario("ipv6")
    for kinds in ({"r1": "frr", "r2": "frr"}, {"r1": "keepalived", "r2": "frr"}):
        assert fit.missing(scenario, kinds) == []
        fitted = fit.fitted(scenario, kinds)
        known = [a for a in fitted.adapted if a["change"] == "known"]
        frr = [r for r, k in kinds.items() if k == "frr"]
        assert known == [{"change": "known", "feature": "ipv6", "kind": "frr", "routers": frr}]
        said = str(describe_adaptation(known[0]))
        assert said.startswith(f"{', '.join(frr)} (frr): over IPv6 a router that becomes master "
                               "sends its first advert one advertisement interval late")
        assert "zebra reports the macvlan up before" in said
    # IPv4 on FRR has no such finding
    assert not [a for a in fit.fitted(_scenario("failover-basic"), {"r1": "frr", "r2": "frr"})
                .adapted if a["change"] == "known"]


def test_ipv6_with_frr_and_the_bundled_speaker_is_skipped_for_the_virtual_mac():
    # known-bad: FRR makes every router take the virtual MAC, and the bundled speaker has
    # no IPv6 one (its config refuses use_vmac with IPv6): a skip with its reason, never
    # a failed setup
    scenario = _scenario("ipv6")
    for kinds, lacking in (({"r1": "bundled", "r2": "frr"}, ["r1"]),
                           ({"r1": "frr", "r2": "bundled"}, ["r2"])):
        reasons = fit.missing(scenario, kinds)
        assert reasons == [{"feature": "ipv6_vmac", "routers": lacking, "kind": "bundled"}]
        assert str(describe_missing(reasons[0])) == (
            f"{lacking[0]} (bundled): no IPv6 virtual MAC (use_vmac, which FRR's vrrpd imposes "
            "on every router), which the scenario needs")
    # known-good: the bundled speaker alone, or with keepalived, runs IPv6 on its own MAC
    for kinds in ({"r1": "bundled", "r2": "bundled"}, {"r1": "bundled", "r2": "keepalived"}):
        assert fit.missing(scenario, kinds) == []
        assert fit.fitted(scenario, kinds) is scenario
    # and IPv4 with FRR keeps running on the bundled speaker with the virtual MAC
    assert fit.missing(_scenario("failover-basic"), {"r1": "bundled", "r2": "frr"}) == []


def test_ipv6_with_frr_and_the_bundled_speaker_exits_0_skipped(tmp_path):
    result = CliRunner().invoke(main, ["run", "ipv6", "--speaker", "r1=bundled,r2=frr",
                                       "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)
    assert results["verdict"] == "skipped"
    assert results["skipped_because"] == [{"feature": "ipv6_vmac", "routers": ["r1"],
                                           "kind": "bundled"}]


def test_a_skipped_run_exits_0_and_says_why(tmp_path):
    result = CliRunner().invoke(main, ["run", "healthcheck-fail", "--speaker", "frr",
                                       "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)
    assert results["verdict"] == "skipped" and results["speakers"] == {"r1": "frr", "r2": "frr"}
    assert results["skipped_because"][0]["feature"] == "scripts"
    [run] = (tmp_path / "healthcheck-fail").iterdir()
    assert json.loads((run / "results.json").read_text()) == results
    plain = CliRunner().invoke(main, ["run", "healthcheck-fail", "--speaker", "frr",
                                      "--out", str(tmp_path)])
    assert "SKIPPED, nothing was started" in plain.output and "r1, r2 (frr): no health-check" \
        in plain.output


def test_a_scenario_declares_only_known_needs(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ndescription: d\ntopology: textbook\nneeds: [unicorns]\n"
                    "steps:\n  - wait_master: r1\n")
    with pytest.raises(InputError, match="needs.*auth, sync_group"):
        load_scenario(path)


def test_frr_conf_for_the_textbook():
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    text = render_frr_conf(topo, "r1")
    assert "interface eth0\n vrrp 10 version 2\n vrrp 10 priority 120\n" \
           " vrrp 10 advertisement-interval 1000\n vrrp 10 ip 192.168.1.1\n" in text
    assert "interface eth1\n vrrp 20 version 2\n" in text
    assert " vrrp 10 priority 100\n" in render_frr_conf(topo, "r2")
    assert macvlan_commands(topo, "r1")[:4] == [
        "link add vrrp4-10 link eth0 type macvlan mode bridge",
        "link set dev vrrp4-10 addrgenmode random",
        "link set dev vrrp4-10 address 00:00:5e:00:01:0a",
        "addr add 192.168.1.1/24 dev vrrp4-10"]
    assert macvlan_up_commands(topo) == ["link set dev vrrp4-10 up", "link set dev vrrp4-20 up"]
    assert not any("fe80" in c for c in macvlan_commands(topo, "r1"))


def test_frr_advert_interval_in_whole_centiseconds():
    assert [advert_ms(s) for s in (1, 0.1, 0.01, 0.015, 40.95)] == [1000, 100, 10, 20, 40950]


def test_frr_conf_for_ipv6_uses_the_ipv6_word_and_family_two_mac():
    topo = load_topology(ROOT / "topologies/ipv6.yaml")
    text = render_frr_conf(topo, "r1")
    assert " ipv6 fe80::1" in text
    commands = macvlan_commands(topo, "r2")
    lan = commands[:commands.index("link add vrrp6-20 link eth1 type macvlan mode bridge")]
    # no generated link-local: the interface's own (fe80::20 on r2's eth0) is the adverts'
    # source, added after the VIPs so that the kernel lists it before the VIP fe80::1
    assert lan == ["link add vrrp6-10 link eth0 type macvlan mode bridge",
                   "link set dev vrrp6-10 addrgenmode none",
                   "link set dev vrrp6-10 address 00:00:5e:00:02:0a",
                   "addr add fe80::1/64 dev vrrp6-10 nodad",
                   "addr add 2001:db8:1::1/64 dev vrrp6-10 nodad",
                   "addr add fe80::20/64 dev vrrp6-10 nodad"]
    assert "addr add fe80::10/64 dev vrrp6-20 nodad" in macvlan_commands(topo, "r1")


def test_frr_state_lines_by_vrid_and_family():
    speaker = FrrSpeaker.__new__(FrrSpeaker)
    speaker.topology = load_topology(ROOT / "topologies/textbook.yaml")
    log = ("2026/12/05 14:50:01 VRRP: [ABCDE-FGHIJ] [VRRP] [VRID 10] [IPv4] Initialize -> Backup\n"
           "2026/12/05 14:50:01 VRRP: [ABCDE-FGHIJ] [VRRP] [VRID 20] [IPv4] Initialize -> Backup\n"
           "2026/12/05 14:50:04 VRRP: [ABCDE-FGHIJ] [VRRP] [VRID 10] [IPv4] Backup -> Master\n")
    assert [s for s, _ in speaker.state_changes(log)] == ["BACKUP", "MASTER"]
    assert [s for s, _ in speaker.state_changes(log, "VI_UP")] == ["BACKUP"]
    assert STATE_LINE.search("[VRID 10] [IPv6] Master -> Initialize")


def test_report_reprints_a_skipped_run_and_draws_nothing(tmp_path):
    CliRunner().invoke(main, ["run", "healthcheck-fail", "--speaker", "frr", "--out", str(tmp_path)])
    [run] = (tmp_path / "healthcheck-fail").iterdir()
    result = CliRunner().invoke(main, ["report", str(run)])
    assert result.exit_code == 0 and "SKIPPED" in result.output
    assert [p.name for p in run.iterdir()] == ["results.json"]
    doc = json.loads((run / "results.json").read_text())
    doc["skipped_because"][0]["feature"] = "teleportation"
    (run / "results.json").write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["report", str(run)])
    assert result.exit_code == 2 and "results.json" in result.output


def test_frr_s_window_opens_at_its_centisecond_skew_time_and_no_one_else_s():
    from vrrplab.analysis import windows

    assert windows.centisecond_floor_s(156 / 256) == pytest.approx(0.009375)  # 0.609 -> 0.60
    assert windows.centisecond_floor_s(0.6) == pytest.approx(0.0)

    def window(kind):
        timers = windows.Timers(1.0, 156 / 256, 3 + 156 / 256, windows.SPEAKERS[kind])
        return windows.takeover_window("goodbye", timers, windows.Circumstances())

    # FRR measured here took over 0.601-0.604 s after the goodbye: inside its window, and
    # outside keepalived's or the bundled speaker's, which compute the exact 0.609 s
    assert window("frr").lower_s == pytest.approx(0.60, abs=2e-4)
    assert window("frr").verdict(0.601) == "ok"
    for exact in ("keepalived", "bundled"):
        assert window(exact).verdict(0.601) == "early"


def test_students_keepalived_conf_files_are_refused_on_frr_once(tmp_path):
    seed = ROOT / "tests/unit/data/seed_lesson"
    (tmp_path / "pairs" / "alice").mkdir(parents=True)
    for name in ("r1.conf", "r2.conf"):
        (tmp_path / "pairs" / "alice" / name).write_text((seed / name).read_text())
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "pairs"), "--speaker",
                                       "r1=keepalived,r2=frr", "--out", str(tmp_path / "g")])
    assert result.exit_code == 2 and "not on frr" in result.output
    assert not (tmp_path / "g").exists()
    result = CliRunner().invoke(main, ["run", "failover-basic", "--speaker", "frr", "--config",
                                       f"r1={seed / 'r1.conf'}", "--config",
                                       f"r2={seed / 'r2.conf'}", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not on frr" in result.output


def test_a_vip_on_an_interface_that_is_operationally_down_is_held_by_nobody():
    from vrrplab.lab.network import held_addresses

    addrs = ("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
             "2: eth0    inet 192.168.1.20/24 scope global eth0\\       valid_lft forever\n"
             "4: vrrp4-10    inet 192.168.1.1/24 scope global vrrp4-10\\       valid_lft forever\n"
             "5: vrrp.20    inet 203.0.113.1/24 scope global vrrp.20\\       valid_lft forever\n"
             "2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever\n")
    links = ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\n"
             "2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP mode DEFAULT\n"
             "4: vrrp4-10@eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue "
             "state DOWN mode DEFAULT protodown on\n"
             "5: vrrp.20@eth1: <BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 state LOWERLAYERDOWN\n")
    assert held_addresses(addrs, links) == ["127.0.0.1", "192.168.1.20", "fe80::1"]
    # known-bad: the same VIP on an interface that is up is held
    assert "192.168.1.1" in held_addresses(addrs, links.replace("state DOWN", "state UP"))


def test_an_owner_or_a_vrid_on_two_interfaces_is_skipped_on_frr_only():
    import dataclasses

    scenario = _scenario("failover-basic")
    vrrp = scenario.topology.vrrp
    owner = dataclasses.replace(vrrp, routers=tuple(
        dataclasses.replace(r, priority=255) if r.name == "r1" else r for r in vrrp.routers))
    reused = dataclasses.replace(vrrp, instances=tuple(
        dataclasses.replace(i, vrid=10) for i in vrrp.instances))
    for changed, feature in ((owner, "owner"), (reused, "vrid_reused")):
        variant = dataclasses.replace(scenario, topology=dataclasses.replace(
            scenario.topology, vrrp=changed))
        assert [r["feature"] for r in fit.missing(variant, {"r1": "frr", "r2": "frr"})] \
            == [feature]
        assert fit.missing(variant, {"r1": "keepalived", "r2": "bundled"}) == []
    assert fit.missing(scenario, {"r1": "frr", "r2": "frr"}) == []  # the textbook itself runs
