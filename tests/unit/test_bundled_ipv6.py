"""The bundled speaker's IPv6 pieces (VRRPv3, RFC 5798 §5.1.2), without root.

Config acceptance and refusal, the unsolicited NA bytes against scapy, the
ancillary data of a received IPv6 datagram (hop limit, destination) as the
kernel really hands it over (a UDP socket on ::1, no root needed), the
link-local source lookup, and two daemons on a fake clock over an in-memory wire.
"""

from __future__ import annotations

import io
import socket
import struct
from ipaddress import IPv4Interface, IPv6Interface

import pytest
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import Ether

from vrrplab.bundled import check as check_module
from vrrplab.bundled import daemon as daemon_module
from vrrplab.bundled import net as net_module
from vrrplab.bundled.config import ConfigProblem, parse_config, with_link_local_sources
from vrrplab.bundled.check import check_environment
from vrrplab.bundled.daemon import Daemon
from vrrplab.bundled.links import IFA_F_NODAD, Links
from vrrplab.bundled.log import JsonLog, read_events
from vrrplab.bundled.net import (Datagram, datagram_v6, in6_pktinfo, ipv6_mreq, link_local_addresses,
                                 na_frame)
from vrrplab.vrrp.machine import State
from vrrplab.vrrp.packet import Advert, decode, encode

R1_LL, R2_LL = "fe80::ff:fe00:1", "fe80::ff:fe00:2"
VIPS = ("fe80::1/64", "2001:db8:1::1/64")
MDI_120_V3 = 3 * 1.0 + (256 - 120) / 256 * 1.0  # RFC 5798 §6.1, advert 1 s
MAC = "02:00:00:00:00:aa"  # every fake device's


def instance6(name: str = "VI_6", primary: str = R1_LL, vips: tuple[str, ...] = VIPS, priority: int = 120,
              **extra: object) -> dict:
    spec = {"name": name, "vrid": 10, "interface": "eth0", "primary_ip": primary, "vips": list(vips),
            "priority": priority, "state": "BACKUP", "version": 3, "advert_int": 1.0, "preempt": True,
            "preempt_delay": 0.0, "auth_pass": None, "use_vmac": False, "track_scripts": [],
            "track_interfaces": []}
    return {**spec, **extra}


def document(*instances: dict, router: str = "r1") -> dict:
    return {"schema": 1, "router": router, "source": "test", "scripts": {}, "sync_group": None,
            "instances": list(instances)}


def problems(doc: dict) -> list[str]:
    with pytest.raises(ConfigProblem) as caught:
        parse_config(doc)
    return caught.value.problems


# -- config ------------------------------------------------------------------------


@pytest.mark.parametrize("primary", [R1_LL, "2001:db8:1::10"])
def test_an_ipv6_instance_is_accepted_with_a_link_local_or_global_primary(primary):
    (inst,) = parse_config(document(instance6(primary=primary))).instances
    assert inst.family == 6 and inst.router.family == 6
    assert inst.vips == (IPv6Interface("fe80::1/64"), IPv6Interface("2001:db8:1::1/64"))
    assert inst.router.vips == ("fe80::1", "2001:db8:1::1") and inst.router.primary_ip == primary


def test_one_link_local_vip_alone_is_enough():
    (inst,) = parse_config(document(instance6(vips=("fe80::1/64",)))).instances
    assert inst.router.vips == ("fe80::1",)


BAD_IPV6 = [
    (dict(version=2), "instances[0].version: expected 3 for IPv6 addresses (VRRPv2, RFC 3768, is IPv4 only), got 2"),
    (dict(vips=["2001:db8:1::1/64", "fe80::1/64"]),
     'instances[0].vips[0]: expected the virtual router\'s IPv6 link-local address (fe80::/10) first'),
    (dict(vips=["fe80::1/64", "192.168.1.1/24"]),
     'instances[0].vips[1]: expected an IPv6 address like instances[0].vips[0] (one family per instance'),
    (dict(primary_ip="192.168.1.10"), 'instances[0].primary_ip: expected an IPv6 address like the vips'),
    (dict(primary_ip="ff02::12"), 'instances[0].primary_ip: expected a unicast address, got "ff02::12"'),
    (dict(vips=["fe80::1/64", "ff02::1"]), 'instances[0].vips[1]: expected a unicast address'),
    (dict(use_vmac=True), "instances[0].use_vmac: expected false for IPv6"),
    (dict(auth_pass="Lab2pass"), "auth_pass is a non-empty VRRPv2 password"),
    (dict(advert_int=0.005), "instances[0].advert_int: expected a number from 0.01 to 255"),
]


