"""The bundled speaker's pure pieces, and its event handling on a fake clock with fake sockets.

No root: config checks, the log format, packet bytes against scapy, keepalived's
script counter, and two daemons wired in memory (what one sends, the other
receives) to check the driver's order of actions and its log.
"""

from __future__ import annotations

import io
import ipaddress
import json
import select
import socket
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from scapy.layers.inet import IP
from scapy.layers.l2 import ARP, Ether
from scapy.layers.vrrp import VRRP

from vrrplab.bundled import daemon as daemon_module
from vrrplab.bundled import net as net_module
from vrrplab.bundled.config import ConfigProblem, load_config, parse_config
from vrrplab.bundled.check import check
from vrrplab.bundled.daemon import Daemon, main
from vrrplab.bundled.health import ScriptHealth, ScriptStatus, tracked_priority
from vrrplab.bundled.log import JsonLog, format_line, read_events, state_message
from vrrplab.bundled.net import Datagram, garp_frame, ip_mreqn, parse_ipv4
from vrrplab.bundled.tracking import Tracker
from vrrplab.errors import InputError, LabError
from vrrplab.speakers import SPEAKER_CHOICES, SPEAKER_KINDS, kinds_for
from vrrplab.speakers.bundled import BundledSpeaker
from vrrplab.speakers.keepalived import KeepalivedSpeaker
from vrrplab.vrrp.events import Fault, PriorityChanged
from vrrplab.vrrp.machine import State
from vrrplab.vrrp.packet import AUTH_PASS, Advert, encode, pass_auth_data

SKEW_100 = 156 / 256  # RFC 3768 §6.1, priority 100, VRRPv2
MDI_120 = 3 + 136 / 256
MDI_100 = 3 + SKEW_100


def instance(name: str = "VI_LAN", vrid: int = 10, interface: str = "eth0", primary: str = "192.168.1.10",
             vips: tuple[str, ...] = ("192.168.1.1/24",), priority: int = 120, **extra: object) -> dict:
    spec = {"name": name, "vrid": vrid, "interface": interface, "primary_ip": primary, "vips": list(vips),
            "priority": priority, "state": "BACKUP", "version": 2, "advert_int": 1.0, "preempt": True,
            "preempt_delay": 0.0, "auth_pass": "Lab2pass", "use_vmac": False, "track_scripts": [],
            "track_interfaces": []}
    return {**spec, **extra}


def document(*instances: dict, sync: bool = False, scripts: dict | None = None, router: str = "r1") -> dict:
    names = [i["name"] for i in instances]
    return {"schema": 1, "router": router, "source": "test", "scripts": scripts or {},
            "sync_group": {"name": "GATEWAY", "instances": names} if sync else None,
            "instances": list(instances)}


def gateway(priority: int, lan_ip: str, up_ip: str, router: str) -> dict:
    """The textbook router: VI_LAN on eth0 and VI_UP on eth1, in sync group GATEWAY."""
    return document(instance("VI_LAN", 10, "eth0", lan_ip, ("192.168.1.1/24",), priority),
                    instance("VI_UP", 20, "eth1", up_ip, ("203.0.113.1/24",), priority),
                    sync=True, router=router)


# -- config ------------------------------------------------------------------------


BAD_CONFIGS = [
    (lambda d: d.update(schema=2), "schema: expected 1, got 2"),
    (lambda d: d.update(colour="red"), "config.colour: unknown key"),
    (lambda d: d["instances"][0].pop("vrid"), "instances[0].vrid: missing"),
    (lambda d: d["instances"][0].update(vrid=0), "instances[0].vrid: expected an integer from 1 to 255, got 0"),
    (lambda d: d["instances"][0].update(priority=256), "instances[0].priority: expected an integer from 1 to 255"),
    (lambda d: d["instances"][0].update(version=3, advert_int=0.1), "auth_pass is a non-empty VRRPv2 password"),
    (lambda d: d["instances"][0].update(advert_int=0.5), "v2 interval must be a multiple of 1 s"),
    (lambda d: d["instances"][0].update(vips=["192.168.1.300/24"]), "instances[0].vips[0]: expected an IPv4"),
    (lambda d: d["instances"][0].update(vips=[]), "instances[0].vips: expected a non-empty list"),
    (lambda d: d["instances"][0].update(primary_ip="fe80::1"), "instances[0].primary_ip: expected an IPv4 address"),
    (lambda d: d["instances"][0].update(state="ACTIVE"), "instances[0].state: expected MASTER or BACKUP"),
    (lambda d: d["instances"][0].update(track_scripts=["chk"]), "instances[0].track_scripts: expected names"),
    (lambda d: d["instances"][1].update(name="VI_LAN"), "instances: names: expected no duplicates"),
    (lambda d: d["instances"][1].update(interface="eth0", vrid=10), "(interface, vrid) pairs"),
    (lambda d: d["sync_group"].update(instances=["VI_LAN", "VI_NONE"]), "sync_group.instances: expected names"),
    (lambda d: d["sync_group"].update(instances=["VI_LAN"]), "at least two distinct instance names"),
    (lambda d: d.update(scripts={"chk": {"script": "true", "interval": 0, "weight": 0}}),
     "scripts.chk.interval: expected a number from 0.01 to 3600, got 0"),
    (lambda d: d.update(instances=[]), "instances: expected a non-empty list"),
]


