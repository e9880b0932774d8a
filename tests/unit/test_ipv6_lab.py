"""The IPv6 lab as data: addresses, link-locals, VIPs, configs for both speakers. No root."""

from __future__ import annotations

import re
from ipaddress import ip_address
from pathlib import Path

from vrrplab.bundled.config import load_config
from vrrplab.loader import load_scenario, load_topology
from vrrplab.speakers.bundled_conf import render_bundled_conf
from vrrplab.speakers.keepalived_conf import render_keepalived_conf

ROOT = Path(__file__).resolve().parents[2]


def topology():
    return load_topology(ROOT / "topologies/ipv6.yaml")


def test_interfaces_get_readable_link_locals():
    r1 = topology().node("r1").interface("eth0")
    assert str(r1.address) == "2001:db8:1::10/64"
    assert str(r1.link_local) == "fe80::10/64"
    assert [str(a) for a in r1.own_addresses()] == ["2001:db8:1::10", "fe80::10"]


def test_the_gateway_is_the_link_local_vip_and_the_client_pings_the_global_one():
    topo = topology()
    lan = topo.lan_instance()
    assert lan.family == 6 and str(lan.vips[0]) == "fe80::1/64"
    assert topo.node("c1").gateway == ip_address("fe80::1")
    assert lan.ping_address() == ip_address("2001:db8:1::1")
    scenario = load_scenario(ROOT / "scenarios/ipv6.yaml")
    assert [str(t) for t in scenario.probe.targets] == ["2001:db8:1::1", "2001:db8:2::100"]


def test_vrrpv3_timers_as_in_ipv4():
    vrrp = topology().vrrp
    assert vrrp.version == 3
    assert vrrp.skew_time("r2") == 156 / 256
    assert vrrp.master_down_interval("r1") == 3 + 136 / 256


def test_keepalived_conf_lists_the_link_local_vip_first_without_auth():
    conf = render_keepalived_conf(topology(), "r1")
    assert "vrrp_version 3" in conf and "authentication" not in conf
    lan = re.search(r"vrrp_instance VI_LAN \{(.*?)\n\}", conf, re.S).group(1)
    vips = re.findall(r"^\s+(\S+) dev eth0$", lan, re.M)
    assert vips == ["fe80::1/64", "2001:db8:1::1/64"]


def test_bundled_conf_is_accepted_by_the_bundled_speaker(tmp_path):
    path = tmp_path / "r2.bundled.json"
    path.write_text(render_bundled_conf(topology(), "r2"))
    config = load_config(path)
    lan = next(i for i in config.instances if i.name == "VI_LAN")
    assert lan.family == 6 and lan.router.version == 3
    assert [str(v) for v in lan.vips] == ["fe80::1/64", "2001:db8:1::1/64"]