@pytest.mark.parametrize(("change", "message"), BAD_IPV6, ids=[m[:60] for _, m in BAD_IPV6])
def test_bad_ipv6_instances_are_refused_naming_the_field(change, message):
    found = problems(document(instance6(**change)))
    assert any(message in p for p in found), found
    assert len(found) == 1, found  # one mistake, one line: the core does not repeat it


def test_every_ipv6_problem_is_listed_at_once():
    found = problems(document(instance6(primary="2001:db8:1::10", vips=("2001:db8:1::1/64", "fe80::1/64"),
                                        version=2, use_vmac=True)))
    assert [p.split(":")[0] for p in found] == ["instances[0].vips[0]", "instances[0].version",
                                                 "instances[0].use_vmac"], found


def test_an_ipv4_instance_refuses_an_ipv6_vip_or_primary():
    v4 = dict(primary_ip="192.168.1.10", version=2, auth_pass="Lab2pass")
    assert problems(document(instance6(vips=("192.168.1.1/24", "fe80::1/64"), **v4))) == [
        'instances[0].vips[1]: expected an IPv4 address like instances[0].vips[0] (one family per instance, '
        'RFC 5798 §5.2.9), got "fe80::1/64"']
    assert problems(document(instance6(vips=("192.168.1.1/24",), primary_ip="fe80::1", version=2,
                                       auth_pass="x"))) == [
        'instances[0].primary_ip: expected an IPv4 address like the vips, got "fe80::1"']


def test_ipv4_and_ipv6_share_a_vrid_on_one_interface_but_two_ipv6_do_not():
    v4 = instance6("VI_4", primary="192.168.1.10", vips=("192.168.1.1/24",), version=2, auth_pass="Lab2pass")
    config = parse_config(document(v4, instance6()))  # RFC 5798 §5.2.3: separate VRID spaces
    assert [i.family for i in config.instances] == [4, 6]
    found = problems(document(instance6(), instance6("VI_6b")))
    assert found == ['instances: (interface, vrid) pairs of IPv6 instances: expected no duplicates, '
                     'got [["eth0", 10]]']


def test_a_global_primary_is_replaced_by_the_interface_link_local_address():
    config = parse_config(document(instance6(primary="2001:db8:1::10"), instance6("VI_ll", primary=R2_LL)
                                   | {"interface": "eth1"}))
    found = {"VI_6": R1_LL, "VI_ll": R2_LL}
    resolved = with_link_local_sources(config, lambda inst: found[inst.name])
    assert [i.router.primary_ip for i in resolved.instances] == [R1_LL, R2_LL]
    with pytest.raises(ConfigProblem) as caught:
        with_link_local_sources(config, lambda inst: None)
    assert caught.value.problems == [
        "instance VI_6: no usable IPv6 link-local address on eth0 to send adverts from "
        "(RFC 5798 §5.1.2.1; missing, or still tentative)",
        f"instance VI_ll: no usable link-local address {R2_LL} on eth1 to send adverts from "
        "(RFC 5798 §5.1.2.1; missing, or still tentative)"]


@pytest.mark.parametrize(("primary", "usable", "source"), [
    ("2001:db8:1::10", [R1_LL, R2_LL], R1_LL),  # global: the first usable link-local
    ("2001:db8:1::10", [], None),
    (R2_LL, [R1_LL, R2_LL], R2_LL),  # link-local: that one, once usable
    (R2_LL, [R1_LL], None),
    ("fe80::1", ["fe80::1"], "fe80::1"),  # an owner whose own address is the VIP
])
def test_wait_link_local_picks_the_advert_source(monkeypatch, primary, usable, source):
    asked = []
    monkeypatch.setattr(daemon_module, "link_local_addresses",
                        lambda device, exclude: asked.append(exclude) or [a for a in usable if a not in exclude])
    (inst,) = parse_config(document(instance6(primary=primary))).instances
    assert daemon_module.wait_link_local(inst, timeout=0) == source
    assert asked[0] == frozenset({"fe80::1", "2001:db8:1::1"}) - {primary}