@pytest.mark.parametrize(("change", "message"), BAD_CONFIGS, ids=[m for _, m in BAD_CONFIGS])
def test_bad_configs_are_refused_with_the_field(change, message):
    doc = gateway(120, "192.168.1.10", "203.0.113.10", "r1")
    change(doc)
    with pytest.raises(ConfigProblem) as caught:
        parse_config(doc)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_every_problem_is_listed_at_once():
    doc = gateway(120, "192.168.1.10", "203.0.113.10", "r1")
    doc["instances"][0].update(vrid=300, priority=0)
    doc["instances"][1].update(use_vmac="yes")
    with pytest.raises(ConfigProblem) as caught:
        parse_config(doc)
    assert len(caught.value.problems) == 3


def test_keepalived_warnings_are_kept_not_refused():
    doc = document(instance(auth_pass="SecurePassword123"))
    config = parse_config(doc)
    assert config.warnings == ("(VI_LAN) Truncating auth_pass to 8 characters",)


def test_load_config_reports_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="invalid JSON"):  # no config at all: exit 2
        load_config(path)


def test_check_mode_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document(instance(interface="lo", primary="127.0.0.1", vips=("127.0.0.2/8",)))))
    assert check(good) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document(instance(interface="nosuch0"))))
    assert check(bad) == 1
    assert "interface nosuch0: no such device" in capsys.readouterr().err


def test_run_mode_logs_a_refused_config_as_json(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document(instance(vrid=0))))
    assert main(bad) == 1
    (event,) = read_events(capsys.readouterr().out)
    assert event["event"] == "error" and "vrid" in event["problems"][0]


# -- log ---------------------------------------------------------------------------


def test_log_line_format():
    line = format_line(1764102273.5, "state", {"instance": "VI_LAN", "new": "MASTER"})
    assert line.startswith('{"t": 1764102273.500000, "event": "state", ')
    assert json.loads(line) == {"t": 1764102273.5, "event": "state", "instance": "VI_LAN", "new": "MASTER"}


def test_json_log_flushes_one_line_per_event():
    stream = io.StringIO()
    log = JsonLog(stream, clock=lambda: 12.0000004)
    log.emit("start", router="r1")
    log.emit("stop", reason="SIGTERM")
    assert stream.getvalue().splitlines() == ['{"t": 12.000000, "event": "start", "router": "r1"}',
                                              '{"t": 12.000000, "event": "stop", "reason": "SIGTERM"}']


def test_state_messages_read_like_keepalived():
    assert state_message("VI_LAN", State.BACKUP, State.MASTER) == "(VI_LAN) Entering MASTER STATE"
    assert state_message("VI_LAN", State.INITIALIZE, State.BACKUP) == "(VI_LAN) Entering BACKUP STATE (init)"
    assert state_message("VI_UP", State.MASTER, State.FAULT) == "(VI_UP) Entering FAULT STATE"


def test_read_events_skips_what_is_not_a_json_event():
    text = '{"t": 1.0, "event": "start"}\nTraceback (most recent call last):\n{"broken\n[1, 2]\n'
    assert read_events(text) == [{"t": 1.0, "event": "start"}]


# -- packets -----------------------------------------------------------------------


@pytest.mark.parametrize(("mac", "ip"), [("66:70:1a:76:ba:43", "192.168.1.1"), ("00:00:5e:00:01:0a", "10.0.0.254")])
def test_garp_frame_matches_scapy(mac, ip):
    expected = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(
        op=1, hwsrc=mac, psrc=ip, hwdst="ff:ff:ff:ff:ff:ff", pdst=ip)
    assert garp_frame(mac, ip) == bytes(expected)
    assert len(garp_frame(mac, ip)) == 42  # keepalived sends it unpadded too


@pytest.mark.parametrize("src", ["192.168.1.10", "0.0.0.0", "255.255.255.255", "10.0.100.9"])
def test_parse_ipv4_names_the_addresses_as_ipaddress_does(src):
    packet = bytes(IP(src=src, dst="224.0.0.18", proto=112, ttl=255) / b"\x31\x01")
    datagram = parse_ipv4(packet)
    assert (datagram.src, datagram.dst) == (str(ipaddress.IPv4Address(src)), "224.0.0.18")


@pytest.mark.parametrize("before, after", [({}, {}), ({}, {"auth_failed": 1}),
                                           ({"auth_failed": 2, "bad_ttl": 1}, {"auth_failed": 2, "bad_ttl": 2}),
                                           ({"a": 1}, {"b": 1, "a": 1, "c": 4})])
def test_grown_names_what_a_counter_subtraction_kept(before, after):
    assert daemon_module.grown(Counter(after), dict(before)) == list(Counter(after) - Counter(before))


