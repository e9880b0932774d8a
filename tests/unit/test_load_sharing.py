"""Load sharing: per-instance priorities, masters by instance, two probing clients. No root."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vrrplab.analysis.checks import build_checks
from vrrplab.loader import load_scenario, load_topology
from vrrplab.speakers.bundled_conf import render_bundled_conf
from vrrplab.speakers.keepalived_conf import render_keepalived_conf

ROOT = Path(__file__).resolve().parents[2]


def topology():
    return load_topology(ROOT / "topologies/load-sharing.yaml")


def test_each_instance_has_its_own_priorities_and_first_master():
    vrrp = topology().vrrp
    assert (vrrp.priority("r1", "VI_LAN_A"), vrrp.priority("r2", "VI_LAN_A")) == (120, 100)
    assert (vrrp.priority("r1", "VI_LAN_B"), vrrp.priority("r2", "VI_LAN_B")) == (100, 120)
    assert vrrp.master_of("VI_LAN_A") == "r1" and vrrp.master_of("VI_UP_B") == "r2"
    assert vrrp.state("r1", "VI_LAN_B") == "BACKUP" and vrrp.state("r2", "VI_LAN_B") == "MASTER"
    # the timers follow the instance's priority: r1 backs up .2 with priority 100
    assert vrrp.skew_time("r1", "VI_LAN_B") == vrrp.skew_time("r2", "VI_LAN_A") == 156 / 256


def test_gateways_are_the_lan_instances():
    topo = topology()
    assert [i.name for i in topo.gateway_instances()] == ["VI_LAN_A", "VI_LAN_B"]
    assert topo.lan_instance().name == "VI_LAN_A"


def test_scenario_waits_masters_by_instance_and_moves_only_some():
    scenario = load_scenario(ROOT / "scenarios/load-sharing.yaml")
    first = scenario.steps[0]
    assert dict(first.masters) == {"VI_LAN_A": "r1", "VI_UP_A": "r1",
                                   "VI_LAN_B": "r2", "VI_UP_B": "r2"}
    faults = {f.name: f for f in scenario.faults}
    assert faults["stop-r1"].instances == ()  # every instance: r2 holds them all
    assert faults["stop-r2"].instances == ("VI_LAN_B", "VI_UP_B")
    assert scenario.topology.gateway_of(faults["stop-r2"]).name == "VI_LAN_B"
    assert scenario.topology.gateway_of(faults["stop-r1"]).name == "VI_LAN_A"


def test_every_client_probes_its_own_gateway():
    scenario = load_scenario(ROOT / "scenarios/load-sharing.yaml")
    probes = {p.source: [str(t) for t in p.targets] for p in scenario.probes}
    assert probes == {"c1": ["192.168.1.1", "203.0.113.100"],
                      "c2": ["192.168.1.2", "203.0.113.100"]}
    gateway_b = scenario.topology.vrrp.instance("VI_LAN_B")
    assert scenario.client_of(gateway_b) == "c2"


def test_keepalived_conf_per_instance():
    conf = render_keepalived_conf(topology(), "r2")
    blocks = dict(re.findall(r"vrrp_instance (\w+) \{(.*?)\n\}", conf, re.S))
    assert "state BACKUP" in blocks["VI_LAN_A"] and "priority 100" in blocks["VI_LAN_A"]
    assert "state MASTER" in blocks["VI_LAN_B"] and "priority 120" in blocks["VI_LAN_B"]
    assert "vrrp_sync_group" not in conf


def test_bundled_conf_per_instance():
    doc = json.loads(render_bundled_conf(topology(), "r1"))
    got = {i["name"]: (i["priority"], i["state"]) for i in doc["instances"]}
    assert got == {"VI_LAN_A": (120, "MASTER"), "VI_UP_A": (120, "MASTER"),
                   "VI_LAN_B": (100, "BACKUP"), "VI_UP_B": (100, "BACKUP")}


def _gateway(before, after, settled, changes, lost):
    return {"vip": "192.168.1.2", "vrid": 11, "client": "c2", "expected_before": before,
            "expected_master": after, "old_master": before, "settled_master": settled,
            "master_changes": changes, "lost_probes": lost, "delayed_probes": 0,
            "data_gap_s": 0.01}


def _results(gateway: dict) -> dict:
    return {"errors": [], "snapshots": [], "faults": [{"name": "stop-r1", "expected_master": None,
                                                      "kind": "rogue_router", "gateways":
                                                      {"VI_LAN_B": gateway}, "window_end_s": 9,
                                                      "at_s": 1, "lost_probes": 1}],
            "vrrp": {"vip": "192.168.1.1", "vrid": 10, "advert_int_s": 1,
                     "gateways": [{"instance": "VI_LAN_A", "vrid": 10},
                                  {"instance": "VI_LAN_B", "vrid": 11}]},
            "evidence": {}, "probes": {}}


def test_an_untouched_gateway_must_keep_its_master_and_lose_nothing():
    def named(results):
        return {c["name"]: c["ok"] for c in build_checks(results)}

    ok = named(_results(_gateway("r2", "r2", "r2", 0, 0)))
    assert ok["stop-r1: VI_LAN_B (192.168.1.2) stays on r2, its client untouched"]
    lost = named(_results(_gateway("r2", "r2", "r2", 0, 3)))
    assert not lost["stop-r1: VI_LAN_B (192.168.1.2) stays on r2, its client untouched"]
    moved = named(_results(_gateway("r2", "r1", "r2", 1, 0)))
    assert not moved["stop-r1: VI_LAN_B (192.168.1.2) moves from r2 to r1"]