def test_ipv4_configs_go_through_the_resolution_unchanged():
    v4 = instance6("VI_4", primary="192.168.1.10", vips=("192.168.1.1/24",), version=2, auth_pass="Lab2pass")
    config = parse_config(document(v4))
    assert with_link_local_sources(config, lambda inst: pytest.fail("asked for IPv4")) == config


def test_check_environment_refuses_an_interface_without_ipv6(tmp_path, monkeypatch):
    sys_net, proc_net = tmp_path / "sys", tmp_path / "proc"
    for device, disabled in (("eth0", "1"), ("eth1", "0")):
        (sys_net / device).mkdir(parents=True)
        (proc_net / "ipv6" / "conf" / device).mkdir(parents=True)
        (proc_net / "ipv6" / "conf" / device / "disable_ipv6").write_text(disabled + "\n")
    monkeypatch.setattr(check_module, "SYS_NET", sys_net)
    monkeypatch.setattr(check_module, "PROC_NET", proc_net)
    config = parse_config(document(instance6(), instance6("VI_up") | {"interface": "eth1"}))
    assert check_environment(config) == ["interface eth0: IPv6 is disabled (net.ipv6.conf.eth0.disable_ipv6 = 1)"]


# -- packets -----------------------------------------------------------------------


@pytest.mark.parametrize(("mac", "source", "target"), [
    ("02:00:00:00:00:02", R2_LL, "2001:db8:1::1"),
    ("02:00:00:00:00:02", R2_LL, "fe80::1"),
    ("66:70:1a:76:ba:43", "fe80::6470:1aff:fe76:ba43", "2001:db8:ffff::abcd"),
])
def test_unsolicited_na_matches_scapy(mac, source, target):
    """RFC 5798 §6.4.2: Router set, Solicited clear, Override set, the target's link-layer address."""
    expected = (Ether(dst="33:33:00:00:00:01", src=mac) / IPv6(src=source, dst="ff02::1", hlim=255)
                / ICMPv6ND_NA(R=1, S=0, O=1, tgt=target) / ICMPv6NDOptDstLLAddr(lladdr=mac))
    frame = na_frame(mac, source, target)
    assert frame == bytes(expected)
    parsed = Ether(frame)
    assert (parsed[ICMPv6ND_NA].R, parsed[ICMPv6ND_NA].S, parsed[ICMPv6ND_NA].O) == (1, 0, 1)
    assert len(frame) == 86  # 14 + 40 + 24 + 8


def test_ipv6_struct_layouts():
    group = socket.inet_pton(socket.AF_INET6, "ff02::12")
    assert ipv6_mreq("ff02::12", 3) == group + struct.pack("@I", 3)
    assert in6_pktinfo(R1_LL, 7) == socket.inet_pton(socket.AF_INET6, R1_LL) + struct.pack("@I", 7)


def test_datagram_v6_reads_hop_limit_and_destination_from_ancillary_data():
    ancdata = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, in6_pktinfo("ff02::12", 3)),
               (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("@i", 255))]
    got = datagram_v6(b"payload", (f"{R1_LL}%eth0", 0, 0, 3), ancdata)
    assert got == Datagram(b"payload", R1_LL, "ff02::12", 255, family=6)


def test_datagram_v6_without_ancillary_data_is_left_for_the_core_to_drop():
    got = datagram_v6(b"x", (R1_LL, 0, 0, 3), [])
    assert (got.ttl, got.dst) == (0, "::")  # the core counts bad_ttl


def test_datagram_v6_on_the_kernel_s_own_ancillary_data():
    """The same options as `Vrrp6Socket`, on UDP over ::1 (raw sockets need root)."""
    try:
        receiver = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        receiver.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    sender = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    with receiver, sender:
        receiver.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        receiver.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        receiver.settimeout(5)
        for hops in (255, 7):
            sender.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
            sender.sendto(b"advert", receiver.getsockname())
            payload, ancdata, _, address = receiver.recvmsg(2048, net_module.Vrrp6Socket.ANCILLARY_BUFFER)
            assert datagram_v6(payload, address, ancdata) == Datagram(b"advert", "::1", "::1", hops, family=6)


