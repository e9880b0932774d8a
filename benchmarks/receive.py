"""The bundled speaker's receive path in process: CPU per advert heard as BACKUP (issue #15).

    .venv/bin/python benchmarks/receive.py [--vrids 1,16,255] [--seconds 3] [--burst 1,255]
                                           [--profile 255] [--version 3] [--sync]
    .venv/bin/python benchmarks/receive.py --cold 0,0.001,0.01,0.1 [--vrids 1]
    (no root, no lab; PYTHONPATH=TREE runs an older tree's daemon, to compare)

One daemon (r2, priority 100, one instance per VRID on eth0, r1's adverts at priority 120;
--sync: all in one sync group, as benchmarks/cost.py's labs have them)
with the real `VrrpSocket` receive path over a fake raw socket whose `recvmsg` hands out
r1's adverts, IP header and receive stamp included (the syscalls are left out: the lab
measures them, benchmarks/cost.py). Each wake-up does what `Daemon._loop` does around
`select`: `run_timers`, `next_deadline`, `_fds`, then `_on_readable` with `--burst`
adverts queued (1: a wake-up per advert; 255: a master's whole round read at once). The
clock moves on by an advert interval per round of every VRID, so no timer runs out.
Prints microseconds of CPU (process time) per advert; --profile N: cProfile of N VRIDs
(the first burst size), the top functions by own time. --cold S,...: one wake-up's turn
(one advert, the first of --vrids) timed alone (its thread's CPU time), each after the
process slept S seconds, and the same turn again right after it: what the lab's daemon
pays per wake-up when adverts come every S, the system calls aside.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import socket
import statistics
import struct
import sys
import time

from vrrplab.bundled import daemon as daemon_module
from vrrplab.bundled import net as net_module
from vrrplab.bundled.config import parse_config
from vrrplab.bundled.daemon import Daemon
from vrrplab.bundled.log import JsonLog
from vrrplab.bundled.net import SO_TIMESTAMPNS, TIMESPEC, VrrpSocket
from vrrplab.vrrp.machine import State
from vrrplab.vrrp.packet import AUTH_PASS, Advert, encode, pass_auth_data

OFFSET = 1_796_000_000.0  # realtime minus monotonic, in this bench's world
MASTER, BACKUP = "192.168.1.10", "192.168.1.20"
INTERVAL_S = 0.1


def config(vrids: int, version: int, sync: bool = False) -> dict:
    instances = [{"name": f"VI_{v}", "vrid": v, "interface": "eth0", "primary_ip": BACKUP,
                  "vips": [f"10.{v}.0.1/24"], "priority": 100, "state": "BACKUP", "version": version,
                  "advert_int": INTERVAL_S if version == 3 else 1, "preempt": True, "preempt_delay": 0.0,
                  "auth_pass": None if version == 3 else "Lab2pass", "use_vmac": False,
                  "track_scripts": [], "track_interfaces": []} for v in range(1, vrids + 1)]
    group = {"name": "GATEWAY", "instances": [i["name"] for i in instances]} if sync and vrids > 1 else None
    return {"schema": 1, "router": "r2", "source": "bench", "scripts": {}, "sync_group": group,
            "instances": instances}


def advert(vrid: int, version: int) -> bytes:
    if version == 3:
        message = encode(Advert(3, vrid, 120, round(INTERVAL_S * 100), (f"10.{vrid}.0.1",)), MASTER)
    else:
        message = encode(Advert(2, vrid, 120, 1, (f"10.{vrid}.0.1",), AUTH_PASS, pass_auth_data("Lab2pass")),
                         MASTER)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(message), 0, 0, 255, 112, 0,
                         socket.inet_aton(MASTER), socket.inet_aton("224.0.0.18"))
    return header + message


class Clock:
    def __init__(self) -> None:
        self.now = 1.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + OFFSET


class FakeRaw:
    """`recvmsg` over a queue of (packet, ancdata, flags, address), then EAGAIN."""

    def __init__(self) -> None:
        self.queue: list[tuple] = []

    def recvmsg(self, _size: int, _ancsize: int = 0) -> tuple:
        if not self.queue:
            raise BlockingIOError
        return self.queue.pop()

    def close(self) -> None:
        pass


class Quiet:
    """No netlink, no ARP: nothing is sent by a backup that stays backup."""

    prepared, error, notes = True, None, []

    def wait(self) -> None:
        pass

    def close(self) -> list[str]:
        return []


def backup(vrids: int, version: int, sync: bool = False) -> tuple[Daemon, VrrpSocket, Clock]:
    daemon_module.device_mac = lambda device: "02:00:00:00:00:02"
    net_module.link_is_up = lambda device: True
    clock = Clock()
    d = Daemon(parse_config(config(vrids, version, sync)), JsonLog(io.StringIO(), clock=clock.wall),
               clock=clock.monotonic, wall=clock.wall)
    sock = object.__new__(VrrpSocket)  # the real receive path over a fake socket
    sock.device, sock.sock = "eth0", FakeRaw()
    d.sockets = {("eth0", 4): sock}
    for inst in d.instances.values():
        inst.sock = sock
    d.links = Quiet()
    d._wake_r = socket.socketpair()[0]
    d.startup(clock.now)
    return d, sock, clock


def rounds(d: Daemon, sock: VrrpSocket, clock: Clock, packets: list[bytes], burst: int, count: int) -> None:
    """`count` rounds of every VRID's advert, `burst` per wake-up."""
    for _ in range(count):
        clock.now += INTERVAL_S
        for first in range(0, len(packets), burst):
            stamp = clock.now + OFFSET
            seconds = int(stamp)
            ancdata = [(socket.SOL_SOCKET, SO_TIMESTAMPNS, TIMESPEC.pack(seconds, int((stamp - seconds) * 1e9)))]
            sock.sock.queue = [(p, ancdata, 0, (MASTER, 0)) for p in reversed(packets[first:first + burst])]
            d.run_timers()  # the loop's turn: timers, the next deadline, the fds, select
            d.next_deadline()
            d._fds()
            d._on_readable(sock, clock.now)


