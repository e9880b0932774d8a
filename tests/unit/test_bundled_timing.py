"""The bundled speaker's timing at the RFC's limit (issue 15), on a virtual clock with fake sockets.

- A received advert restarts Master_Down_Timer from when the kernel received it
  (RFC 5798 §6.4.2), read from the socket's receive stamp (SO_TIMESTAMPNS), not
  from when the daemon got round to reading it: on IPv4 and on IPv6.
- Before a due timer runs, what is queued is read first: an advert that arrived
  before the deadline resets it, however late the daemon wakes.
- `select`'s timeout leaves room for the slack Linux adds to it.
No timed test: the clocks are the test's.
"""

from __future__ import annotations

import io
import socket
import struct

import pytest

from vrrplab.bundled import daemon as daemon_module
from vrrplab.bundled import net as net_module
from vrrplab.bundled.config import parse_config
from vrrplab.bundled.daemon import STAMP_MAX_AGE_S, Daemon, select_timeout
from vrrplab.bundled.log import JsonLog, read_events
from vrrplab.bundled.net import (SO_TIMESTAMPNS, TIMESPEC, Datagram, VrrpSocket, Vrrp6Socket, in6_pktinfo,
                                 receive_stamp)
from vrrplab.vrrp.machine import State
from vrrplab.vrrp.packet import Advert, encode

OFFSET = 1_796_000_000.0  # the realtime clock minus the monotonic one, in this test's world
MDI_100_V3 = 3 * 1.0 + (256 - 100) / 256  # RFC 5798 §6.1: priority 100, advert 1 s
R1_LL, R2_LL = "fe80::ff:fe00:1", "fe80::ff:fe00:2"


def config(family: int) -> dict:
    """r2 alone: one VRRPv3 instance at priority 100 (the backup), IPv4 or IPv6."""
    if family == 4:
        primary, vips = "192.168.1.20", ["192.168.1.1/24"]
    else:
        primary, vips = R2_LL, ["fe80::1/64", "2001:db8:1::1/64"]
    spec = {"name": "VI_LAN", "vrid": 10, "interface": "eth0", "primary_ip": primary, "vips": vips,
            "priority": 100, "state": "BACKUP", "version": 3, "advert_int": 1.0, "preempt": True,
            "preempt_delay": 0.0, "auth_pass": None, "use_vmac": False, "track_scripts": [],
            "track_interfaces": []}
    return {"schema": 1, "router": "r2", "source": "test", "scripts": {}, "sync_group": None,
            "instances": [spec]}


class Clock:
    """The daemon's monotonic clock and the realtime one, OFFSET apart, moved by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + OFFSET


class FakeRaw:
    """A raw socket's `recvmsg`: the queued (data, ancdata, flags, address), then EAGAIN."""

    def __init__(self) -> None:
        self.queue: list[tuple] = []

        self.sent: list[bytes] = []

    def recvmsg(self, _size: int, _ancsize: int = 0) -> tuple:
        if not self.queue:
            raise BlockingIOError
        return self.queue.pop(0)

    def sendto(self, message: bytes, _address: tuple) -> None:
        self.sent.append(message)

    def sendmsg(self, buffers: list[bytes], *_args: object) -> None:
        self.sent.append(b"".join(buffers))

    def close(self) -> None:
        pass


def stamp(at: float) -> tuple[int, int, bytes]:
    """The kernel's SCM_TIMESTAMPNS control message for monotonic instant `at`."""
    wall = at + OFFSET
    seconds = int(wall)
    return socket.SOL_SOCKET, SO_TIMESTAMPNS, TIMESPEC.pack(seconds, round((wall - seconds) * 1e9))


def ipv4_packet(payload: bytes, src: str = "192.168.1.10", ttl: int = 255) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 0, 0, ttl, 112, 0,
                         socket.inet_aton(src), socket.inet_aton("224.0.0.18"))
    return header + payload


def r1_advert(family: int) -> bytes:
    if family == 4:
        return encode(Advert(version=3, vrid=10, priority=120, adver_int=100,
                             addresses=("192.168.1.1",)), "192.168.1.10")
    return encode(Advert(version=3, vrid=10, priority=120, adver_int=100,
                         addresses=("fe80::1", "2001:db8:1::1")), R1_LL)


class FakeLinks:
    """No netlink: the VIPs are only noted."""

    prepared, error, notes = True, None, []

    def __init__(self) -> None:
        self.calls: list[str] = []

    def add_vips(self, device, vips) -> None:
        self.calls.append("add")

    def remove_vips(self, device, vips) -> None:
        self.calls.append("remove")

    def wait(self) -> None:
        pass

    def close(self) -> list[str]:
        return []


