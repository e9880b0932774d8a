"""The malformed attack's forgeries, through vrrplab's own receive path (no root, no lab).

Each kind must fail exactly the RFC 5798 §7.1 / RFC 3768 §7.1 check it is
named after: the decoder's `DropReason`, the state machine's, or (another
VRID) the bundled daemon's dispatch by VRID, which counts it per interface.
"""

from __future__ import annotations

import io
import json

import pytest
from scapy.layers.inet import IP
from scapy.layers.vrrp import VRRP, VRRPv3

from vrrplab.bundled.config import parse_config
from vrrplab.bundled.daemon import Daemon
from vrrplab.bundled.log import JsonLog
from vrrplab.bundled.net import Datagram, parse_ipv4
from vrrplab.faults import attack
from vrrplab.vrrp.config import RouterConfig
from vrrplab.vrrp.events import PacketReceived, Startup
from vrrplab.vrrp.machine import State, VirtualRouter
from vrrplab.vrrp.packet import DropReason, PacketError, decode

MALLORY, R1, R2, GROUP, VIP = "192.168.1.66", "192.168.1.10", "192.168.1.20", "224.0.0.18", "192.168.1.1"
PASSWORD = "Lab2pass"
DECODE_REASONS = {"ttl": DropReason.BAD_TTL, "checksum": DropReason.BAD_CHECKSUM,
                  "version": DropReason.BAD_VERSION, "truncated": DropReason.TRUNCATED}
MACHINE_REASONS = {**DECODE_REASONS, "vrid": DropReason.WRONG_VRID, "password": DropReason.AUTH_FAILED}


def template(version: int, password: str = PASSWORD) -> IP:
    """r1's advert as mallory sniffs it (VRRPv2 with PASS, or VRRPv3)."""
    if version == 2:
        secret = password.encode().ljust(8, b"\0")
        layer = VRRP(vrid=10, priority=120, addrlist=[VIP], authtype=1,
                     auth1=int.from_bytes(secret[:4], "big"), auth2=int.from_bytes(secret[4:], "big"))
    else:
        layer = VRRPv3(vrid=10, priority=120, adv=100, addrlist=[VIP])
    return IP(bytes(IP(src=R1, dst=GROUP, ttl=255) / layer))


def forged(version: int, kind: str) -> Datagram:
    """The forged advert as the bundled speaker's raw socket hands it over."""
    datagram = parse_ipv4(bytes(attack.malformed_advert(template(version), MALLORY, kind)))
    assert datagram is not None
    return datagram


def kinds_for(version: int) -> list[str]:
    return [k for k in attack.MALFORMED if not (version == 3 and k == "password")]


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("kind", sorted(DECODE_REASONS))
def test_the_decoder_names_the_flaw(kind, version):
    d = forged(version, kind)
    with pytest.raises(PacketError) as caught:
        decode(d.payload, d.src, d.dst, d.ttl)
    assert caught.value.reason is DECODE_REASONS[kind]


@pytest.mark.parametrize("version", [2, 3])
def test_each_is_a_priority_255_advert_from_mallory_with_one_flaw(version):
    for kind in kinds_for(version):
        d = forged(version, kind)
        assert (d.src, d.dst, d.payload[2]) == (MALLORY, GROUP, 255), kind
        assert d.ttl == (attack.BAD_TTL if kind == "ttl" else 255), kind
        assert d.payload[1] == (11 if kind == "vrid" else 10), kind  # what the daemon dispatches on
    assert len(forged(version, "truncated").payload) == len(forged(version, "ttl").payload) - 4
    assert forged(version, "checksum").payload[6:8] != forged(version, "ttl").payload[6:8]


