"""The bundled speaker's JSON config: golden files for the textbook, the model's options, round trip."""

from __future__ import annotations

import dataclasses
import json
from ipaddress import IPv4Interface
from pathlib import Path

import pytest

from vrrplab.bundled.config import parse_config
from vrrplab.loader import load_topology
from vrrplab.loader.model import Topology, TrackScript
from vrrplab.speakers.bundled_conf import render_bundled_conf

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def textbook() -> Topology:
    return load_topology(ROOT / "topologies/textbook.yaml")


def with_vrrp(topo: Topology, **changes: object) -> Topology:
    return dataclasses.replace(topo, vrrp=dataclasses.replace(topo.vrrp, **changes))


def with_router(topo: Topology, name: str, **changes: object) -> Topology:
    routers = tuple(dataclasses.replace(r, **changes) if r.name == name else r for r in topo.vrrp.routers)
    return with_vrrp(topo, routers=routers)


@pytest.mark.parametrize("router", ["r1", "r2"])
def test_textbook_config_matches_golden(textbook, router):
    expected = (GOLDEN / f"textbook-{router}.bundled.json").read_text()
    assert render_bundled_conf(textbook, router) == expected


def test_textbook_r1_says_what_the_lesson_says(textbook):
    doc = json.loads(render_bundled_conf(textbook, "r1"))
    assert doc["sync_group"] == {"name": "GATEWAY", "instances": ["VI_LAN", "VI_UP"]}
    lan, up = doc["instances"]
    assert (lan["vrid"], lan["interface"], lan["primary_ip"], lan["vips"]) == (10, "eth0", "192.168.1.10",
                                                                             ["192.168.1.1/24"])
    assert (up["vrid"], up["interface"], up["primary_ip"]) == (20, "eth1", "203.0.113.10")
    assert lan["priority"] == 120 and lan["version"] == 2 and lan["advert_int"] == 1.0
    assert lan["auth_pass"] == "Lab2pass" and lan["preempt"] is True and lan["use_vmac"] is False


def test_v3_without_auth(textbook):
    topo = with_vrrp(textbook, version=3, advert_int=0.1, auth_pass=None, preempt=False, preempt_delay=2.5)
    lan = json.loads(render_bundled_conf(topo, "r2"))["instances"][0]
    assert (lan["version"], lan["advert_int"], lan["auth_pass"]) == (3, 0.1, None)
    assert (lan["preempt"], lan["preempt_delay"]) == (False, 2.5)
    config = parse_config(json.loads(render_bundled_conf(topo, "r2")))
    assert config.instances[0].router.adver_int == 10  # centiseconds on the wire (RFC 5798 §5.2.7)


def test_vmac(textbook):
    config = parse_config(json.loads(render_bundled_conf(with_vrrp(textbook, use_vmac=True), "r1")))
    lan, up = config.instances
    assert lan.use_vmac and (lan.vmac_name, lan.vmac_address, lan.device) == ("vrrp.10", "00:00:5e:00:01:0a",
                                                                            "vrrp.10")
    assert up.vmac_address == "00:00:5e:00:01:14"


def test_track_scripts_and_interfaces(textbook):
    check = TrackScript("chk_gateway", "ping -c 1 -W 1 203.0.113.100", 2.0, -30, rise=2, fall=3)
    topo = with_router(textbook, "r1", track_scripts=(check,), track_interfaces=("eth1",))
    doc = json.loads(render_bundled_conf(topo, "r1"))
    assert doc["scripts"] == {"chk_gateway": {"script": "ping -c 1 -W 1 203.0.113.100", "interval": 2.0,
                                              "weight": -30, "rise": 2, "fall": 3}}
    assert all(i["track_scripts"] == ["chk_gateway"] and i["track_interfaces"] == ["eth1"]
               for i in doc["instances"])
    lan = parse_config(doc).instances[0]
    assert lan.tracked_links == ("eth0", "eth1")  # its own interface first, as keepalived tracks it
    assert json.loads(render_bundled_conf(topo, "r2"))["scripts"] == {}


def test_per_router_auth_and_no_sync_group_with_one_instance(textbook):
    topo = with_router(textbook, "r2", auth_pass="Other123")
    topo = with_vrrp(topo, instances=topo.vrrp.instances[:1])
    doc = json.loads(render_bundled_conf(topo, "r2"))
    assert doc["instances"][0]["auth_pass"] == "Other123"
    assert doc["sync_group"] is None and len(doc["instances"]) == 1
    assert json.loads(render_bundled_conf(topo, "r1"))["instances"][0]["auth_pass"] == "Lab2pass"


@pytest.mark.parametrize("router", ["r1", "r2"])
def test_round_trip_into_the_core(textbook, router):
    config = parse_config(json.loads(render_bundled_conf(textbook, router)))
    me = textbook.vrrp.router(router)
    assert config.router == router and config.sync_members == ("VI_LAN", "VI_UP") and not config.warnings
    for spec, inst in zip(config.instances, textbook.vrrp.instances):
        assert spec.vips == tuple(IPv4Interface(v) for v in inst.vips)
        core = spec.router
        assert (core.vrid, core.priority, core.version, core.advertisement_interval) == (
            inst.vrid, me.priority, 2, 1.0)
        assert core.primary_ip == str(textbook.node(router).interface(inst.interface).address.ip)
        assert core.vips == tuple(str(v.ip) for v in inst.vips) and core.auth_pass == "Lab2pass"