def test_parse_ipv4_cuts_the_payload_to_the_ip_length():
    advert = VRRP(vrid=10, priority=120, ipcount=1, addrlist=["192.168.1.1"], authtype=1,
                  auth1=int.from_bytes(b"Lab2", "big"), auth2=int.from_bytes(b"pass", "big"))
    packet = bytes(IP(src="192.168.1.10", dst="224.0.0.18", ttl=255, tos=0xC0) / advert)
    datagram = parse_ipv4(packet + b"\0" * 6)  # Ethernet padding up to 60 bytes
    assert datagram == Datagram(bytes(IP(packet).payload), "192.168.1.10", "224.0.0.18", 255)
    ours = encode(Advert(2, 10, 120, 1, ("192.168.1.1",), AUTH_PASS, pass_auth_data("Lab2pass")), "192.168.1.10")
    assert datagram.payload == ours  # the same bytes as keepalived/scapy, checksum included


@pytest.mark.parametrize("packet", [b"", b"\x45" + b"\0" * 10, bytes([0x60]) + b"\0" * 39, b"\x4f" + b"\0" * 19])
def test_parse_ipv4_refuses_what_is_not_ipv4(packet):
    assert parse_ipv4(packet) is None


def test_ip_mreqn_layout():
    assert ip_mreqn("224.0.0.18", "192.168.1.10", 3) == (
        socket.inet_aton("224.0.0.18") + socket.inet_aton("192.168.1.10") + struct.pack("i", 3))


# -- health ------------------------------------------------------------------------


def run(health: ScriptHealth, results: str) -> list[ScriptStatus | None]:
    return [health.record(r == "+") for r in results]


def test_first_result_decides_at_once():
    assert run(ScriptHealth(rise=3, fall=3), "+") == [ScriptStatus.OK]
    assert run(ScriptHealth(rise=3, fall=3), "-") == [ScriptStatus.FAILING]


def test_fall_failures_in_a_row_to_fail_and_rise_successes_to_recover():
    ok, failing = ScriptStatus.OK, ScriptStatus.FAILING
    health = ScriptHealth(rise=2, fall=3)
    assert run(health, "+") == [ok]
    assert run(health, "--") == [None, None]  # two failures: still OK (fall 3)
    assert run(health, "+") == [None]  # a success resets the count
    assert run(health, "---") == [None, None, failing]
    assert run(health, "+-") == [None, None]  # rise 2: one success is not enough, and resets
    assert run(health, "++") == [None, ok]


def test_tracked_priority_like_keepalived():
    assert tracked_priority(120, [(-30, ScriptStatus.FAILING)]) == 90
    assert tracked_priority(120, [(-30, ScriptStatus.OK), (-30, ScriptStatus.INIT)]) == 120
    assert tracked_priority(100, [(20, ScriptStatus.OK)]) == 120  # positive weights add while OK
    assert tracked_priority(20, [(-50, ScriptStatus.FAILING)]) == 1  # never 0: that would mean "stopping"
    assert tracked_priority(250, [(20, ScriptStatus.OK)]) == 254
    assert tracked_priority(255, [(-50, ScriptStatus.FAILING)]) == 255  # the owner stays the owner


def test_tracker_runs_scripts_and_times_them_out(monkeypatch):
    monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
    scripts = {"bad": {"script": "exit 3", "interval": 5, "weight": 0},
               "slow": {"script": "sleep 30", "interval": 0.2, "weight": -10}}
    config = parse_config(document(instance(track_scripts=["bad", "slow"]), scripts=scripts))
    log = io.StringIO()
    tracker = Tracker(config, JsonLog(log, clock=lambda: 0.0))
    assert tracker.start(0.0) == [] and tracker.run_due(0.0) == [] and len(tracker.runs) == 2
    bad = tracker.scripts["bad"].run
    assert select.select([bad], [], [], 5.0)[0] == [bad]  # its pidfd: readable once it exited
    assert tracker.finished(bad) == [("VI_LAN", Fault("script bad"))]
    assert tracker.next_deadline() == pytest.approx(0.2)  # the slow one's timeout
    assert tracker.run_due(0.2) == [("VI_LAN", PriorityChanged(110))]
    assert tracker.runs == [] and [e["msg"] for e in read_events(log.getvalue())] == [
        "VRRP_Script(bad) failed", "VRRP_Script(slow) timed_out", "(VI_LAN) Changing effective priority from 120 to 110"]


# -- the driver on a fake clock ------------------------------------------------------


class Wire:
    """A LAN and an upstream segment in memory: what one daemon sends, the others receive."""

    def __init__(self) -> None:
        self.journal: list[tuple] = []  # (router, what, detail) in the order things happened
        self.in_flight: list[tuple[str, str, str, bytes]] = []  # (from router, device, src, payload)


class FakeSocket:
    def __init__(self, wire: Wire, router: str, device: str, source: str) -> None:
        self.wire, self.router, self.device, self.source = wire, router, device, source

    def send(self, message: bytes) -> None:
        self.wire.journal.append((self.router, "advert", self.device, message[2]))
        self.wire.in_flight.append((self.router, self.device, self.source, message))

    def close(self) -> None:
        pass


class FakeArp:
    def __init__(self, wire: Wire, router: str, device: str) -> None:
        self.wire, self.router, self.device = wire, router, device

    def send_garp(self, ip: str, mac: str | None = None) -> None:
        self.wire.journal.append((self.router, "garp", self.device, ip))

    def close(self) -> None:
        pass