class FakeArp:
    def __init__(self) -> None:
        self.sent = 0

    def send_garp(self, *_args: object) -> None:
        self.sent += 1

    send_na = send_garp

    def close(self) -> None:
        pass


class Backup:
    """r2's daemon on the test's clocks with a fake raw socket on eth0, started at 0."""

    def __init__(self, monkeypatch, family: int) -> None:
        monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
        monkeypatch.setattr(daemon_module, "device_mac", lambda device: "02:00:00:00:00:02")
        self.family = family
        self.clock = Clock()
        self.log = io.StringIO()
        self.daemon = Daemon(parse_config(config(family)), JsonLog(self.log, clock=self.clock.wall),
                             clock=self.clock.monotonic, wall=self.clock.wall)
        kind = VrrpSocket if family == 4 else Vrrp6Socket
        self.sock = object.__new__(kind)  # the real class's receive path, over a fake socket
        self.sock.device, self.sock.sock = "eth0", FakeRaw()
        self.sock.ifindex, self.sock._pktinfo = 2, in6_pktinfo(R2_LL, 2)  # what Vrrp6Socket.send needs
        self.daemon.sockets[("eth0", family)] = self.sock
        self.daemon.instances["VI_LAN"].sock = self.sock
        self.daemon.instances["VI_LAN"].arp = FakeArp()
        self.daemon.links = FakeLinks()
        self.daemon.startup(0.0)

    def queue(self, arrived: float | None) -> None:
        """r1's advert, received by the kernel at `arrived` (None: no receive stamp)."""
        extra = [] if arrived is None else [stamp(arrived)]
        if self.family == 4:
            self.sock.sock.queue.append((ipv4_packet(r1_advert(4)), extra, 0, ("192.168.1.10", 0)))
        else:
            ancdata = [(socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("@i", 255)),
                       (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, in6_pktinfo("ff02::12", 2)), *extra]
            self.sock.sock.queue.append((r1_advert(6), ancdata, 0, (f"{R1_LL}%eth0", 0, 0, 2)))

    def read_at(self, now: float) -> None:
        """The daemon reads its socket at `now` (its `select` said readable)."""
        self.clock.now = now
        self.daemon._on_readable(self.sock, now)

    @property
    def state(self) -> State:
        return self.daemon.instances["VI_LAN"].router.state

    def events(self, kind: str) -> list[dict]:
        return [e for e in read_events(self.log.getvalue()) if e["event"] == kind]


@pytest.mark.parametrize("family", [4, 6])
def test_master_down_timer_counts_from_the_kernel_s_receive_stamp(monkeypatch, family):
    """RFC 5798 §6.4.2: the timer restarts on receipt. Read 4 ms after it came (a busy
    machine), the advert still counts from its arrival: the old stamping (the clock after
    `select`) put the deadline 4 ms late, and with it the takeover."""
    r2 = Backup(monkeypatch, family)
    r2.queue(arrived=5.0)
    r2.read_at(5.004)
    assert r2.daemon.instances["VI_LAN"].counters["adverts_received"] == 1
    assert r2.daemon.next_deadline() == pytest.approx(5.0 + MDI_100_V3, abs=1e-6)
    r2.clock.now = 5.0 + MDI_100_V3 - 1e-4
    r2.daemon.run_due(r2.clock.now)
    assert r2.state is State.BACKUP
    r2.clock.now = r2.daemon.next_deadline()
    r2.daemon.run_due(r2.clock.now)
    assert r2.state is State.MASTER
    took = r2.events("state")[-1]
    assert (took["new"], took["heard"], took["due"]) == (
        "MASTER", pytest.approx(5.0 + OFFSET, abs=1e-6), pytest.approx(5.0 + MDI_100_V3 + OFFSET, abs=1e-6))


@pytest.mark.parametrize("family", [4, 6])
def test_without_a_believable_stamp_the_clock_after_select_stands_in(monkeypatch, family):
    r2 = Backup(monkeypatch, family)
    r2.queue(arrived=None)  # no stamp: the option refused, or the control message cut
    r2.read_at(5.004)
    assert r2.daemon.next_deadline() == pytest.approx(5.004 + MDI_100_V3)
    r2.queue(arrived=6.0 + 0.5)  # later than the clock: the realtime clock stepped back
    r2.read_at(6.0)
    assert r2.daemon.next_deadline() == pytest.approx(6.0 + MDI_100_V3)
    r2.queue(arrived=7.0 - STAMP_MAX_AGE_S - 0.5)  # too old to believe: it stepped forward
    r2.read_at(7.0)
    assert r2.daemon.next_deadline() == pytest.approx(7.0 + MDI_100_V3)