def test_the_wrong_password_is_never_the_real_one():
    assert attack.malformed_advert(template(3), MALLORY, "password") is None  # RFC 5798 §9: no auth
    for real in (PASSWORD, attack.WRONG_PASSWORD.decode()):
        packet = attack.malformed_advert(template(2, real), MALLORY, "password")
        advert = decode(attack.message_of(packet), MALLORY, GROUP, 255)
        assert advert.auth_type == 1 and advert.auth_data != real.encode()


@pytest.mark.parametrize("version", [2, 3])
def test_a_backup_drops_each_by_its_reason_and_its_timer_runs_on(version):
    config = RouterConfig(vrid=10, priority=100, version=version, advert_int_s=1.0, vips=(VIP,),
                          primary_ip=R2, auth_pass=PASSWORD if version == 2 else None)
    router = VirtualRouter(config)
    router.handle(Startup(), now=0.0)
    master_down = router.get_timer()
    for kind in kinds_for(version):
        d = forged(version, kind)
        assert router.handle(PacketReceived(d.payload, d.src, d.dst, d.ttl), now=1.0) == [], kind
    assert dict(router.drops) == {MACHINE_REASONS[k]: 1 for k in kinds_for(version)}
    assert router.state is State.BACKUP and router.get_timer() == master_down


def test_the_bundled_daemon_counts_every_kind_by_reason():
    instance = {"name": "VI_LAN", "vrid": 10, "interface": "eth0", "primary_ip": R2,
                "vips": [f"{VIP}/24"], "priority": 100, "state": "BACKUP", "version": 2,
                "advert_int": 1.0, "preempt": True, "preempt_delay": 0.0, "auth_pass": PASSWORD,
                "use_vmac": False, "track_scripts": [], "track_interfaces": []}
    config = parse_config({"schema": 1, "router": "r2", "source": "test", "scripts": {},
                           "sync_group": None, "instances": [instance]})
    log = io.StringIO()
    daemon = Daemon(config, JsonLog(log, clock=lambda: 0.0), clock=lambda: 0.0)
    for kind in attack.MALFORMED:
        for _ in range(3):
            daemon.on_datagram("eth0", forged(2, kind), 0.0)
    expected = {str(MACHINE_REASONS[k]): 3 for k in attack.MALFORMED if k != "vrid"}
    assert {str(k): v for k, v in daemon.instances["VI_LAN"].router.drops.items()} == expected
    assert dict(daemon.unmatched) == {"eth0": 3}  # another VRID: no instance of ours
    reasons = [json.loads(line)["reason"] for line in log.getvalue().splitlines()
               if '"drop"' in line]
    assert sorted(reasons) == sorted(str(MACHINE_REASONS[k]) for k in attack.MALFORMED)


@pytest.mark.parametrize("version, sent", [(2, 30), (3, 25)])
def test_send_malformed_reports_each_kind(monkeypatch, capsys, version, sent):
    packets = []
    monkeypatch.setattr("scapy.sendrecv.send", lambda p, count, **kw: packets.append((p, count)))
    monkeypatch.setattr("scapy.arch.get_if_addr", lambda iface: MALLORY)
    assert attack.send_malformed(template(version), "eth0", 5, lambda: True) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "forging" and events[0]["src"] == MALLORY
    assert [(e["event"], e["kind"]) for e in events[1:-1]] == [
        ("skipped" if version == 3 and k == "password" else "sent", k) for k in attack.MALFORMED]
    assert (events[-1]["event"], events[-1]["sent"]) == ("stopped", sent)
    assert len(packets) == len(kinds_for(version)) and {c for _, c in packets} == {5}


def test_send_malformed_stops_when_told(monkeypatch, capsys):
    monkeypatch.setattr("scapy.sendrecv.send", lambda *a, **kw: pytest.fail("sent after SIGTERM"))
    monkeypatch.setattr("scapy.arch.get_if_addr", lambda iface: MALLORY)
    attack.send_malformed(template(2), "eth0", 5, lambda: False)
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["event"] for e in events] == ["forging", "stopped"] and events[-1]["sent"] == 0