class FakeLinks:
    prepared, error, notes = True, None, []

    def __init__(self, wire: Wire, router: str) -> None:
        self.wire, self.router = wire, router

    def add_vips(self, device, vips) -> None:
        self.wire.journal.append((self.router, "add", device, tuple(str(v) for v in vips)))

    def remove_vips(self, device, vips) -> None:
        self.wire.journal.append((self.router, "remove", device, tuple(str(v) for v in vips)))

    def wait(self) -> None:
        pass

    def close(self) -> list[str]:
        return []


class Lab:
    """Daemons on a fake clock: `advance(until)` runs timers and delivers adverts in time order."""

    def __init__(self, monkeypatch, *docs: dict) -> None:
        monkeypatch.setattr(daemon_module, "device_mac", lambda device: "02:00:00:00:00:01")
        monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
        self.now = 0.0
        self.wire = Wire()
        self.logs: dict[str, io.StringIO] = {}
        self.daemons: dict[str, Daemon] = {}
        for doc in docs:
            name = doc["router"]
            self.logs[name] = io.StringIO()
            d = Daemon(parse_config(doc), JsonLog(self.logs[name], clock=lambda: self.now), clock=lambda: self.now)
            d.links = FakeLinks(self.wire, name)
            for inst in d.instances.values():
                spec = inst.spec
                inst.sock = FakeSocket(self.wire, name, spec.device, spec.router.primary_ip)
                inst.arp = FakeArp(self.wire, name, spec.device)
            self.daemons[name] = d

    def start(self, *names: str) -> None:
        for name in names or self.daemons:
            self.daemons[name].startup(self.now)
            for script in self.daemons[name].tracker.scripts.values():
                script.next_at = float("inf")  # no real runs: tests call script_result()

    def deliver(self) -> None:
        while self.wire.in_flight:
            sender, device, src, payload = self.wire.in_flight.pop(0)
            for name, d in self.daemons.items():
                if name != sender and d.stop_reason is None:
                    d.on_datagram(device, Datagram(payload, src, "224.0.0.18", 255), self.now)

    def advance(self, until: float) -> None:
        self.deliver()
        while True:
            deadlines = [d.next_deadline() for d in self.running()]
            due = min((t for t in deadlines if t is not None and t <= until), default=None)
            if due is None:
                self.now = until
                return
            self.now = max(self.now, due)
            for d in self.running():
                d.run_due(self.now)
            self.deliver()

    def running(self) -> list[Daemon]:
        return [d for d in self.daemons.values() if d.stop_reason is None]

    def stop(self, name: str) -> int:
        d = self.daemons[name]
        d.stop_reason = "SIGTERM"
        code = d.shutdown(self.now)
        self.deliver()
        return code

    def events(self, name: str, kind: str | None = None) -> list[dict]:
        return [e for e in read_events(self.logs[name].getvalue()) if kind is None or e["event"] == kind]

    def state(self, name: str, instance: str = "VI_LAN") -> State:
        return self.daemons[name].instances[instance].router.state


@pytest.fixture
def textbook(monkeypatch) -> Lab:
    return Lab(monkeypatch, gateway(120, "192.168.1.10", "203.0.113.10", "r1"),
               gateway(100, "192.168.1.20", "203.0.113.20", "r2"))


def test_election_then_graceful_stop_on_the_fake_clock(textbook):
    textbook.start()
    textbook.advance(MDI_120 - 1e-6)
    assert textbook.state("r1") is State.BACKUP
    textbook.advance(5.0)
    assert textbook.state("r1") is State.MASTER and textbook.state("r2") is State.BACKUP
    masters = [e for e in textbook.events("r1", "state") if e["new"] == "MASTER"]
    assert [e["t"] for e in masters] == [pytest.approx(MDI_120)] * 2
    assert masters[0]["msg"] == "(VI_LAN) Entering MASTER STATE"
    assert textbook.stop("r1") == 0
    textbook.advance(5.0 + SKEW_100 - 1e-6)
    assert textbook.state("r2") is State.BACKUP
    textbook.advance(7.0)
    assert textbook.state("r2") is State.MASTER and textbook.state("r2", "VI_UP") is State.MASTER
    taken = next(e for e in textbook.events("r2", "state") if e["new"] == "MASTER")
    assert taken["t"] == pytest.approx(5.0 + SKEW_100)  # RFC 3768 §6.4.2: Skew_Time after priority 0
    heard = textbook.events("r2", "advert")
    assert [e["msg"] for e in heard] == ["(VI_LAN) Backup received priority 0 advertisement",
                                         "(VI_UP) Backup received priority 0 advertisement"]


class FakePacketSocket:
    """What `net.packet_socket` returns: records each frame's device, and its closes."""

    made: list["FakePacketSocket"] = []

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []
        self.closed = 0
        FakePacketSocket.made.append(self)

    def sendto(self, frame: bytes, address: tuple[str, int]) -> int:
        self.sent.append(address)
        return len(frame)

    def close(self) -> None:
        self.closed += 1