def test_link_local_addresses_skip_tentative_failed_and_vip_addresses(tmp_path):
    table = tmp_path / "if_inet6"
    table.write_text(
        "fe800000000000000000000000000001 02 40 20 82     eth0\n"  # the VIP a killed master left
        "fe80000000000000000000fffe000009 02 40 20 c8     eth0\n"  # DAD failed
        "20010db8000100000000000000000010 02 40 00 80     eth0\n"  # global
        "fe80000000000000000000fffe000007 03 40 20 80     eth1\n"  # another device
        "fe80000000000000000000fffe000001 02 40 20 c0     eth0\n"  # tentative (DAD running)
    )
    assert link_local_addresses("eth0", frozenset({"fe80::1"}), table) == []
    table.write_text(table.read_text().replace("20 c0     eth0", "20 80     eth0"))
    assert link_local_addresses("eth0", frozenset({"fe80::1"}), table) == [R1_LL]
    assert link_local_addresses("eth0", frozenset(), table) == ["fe80::1", R1_LL]
    assert link_local_addresses("eth9", frozenset(), table) == []
    assert link_local_addresses("eth0", frozenset(), tmp_path / "missing") == []


# -- links -------------------------------------------------------------------------


class FakeIPRoute:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def link_lookup(self, ifname: str) -> list[int]:
        return [2]

    def addr(self, op: str, **kwargs) -> None:
        self.calls.append((op, kwargs))


def test_ipv6_vips_are_added_without_dad_and_ipv4_ones_as_before():
    links = Links({}, ())
    links._ipr = ipr = FakeIPRoute()
    links.add_vips("eth0", (IPv6Interface("fe80::1/64"), IPv6Interface("2001:db8:1::1/64")))
    links.add_vips("eth0", (IPv4Interface("192.168.1.1/24"),))
    links.remove_vips("eth0", (IPv6Interface("fe80::1/64"),))
    assert ipr.calls == [
        ("add", {"index": 2, "address": "fe80::1", "prefixlen": 64, "flags": IFA_F_NODAD}),
        ("add", {"index": 2, "address": "2001:db8:1::1", "prefixlen": 64, "flags": IFA_F_NODAD}),
        ("add", {"index": 2, "address": "192.168.1.1", "prefixlen": 24}),
        ("del", {"index": 2, "address": "fe80::1", "prefixlen": 64}),
    ]


# -- two daemons on a fake clock -----------------------------------------------------


class FakeSocket:
    def __init__(self, wire: list, router: str, device: str, source: str) -> None:
        self.wire, self.router, self.device, self.source = wire, router, device, source

    def send(self, message: bytes) -> None:
        self.wire.append((self.router, "advert", self.device, self.source, message))

    def close(self) -> None:
        pass


class FakeAnnouncer:
    def __init__(self, wire: list, router: str) -> None:
        self.wire, self.router = wire, router

    def send_garp(self, ip: str, mac: str | None = None) -> None:
        self.wire.append((self.router, "garp", ip, None, mac))

    def send_na(self, ip: str, source: str, mac: str | None = None) -> None:
        self.wire.append((self.router, "na", ip, source, mac))

    def close(self) -> None:
        pass


class FakeLinks:
    prepared, error, notes = True, None, []

    def __init__(self, wire: list, router: str) -> None:
        self.wire, self.router = wire, router

    def add_vips(self, device, vips) -> None:
        self.wire.append((self.router, "add", device, None, tuple(str(v) for v in vips)))

    def remove_vips(self, device, vips) -> None:
        self.wire.append((self.router, "remove", device, None, tuple(str(v) for v in vips)))

    def wait(self) -> None:
        pass

    def close(self) -> list[str]:
        return []