def measure(vrids: int, burst: int, seconds: float, version: int, sync: bool = False) -> float:
    d, sock, clock = backup(vrids, version, sync)
    packets = [advert(v, version) for v in range(1, vrids + 1)]
    rounds(d, sock, clock, packets, burst, 3)  # warm up; every instance hears its master
    heard = sum(i.counters["adverts_received"] for i in d.instances.values())
    assert heard == 3 * vrids, heard
    assert all(i.router.state is State.BACKUP for i in d.instances.values())
    count = max(1, int(20000 / vrids))
    spent, total = 0.0, 0
    while spent < seconds:
        start = time.process_time()
        rounds(d, sock, clock, packets, burst, count)
        spent += time.process_time() - start
        total += count * vrids
    drops = sum(sum(i.router.drops.values()) for i in d.instances.values())
    assert drops == 0, {n: i.router.drops for n, i in d.instances.items() if i.router.drops}
    return spent / total * 1e6


def profile(vrids: int, burst: int, version: int, sync: bool = False, sort: str = "tottime") -> str:
    d, sock, clock = backup(vrids, version, sync)
    packets = [advert(v, version) for v in range(1, vrids + 1)]
    rounds(d, sock, clock, packets, burst, 3)
    profiler = cProfile.Profile()
    profiler.enable()
    rounds(d, sock, clock, packets, burst, max(1, int(20000 / vrids)))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(40)
    return out.getvalue()


def cold(vrids: int, version: int, sleeps: list[float], turns: int = 40) -> list[tuple[float, float, float]]:
    """(sleep, median µs of a turn after sleeping that long, median µs of the same turn right
    after it) for each sleep: the same Python work, cold and warm."""
    d, sock, clock = backup(vrids, version)
    packets = [advert(1, version)]
    rounds(d, sock, clock, packets, 1, 50)
    found = []
    for sleep in sleeps:
        after, again = [], []
        for _ in range(turns):
            time.sleep(sleep)
            for spent in (after, again):
                start = time.thread_time_ns()
                rounds(d, sock, clock, packets, 1, 1)
                spent.append((time.thread_time_ns() - start) / 1000)
        found.append((sleep, statistics.median(after), statistics.median(again)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vrids", default="1,16,255")
    parser.add_argument("--burst", default="1,255", help="adverts read per wake-up (capped at the VRIDs)")
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per point")
    parser.add_argument("--version", type=int, default=3, choices=(2, 3))
    parser.add_argument("--sync", action="store_true",
                        help="every instance in one sync group, as `scale:` grows the textbook lab")
    parser.add_argument("--profile", type=int, default=None, metavar="VRIDS")
    parser.add_argument("--cold", default=None, metavar="S,...",
                        help="a turn's CPU after sleeping each S seconds, and right after")
    args = parser.parse_args()
    if args.cold:
        print(f"{'sleep s':>7} {'us after the sleep':>18} {'us right after':>14}")
        for sleep, after, again in cold(int(args.vrids.split(",")[0]), args.version,
                                        [float(s) for s in args.cold.split(",")]):
            print(f"{sleep:>7g} {after:>18.1f} {again:>14.1f}", flush=True)
        return 0
    bursts = [int(b) for b in args.burst.split(",")]
    if args.profile:
        print(profile(args.profile, min(bursts[0], args.profile), args.version, args.sync))
        return 0
    print(f"{'VRIDs':>5} {'burst':>5} {'us/advert':>10}")
    for vrids in (int(v) for v in args.vrids.split(",")):
        for burst in dict.fromkeys(min(b, vrids) for b in bursts):
            spent = measure(vrids, burst, args.seconds, args.version, args.sync)
            print(f"{vrids:>5} {burst:>5} {spent:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