def test_gratuitous_arps_share_one_packet_socket_closed_once(textbook, monkeypatch):
    """Closing a packet socket waits for an RCU grace period (10-15 ms): the daemon's gARPs on
    every device go through one, closed once at exit, however many instances became master."""
    FakePacketSocket.made = []
    monkeypatch.setattr(daemon_module, "packet_socket", FakePacketSocket)
    for inst in textbook.daemons["r1"].instances.values():
        inst.arp = None  # the daemon's own ArpSockets, over the fake packet socket
    textbook.start()
    textbook.advance(5.0)
    assert textbook.state("r1") is State.MASTER and textbook.state("r1", "VI_UP") is State.MASTER
    [packets] = FakePacketSocket.made
    assert sorted(set(packets.sent)) == [("eth0", 0), ("eth1", 0)]
    assert len(packets.sent) == 2 * daemon_module.GARP_MASTER_REPEAT
    textbook.advance(5.0 + daemon_module.GARP_MASTER_DELAY_S + 1.0)  # the second bursts: same socket
    assert len(FakePacketSocket.made) == 1 and len(packets.sent) == 4 * daemon_module.GARP_MASTER_REPEAT
    assert textbook.stop("r1") == 0 and packets.closed == 1


def test_a_stopping_router_says_goodbye_on_every_instance_before_dropping_vips(textbook):
    textbook.start()
    textbook.advance(5.0)
    textbook.wire.journal.clear()
    textbook.stop("r1")
    mine = [(what, device) for router, what, device, _ in textbook.wire.journal if router == "r1"]
    assert mine == [("advert", "eth0"), ("advert", "eth1"), ("remove", "eth0"), ("remove", "eth1")]
    assert [prio for r, what, _, prio in textbook.wire.journal if what == "advert"] == [0, 0]
    assert textbook.events("r1", "stop")[0]["counters"]["VI_LAN"]["priority0_sent"] == 1


def test_a_new_master_advertises_then_takes_its_vips_then_announces_them(textbook):
    textbook.start()
    textbook.advance(MDI_120 + 0.5)
    lan = [what for router, what, device, _ in textbook.wire.journal if router == "r1" and device == "eth0"]
    assert lan[:7] == ["advert", "add", "garp", "garp", "garp", "garp", "garp"]


def test_second_garp_burst_five_seconds_later_only_while_master(textbook):
    textbook.start()
    textbook.advance(MDI_120 + 6)
    garps = [e for e in textbook.events("r1", "garp") if e["instance"] == "VI_LAN"]
    assert [(e["burst"], e["count"]) for e in garps] == [(1, 5), (2, 5)]
    assert garps[1]["t"] == pytest.approx(garps[0]["t"] + 5.0)
    textbook.stop("r1")
    textbook.advance(MDI_120 + 8)  # r2 is master now; r1 is gone
    r2_garps = [e for e in textbook.events("r2", "garp") if e["instance"] == "VI_LAN"]
    assert [e["burst"] for e in r2_garps] == [1]  # its second burst is still ahead


def test_drops_are_logged_with_the_reason_once_a_second(monkeypatch):
    lab = Lab(monkeypatch, document(instance(priority=100, primary="192.168.1.20"), router="r2"))
    lab.start()
    wrong = encode(Advert(2, 10, 120, 1, ("192.168.1.1",), AUTH_PASS, pass_auth_data("Wrong123")), "192.168.1.10")
    d = lab.daemons["r2"]
    for t in (0.1, 0.5, 1.2):
        lab.now = t
        d.on_datagram("eth0", Datagram(wrong, "192.168.1.10", "224.0.0.18", 255), t)
    drops = lab.events("r2", "drop")
    assert [(e["t"], e["reason"], e["count"]) for e in drops] == [(0.1, "auth_failed", 1), (1.2, "auth_failed", 3)]
    assert drops[0]["drops"] == {"auth_failed": 1} and drops[0]["src"] == "192.168.1.10"
    assert drops[0]["msg"] == "(VI_LAN) received an invalid passwd!"  # keepalived's words
    other = encode(Advert(2, 99, 120, 1, ("192.168.1.1",), AUTH_PASS, pass_auth_data("Lab2pass")), "192.168.1.10")
    d.on_datagram("eth0", Datagram(other, "192.168.1.10", "224.0.0.18", 255), 1.3)
    assert lab.events("r2", "drop")[-1]["instance"] is None  # no instance has VRID 99 here