def _daemon(monkeypatch, doc: dict, wire: list, clock: list[float]) -> tuple[Daemon, io.StringIO]:
    monkeypatch.setattr(daemon_module, "device_mac", lambda device: MAC)
    monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
    log = io.StringIO()
    d = Daemon(parse_config(doc), JsonLog(log, clock=lambda: clock[0]), clock=lambda: clock[0])
    d.links = FakeLinks(wire, doc["router"])
    for inst in d.instances.values():
        inst.sock = FakeSocket(wire, doc["router"], inst.spec.device, inst.spec.router.primary_ip)
        inst.arp = FakeAnnouncer(wire, doc["router"])
    return d, log


def test_two_ipv6_daemons_elect_hand_over_and_announce_with_nas(monkeypatch):
    wire: list[tuple] = []
    clock = [0.0]
    r1, log1 = _daemon(monkeypatch, document(instance6(primary=R1_LL, priority=120), router="r1"), wire, clock)
    r2, _ = _daemon(monkeypatch, document(instance6(primary=R2_LL, priority=100), router="r2"), wire, clock)
    r1.startup(0.0)
    r2.startup(0.0)

    def advance(until: float) -> None:
        while True:
            for sender, what, device, src, message in [w for w in wire if w[1] == "advert"]:
                wire.remove((sender, what, device, src, message))
                receiver = r2 if sender == "r1" else r1
                if receiver.stop_reason is None:
                    receiver.on_datagram(device, Datagram(message, src, "ff02::12", 255, family=6), clock[0])
            due = [t for d in (r1, r2) if d.stop_reason is None and (t := d.next_deadline()) is not None]
            if not due or min(due) > until:
                clock[0] = until
                return
            clock[0] = max(clock[0], min(due))
            for d in (r1, r2):
                if d.stop_reason is None:
                    d.run_due(clock[0])

    advance(MDI_120_V3 - 1e-6)
    assert r1.instances["VI_6"].router.state is State.BACKUP
    before = len(wire)
    advance(MDI_120_V3 + 1e-6)
    wire_log = wire[before:]
    assert r1.instances["VI_6"].router.state is State.MASTER
    assert r2.instances["VI_6"].router.state is State.BACKUP
    assert [w[1] for w in wire_log] == ["add"] + ["na"] * 10  # the advert went to r2 already
    assert {(w[2], w[3], w[4]) for w in wire_log[1:]} == {("fe80::1", R1_LL, MAC), ("2001:db8:1::1", R1_LL, MAC)}
    garp = [e for e in read_events(log1.getvalue()) if e["event"] == "garp"][0]
    assert garp["msg"] == "(VI_6) Sending/queueing Unsolicited Neighbour Adverts on eth0 for fe80::1, 2001:db8:1::1"

    advance(10.0)  # r2 hears r1's adverts (pseudo-header checksums from R1_LL) and stays BACKUP
    assert r2.instances["VI_6"].router.state is State.BACKUP
    assert r2.instances["VI_6"].counters["adverts_received"] == 7 and not r2.instances["VI_6"].router.drops

    r1.stop_reason = "SIGTERM"
    r1.shutdown(clock[0])
    (goodbye,) = [w for w in wire if w[0] == "r1" and w[1] == "advert"]
    assert decode(goodbye[4], R1_LL, "ff02::12", 255).priority == 0  # the codec's checksum, v6 pseudo-header
    advance(clock[0] + 1.0)
    assert r2.instances["VI_6"].router.state is State.MASTER
    assert ("r2", "na", "2001:db8:1::1", R2_LL, MAC) in wire


def test_an_ipv6_advert_goes_to_the_ipv6_instance_of_its_vrid(monkeypatch):
    v4 = instance6("VI_4", primary="192.168.1.10", vips=("192.168.1.1/24",), version=2, auth_pass="Lab2pass")
    wire: list[tuple] = []
    d, _ = _daemon(monkeypatch, document(v4, instance6()), wire, [0.0])
    d.startup(0.0)
    message = encode(Advert(3, 10, 200, 100, ("fe80::1", "2001:db8:1::1")), R2_LL)
    d.on_datagram("eth0", Datagram(message, R2_LL, "ff02::12", 255, family=6), 0.5)
    assert d.instances["VI_6"].counters["adverts_received"] == 1
    assert d.instances["VI_4"].counters["adverts_received"] == 0
    assert d.instances["VI_6"].router.master_ip == R2_LL