def test_a_queued_advert_that_came_before_the_deadline_is_read_before_the_timer_runs(monkeypatch):
    """The daemon wakes late (a stall) with an advert waiting that arrived in time: it
    resets Master_Down_Timer; the timer does not fire first (no false takeover)."""
    r2 = Backup(monkeypatch, 4)
    deadline = r2.daemon.next_deadline()
    r2.queue(arrived=deadline - 0.001)
    monkeypatch.setattr(daemon_module.select, "select",
                        lambda r, w, x, timeout: ([s for s in r if s is r2.sock and r2.sock.sock.queue], [], []))
    r2.clock.now = deadline + 0.002
    r2.daemon.run_timers()
    assert r2.state is State.BACKUP
    assert r2.daemon.next_deadline() == pytest.approx(deadline - 0.001 + MDI_100_V3)
    r2.clock.now = r2.daemon.next_deadline()
    r2.daemon.run_timers()  # nothing queued now: the timer runs
    assert r2.state is State.MASTER


@pytest.mark.parametrize("remaining", [0.0, 0.004, 0.01, 0.0101, 0.036, 0.609375, 3.609375, 50.0, 1000.0])
def test_select_timeout_leaves_room_for_the_kernel_s_slack(remaining):
    """Linux may end select(timeout) up to timeout/1000 late (/200 niced, at most 0.1 s): the
    wait asked for ends by the deadline; short waits are asked whole (50 us slack)."""
    timeout = select_timeout(remaining)
    if remaining <= 0.01:
        assert timeout == remaining
    else:
        assert timeout + min(timeout / 200, 0.1) <= remaining
        assert timeout >= remaining * (1 - 1 / 200)


def test_a_new_master_sends_its_advert_before_it_logs_anything(monkeypatch):
    """The advert leaves first: the state line (a JSON write and flush) comes after."""
    r2 = Backup(monkeypatch, 4)
    order: list[str] = []
    r2.sock.send = lambda message: order.append("advert")
    emit = r2.daemon.log.emit
    r2.daemon.log.emit = lambda event, **fields: (order.append(event), emit(event, **fields))
    r2.clock.now = r2.daemon.next_deadline()
    r2.daemon.run_due(r2.clock.now)
    assert order[:2] == ["advert", "state"]


def test_receive_stamp_reads_the_kernel_s_control_message():
    """SO_TIMESTAMPNS's number and layout, on the kernel's own control message (a Unix
    datagram pair: no network needed); and a message without one gives None."""
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with left, right:
        right.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        left.send(b"advert")
        _data, ancdata, flags, _ = right.recvmsg(64, net_module.STAMP_BUFFER)
    got = receive_stamp(ancdata)
    assert got is not None and not flags & socket.MSG_CTRUNC
    assert abs(got - __import__("time").time()) < 600  # the realtime clock, in seconds
    assert receive_stamp([]) is None
    assert receive_stamp([(socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("@i", 255))]) is None


def test_datagrams_carry_their_stamp():
    assert net_module.parse_ipv4(ipv4_packet(b"x" * 8), stamp=12.5) == Datagram(
        b"x" * 8, "192.168.1.10", "224.0.0.18", 255, stamp=12.5)


def test_a_sync_group_s_takeover_is_due_when_its_last_member_s_timer_ran_out(monkeypatch):
    """The group moves with its last member: the state lines name that member's deadline."""
    doc = config(4)
    up = {**doc["instances"][0], "name": "VI_UP", "vrid": 20, "interface": "eth1",
          "primary_ip": "203.0.113.20", "vips": ["203.0.113.1/24"]}
    doc = {**doc, "instances": [doc["instances"][0], up],
           "sync_group": {"name": "GATEWAY", "instances": ["VI_LAN", "VI_UP"]}}
    monkeypatch.setattr(net_module, "link_is_up", lambda device: True)
    monkeypatch.setattr(daemon_module, "device_mac", lambda device: "02:00:00:00:00:02")
    clock, log = Clock(), io.StringIO()
    d = Daemon(parse_config(doc), JsonLog(log, clock=clock.wall), clock=clock.monotonic, wall=clock.wall)
    d.links = FakeLinks()
    for inst in d.instances.values():
        inst.sock, inst.arp = type("Quiet", (), {"send": lambda self, m: None})(), FakeArp()
    d.startup(0.0)
    lan, up_router = d.instances["VI_LAN"].router, d.instances["VI_UP"].router
    up_router._down_at += 0.0002  # VI_UP's last advert came 0.2 ms after VI_LAN's
    clock.now = up_router.get_timer() + 0.0001  # both ran out; one wake-up runs them
    d.run_due(clock.now)
    assert lan.state is State.MASTER and up_router.state is State.MASTER
    dues = [e["due"] for e in read_events(log.getvalue()) if e["event"] == "state" and e["new"] == "MASTER"]
    assert dues == [pytest.approx(MDI_100_V3 + 0.0002 + OFFSET, abs=1e-6)] * 2