def test_an_advert_reaches_only_the_instance_of_its_device_vrid_and_family(monkeypatch):
    """One lookup by (device, VRID, family): VRID 10 lives on eth0 and on eth1 here, VRID 20
    on eth1 only. An advert heard on one device never reaches the other's instance, however
    its VRID matches there (known-bad: VRID 20 on eth0, an IPv6 datagram for VRID 10)."""
    lab = Lab(monkeypatch, document(instance("VI_LAN", 10, "eth0", "192.168.1.20", priority=100),
                                    instance("VI_UP", 10, "eth1", "203.0.113.20", ("203.0.113.1/24",), 100),
                                    instance("VI_OTHER", 20, "eth1", "203.0.113.20", ("203.0.113.2/24",), 100),
                                    router="r2"))
    lab.start()
    d = lab.daemons["r2"]

    def advert(vrid: int, vip: str, src: str) -> bytes:
        return encode(Advert(2, vrid, 120, 1, (vip,), AUTH_PASS, pass_auth_data("Lab2pass")), src)

    def heard() -> dict[str, int]:
        return {name: inst.counters["adverts_received"] for name, inst in d.instances.items()}

    d.on_datagram("eth1", Datagram(advert(10, "203.0.113.1", "203.0.113.10"), "203.0.113.10", "224.0.0.18", 255), 0.5)
    assert heard() == {"VI_LAN": 0, "VI_UP": 1, "VI_OTHER": 0}
    assert d.instances["VI_UP"].heard == 0.5 and d.instances["VI_LAN"].heard is None
    assert not d.instances["VI_UP"].router.drops  # its own VIPs: accepted, not a mismatch
    d.on_datagram("eth0", Datagram(advert(20, "203.0.113.2", "192.168.1.10"), "192.168.1.10", "224.0.0.18", 255), 0.6)
    d.on_datagram("eth0", Datagram(advert(10, "192.168.1.1", "192.168.1.10"), "fe80::1", "ff02::12", 255, family=6),
                  0.7)
    assert heard() == {"VI_LAN": 0, "VI_UP": 1, "VI_OTHER": 0}
    assert all(not inst.router.drops for inst in d.instances.values())
    assert dict(d.unmatched) == {"eth0": 2}
    d.on_datagram("eth0", Datagram(advert(10, "192.168.1.1", "192.168.1.10"), "192.168.1.10", "224.0.0.18", 255), 0.8)
    assert heard() == {"VI_LAN": 1, "VI_UP": 1, "VI_OTHER": 0}


def scanned_deadline(d: Daemon) -> float | None:
    """The nearest deadline as the daemon once found it on every wake-up: every machine asked."""
    found = [u.get_timer() for u in d.units] + [min(i.garp_due, default=None) for i in d.instances.values()]
    return min((t for t in [*found, d.tracker.next_deadline()] if t is not None), default=None)


def test_the_kept_deadlines_agree_with_asking_every_machine(monkeypatch):
    """The daemon keeps its machines' deadlines as they move (`deadlines`) instead of asking
    each one per wake-up: through an election, gARP bursts, a goodbye and a takeover, the
    nearest it keeps is the nearest a scan finds, for the sync group and lone instances."""
    lone = [instance(f"VI_{v}", v, "eth0", vips=(f"10.0.{v}.1/24",)) for v in (30, 31, 32)]
    r1 = gateway(120, "192.168.1.10", "203.0.113.10", "r1")
    r2 = gateway(100, "192.168.1.20", "203.0.113.20", "r2")
    r1["instances"] += lone
    r2["instances"] += [{**i, "primary_ip": "192.168.1.20", "priority": 100} for i in lone]
    lab = Lab(monkeypatch, r1, r2)
    lab.start()
    t = 0.0
    while t < 22.0:
        t = round(t + 0.05, 2)
        lab.advance(t)
        for d in lab.running():
            assert d.next_deadline() == scanned_deadline(d), (t, d.config.router)
        if t == 9.0:
            lab.stop("r1")
        if t in (11.0, 12.0):  # eth0 down then up within 5 s of taking over: the second bursts go
            monkeypatch.setattr(net_module, "link_is_up", lambda device: t == 12.0 or device != "eth0")
            lab.daemons["r2"].check_links(t)
    assert all(lab.state("r2", name) is State.MASTER for name in ("VI_LAN", "VI_UP", "VI_30", "VI_31", "VI_32"))
    assert [e["burst"] for e in lab.events("r2", "garp") if e["instance"] == "VI_30"] == [1, 1, 2]


def test_a_weighted_script_moves_the_priority_and_a_weight_0_script_faults(monkeypatch):
    scripts = {"chk": {"script": "true", "interval": 2, "weight": -30, "rise": 1, "fall": 1},
               "hard": {"script": "true", "interval": 2, "weight": 0, "rise": 1, "fall": 1}}
    lab = Lab(monkeypatch, document(instance(track_scripts=["chk", "hard"]), scripts=scripts))
    lab.start()
    d = lab.daemons["r1"]
    lab.advance(5.0)
    assert lab.state("r1") is State.MASTER
    d.script_result("chk", False, 5.0, status=1)
    assert d.instances["VI_LAN"].router.priority == 90
    assert [e["msg"] for e in lab.events("r1", "priority")] == ["(VI_LAN) Changing effective priority from 120 to 90"]
    assert lab.events("r1", "script")[-1]["msg"] == "VRRP_Script(chk) failed"
    lab.wire.journal.clear()
    d.script_result("hard", False, 5.1, status=1)
    assert lab.state("r1") is State.FAULT
    assert [(w, x) for _, w, _, x in lab.wire.journal][:2] == [("advert", 0), ("remove", ("192.168.1.1/24",))]
    d.script_result("hard", True, 6.0, status=0)
    d.script_result("chk", True, 6.0, status=0)
    assert lab.state("r1") is State.BACKUP and d.instances["VI_LAN"].router.priority == 120


def test_a_tracked_link_down_faults_the_whole_sync_group(textbook, monkeypatch):
    textbook.start()
    textbook.advance(5.0)
    r1 = textbook.daemons["r1"]
    monkeypatch.setattr(net_module, "link_is_up", lambda device: device != "eth1")
    r1.check_links(5.0)
    assert textbook.state("r1", "VI_UP") is State.FAULT and textbook.state("r1", "VI_LAN") is State.FAULT
    assert textbook.events("r1", "link")[0]["msg"] == "Netlink reports eth1 down"
    monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
    r1.check_links(6.0)
    assert textbook.state("r1", "VI_LAN") is State.BACKUP


# -- the speaker -------------------------------------------------------------------


def test_speaker_choices():
    assert SPEAKER_CHOICES == ("keepalived", "bundled", "frr", "mixed", "mixed-reverse")
    def classes(choice, routers):
        return [SPEAKER_KINDS[k] for k in kinds_for(choice, routers).values()]

    assert classes("mixed", ["r1", "r2", "r3"]) == [KeepalivedSpeaker, BundledSpeaker, BundledSpeaker]
    assert classes("mixed-reverse", ["r1", "r2"]) == [BundledSpeaker, KeepalivedSpeaker]
    assert classes("bundled", ["r1"]) == [BundledSpeaker]
    assert classes("keepalived", ["r1", "r2"]) == [KeepalivedSpeaker] * 2


class RunningProc:
    pid = 4242

    def poll(self) -> None:
        return None


def test_speaker_state_and_evidence_from_the_json_log(tmp_path):
    from vrrplab.loader import load_topology

    topo = load_topology(Path(__file__).resolve().parents[2] / "topologies/textbook.yaml")
    speaker = BundledSpeaker(None, topo, "r1", tmp_path, tmp_path)
    assert speaker.state() == "STOPPED"
    speaker.proc = RunningProc()
    log = JsonLog(open(speaker.log_path, "a"), clock=lambda: 1.0)
    log.emit("start", router="r1")
    assert speaker.state() == "INIT"
    log.emit("state", instance="VI_UP", old="BACKUP", new="MASTER", msg="(VI_UP) Entering MASTER STATE")
    log.emit("state", instance="VI_LAN", old="BACKUP", new="MASTER", msg="(VI_LAN) Entering MASTER STATE")
    assert speaker.state() == "MASTER"
    first_phase = speaker.log_size()
    log.emit("start", router="r1")  # a restart: the new run has no state yet
    assert speaker.state() == "INIT"
    log.emit("state", instance="VI_LAN", old="INIT", new="BACKUP", msg="(VI_LAN) Entering BACKUP STATE (init)")
    assert speaker.state() == "BACKUP"
    # a phase's evidence is only its own bytes of the log: the LAN instance's changes in them
    assert speaker.state_changes(speaker.read_log(0, first_phase)) == [
        ("MASTER", "(VI_LAN) Entering MASTER STATE")]
    assert speaker.state_changes(speaker.read_log(first_phase)) == [
        ("BACKUP", "(VI_LAN) Entering BACKUP STATE (init)")]
    assert speaker.command()[1:] == ["-m", "vrrplab.bundled", "--config", str(tmp_path / "r1.bundled.json")]


def test_keepalived_is_stopped_from_its_stopping_line(tmp_path):
    """After SIGTERM keepalived logs Stopping, sends priority 0 and drops its VIPs at once,
    but its process lives about a second more: it is no longer MASTER (the live view would
    show two masters, a wait for "none MASTER" would wait that second)."""
    from vrrplab.loader import load_topology

    topo = load_topology(Path(__file__).resolve().parents[2] / "topologies/textbook.yaml")
    speaker = KeepalivedSpeaker(None, topo, "r1", tmp_path, tmp_path)
    speaker.proc = RunningProc()
    lines = ["Fri Dec  4 22:42:55 2026: Starting Keepalived v2.2.7",
             "Fri Dec  4 22:42:59 2026: (VI_LAN) Entering MASTER STATE"]
    speaker.log_path.write_text("\n".join(lines) + "\n")
    assert speaker.state() == "MASTER"
    with speaker.log_path.open("a") as log:
        log.write("Fri Dec  4 22:43:01 2026: Stopping\n")
    assert speaker.state() == "STOPPED"
    with speaker.log_path.open("a") as log:  # started again: a new run of the log
        log.write("Fri Dec  4 22:43:05 2026: Starting Keepalived v2.2.7\n"
                  "Fri Dec  4 22:43:05 2026: (VI_LAN) Entering BACKUP STATE (init)\n")
    assert speaker.state() == "BACKUP"


class CheckingLab:
    """Just enough of `vrrplab.lab.network.Lab` for `prepare`: `run` answers like `vrrplab speaker --check`."""

    def __init__(self, returncode: int, output: str) -> None:
        self.returncode, self.output, self.argv = returncode, output, None

    def run(self, node: str, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        self.argv = argv
        return subprocess.CompletedProcess(argv, self.returncode, self.output, None)


def test_prepare_checks_the_config_and_keeps_keepalived_style_warnings(tmp_path):
    from vrrplab.loader import load_topology

    topo = load_topology(Path(__file__).resolve().parents[2] / "topologies/textbook.yaml")
    lab = CheckingLab(0, f"{tmp_path}/r2.bundled.json: warning: (VI_LAN) Truncating auth_pass to 8 characters\n")
    speaker = BundledSpeaker(lab, topo, "r2", tmp_path, tmp_path)
    speaker.prepare()
    assert lab.argv[1:] == ["-m", "vrrplab.bundled", "--config", str(tmp_path / "r2.bundled.json"), "--check"]
    assert json.loads((tmp_path / "r2.bundled.json").read_text())["router"] == "r2"
    assert speaker.config_warnings == ["(VI_LAN) Truncating auth_pass to 8 characters"]
    with pytest.raises(LabError, match="refused"):
        BundledSpeaker(CheckingLab(1, "bad"), topo, "r2", tmp_path, tmp_path).prepare()


def test_auth_failure_evidence_is_the_first_password_drop(tmp_path):
    from vrrplab.loader import load_topology

    topo = load_topology(Path(__file__).resolve().parents[2] / "topologies/textbook.yaml")
    speaker = BundledSpeaker(None, topo, "r2", tmp_path, tmp_path)
    assert speaker.auth_failure_evidence() is None
    log = JsonLog(open(speaker.log_path, "a"), clock=lambda: 1.0)
    log.emit("drop", instance="VI_LAN", reason="interval_mismatch", src="192.168.1.10", msg="(VI_LAN) other")
    log.emit("drop", instance="VI_LAN", reason="auth_failed", src="192.168.1.10",
             msg="(VI_LAN) received an invalid passwd!")
    assert speaker.auth_failure_evidence() == ("(VI_LAN) received an invalid passwd! "
                                               "(from 192.168.1.10, auth_failed)")


def test_cli_speaker_check(tmp_path):
    from click.testing import CliRunner

    from vrrplab.cli import main as cli

    good = tmp_path / "good.json"
    good.write_text(json.dumps(document(instance(interface="lo", primary="127.0.0.1", vips=("127.0.0.2/8",)))))
    assert CliRunner().invoke(cli, ["speaker", "--config", str(good), "--check"]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document(instance(interface="lo", primary="127.0.0.1", vrid=0))))
    result = CliRunner().invoke(cli, ["speaker", "--config", str(bad), "--check"])
    assert result.exit_code == 1 and "vrid: expected an integer from 1 to 255" in result.output


LIGHT_CHECK = ("import sys; from vrrplab.bundled.__main__ import run; code = run(sys.argv[1:]); "
               "print('daemon imported' if 'vrrplab.bundled.daemon' in sys.modules else 'light'); "
               "sys.exit(code)")


@pytest.mark.parametrize("case", ["good", "warned", "refused", "not json", "missing"])
def test_python_m_bundled_check_is_the_cli_check_without_the_daemon(tmp_path, case):
    """The door `prepare` uses answers as `vrrplab speaker --check` does (exit code, the
    lines), and never imports the daemon (its event loop, sockets, netlink, scripts)."""
    from click.testing import CliRunner

    from vrrplab.cli import main as cli

    path = tmp_path / "r1.bundled.json"
    extra = {"warned": {"auth_pass": "longer than eight"}, "refused": {"vrid": 0}}.get(case, {})
    if case == "not json":
        path.write_text("{")
    elif case != "missing":
        path.write_text(json.dumps(document(instance(interface="lo", primary="127.0.0.1",
                                                     vips=("127.0.0.2/8",), **extra))))
    light = subprocess.run([sys.executable, "-c", LIGHT_CHECK, "--config", str(path), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert light.stdout == "light\n"
    if case == "missing":  # click refuses it before the check: the exit code is the same
        assert light.returncode == 2 and str(path) in light.stderr
        return
    through_cli = CliRunner().invoke(cli, ["speaker", "--config", str(path), "--check"])
    assert (light.returncode, light.stderr) == (through_cli.exit_code, through_cli.output)
    assert light.returncode == {"good": 0, "warned": 0, "refused": 1, "not json": 2}[case]


@pytest.mark.parametrize("case", ["refused", "not json"])
def test_the_light_check_speaks_the_locale_as_the_cli_does(tmp_path, monkeypatch, case):
    """LANG=fr_FR.UTF-8: both doors answer in French (the light one ignored the locale:
    the lab's refusal, which quotes it, then mixed English into a French run)."""
    from click.testing import CliRunner

    from vrrplab import i18n
    from vrrplab.cli import main as cli

    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    path = tmp_path / "r1.bundled.json"
    if case == "not json":
        path.write_text("{")
    else:
        path.write_text(json.dumps(document(instance(interface="lo", primary="127.0.0.1",
                                                     vrid=0))))
    light = subprocess.run([sys.executable, "-c", LIGHT_CHECK, "--config", str(path), "--check"],
                           capture_output=True, text=True, timeout=60)
    try:
        through_cli = CliRunner().invoke(cli, ["speaker", "--config", str(path), "--check"])
    finally:
        i18n.set_language(i18n.DEFAULT)
    assert (light.returncode, light.stderr) == (through_cli.exit_code, through_cli.output)
    if case == "not json":  # (the refusal's words have no French yet: equal is enough)
        assert "JSON invalide" in light.stderr, light.stderr
