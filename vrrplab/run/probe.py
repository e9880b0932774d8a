"""The client's prober: ICMP echo to each target every `interval`, every reply timed.

Runs as its own process inside the client's namespace
(`python -m vrrplab.run.probe --interval 0.005 --out FILE TARGET...`) and writes one
line per event, flushed often so the runner can watch recovery live:

    S <target-index> <n> <unix time>     probe n sent
    R <target-index> <n> <unix time>     reply to probe n received

Targets are IPv4 or IPv6 addresses, mixed freely in one run: ICMP echo (type 8,
reply 0) over a raw IPv4 socket, ICMPv6 echo (type 128, reply 129; RFC 4443
§4) over a raw ICMPv6 socket. The kernel fills the ICMPv6 checksum (it needs
the IPv6 pseudo-header, RFC 4443 §2.3) and hands that socket the ICMPv6 message
without the IPv6 header, where the IPv4 socket gets the whole datagram. A
link-local IPv6 target needs its interface (`fe80::1%eth0`); without one it is
refused, as is anything that is not an address.

Times are CLOCK_REALTIME, the clock tcpdump stamps packets with: every lab
process shares it, so probe and capture timelines compare directly.

Pacing (`--interval` down to 1 ms): each round is due at an absolute deadline, start +
k x interval (no drift from the time a round takes); a round missed by more than an
interval is skipped, not sent in a burst (its probes would be stamped late anyway). To
wake on time it asks Linux (`sharpen`) for a 1 ns timer slack (PR_SET_TIMERSLACK: select
otherwise may wake 50 us late) and a 0.1 ms slice (sched_setattr's sched_runtime, EEVDF,
Linux 6.12+: a waking task with a short slice preempts the one running, where the default
slice let a busy neighbour delay it by milliseconds); it stays SCHED_OTHER, a fair share,
never real-time. Either refused (an older kernel ignores the slice), it probes as before.
SIGTERM or SIGINT ends it cleanly. `read_probe_log` turns the file back into data.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import os
import platform
import select
import signal
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from vrrplab.vrrp.packet import internet_checksum  # RFC 1071

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
ICMPV6_ECHO_REQUEST = 128  # RFC 4443 §4.1
ICMPV6_ECHO_REPLY = 129  # RFC 4443 §4.2
ICMP6_FILTER = 1  # <netinet/icmp6.h>; Python's socket module does not export it
PAYLOAD_TAG = b"vrrplab-probe"
FLUSH_EVERY_S = 0.02
PR_SET_TIMERSLACK = 29  # <linux/prctl.h>
TIMER_SLACK_NS = 1
SLICE_NS = 100_000  # EEVDF's shortest slice (0.1 ms, kernel/sched/syscalls.c)
SYS_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}  # no libc wrapper


class _SchedAttr(ctypes.Structure):
    """struct sched_attr, SCHED_ATTR_SIZE_VER0 (48 bytes; <linux/sched/types.h>)."""

    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32),
                ("sched_flags", ctypes.c_uint64), ("sched_nice", ctypes.c_int32),
                ("sched_priority", ctypes.c_uint32), ("sched_runtime", ctypes.c_uint64),
                ("sched_deadline", ctypes.c_uint64), ("sched_period", ctypes.c_uint64)]


def sharpen() -> dict[str, bool]:
    """Ask for a 1 ns timer slack and a 0.1 ms slice for this process (see the module's
    docstring); which of the two Linux granted."""
    libc = ctypes.CDLL(None, use_errno=True)
    slack = libc.prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(TIMER_SLACK_NS), 0, 0, 0) == 0
    number = SYS_SCHED_SETATTR.get(platform.machine())
    attr = _SchedAttr(size=ctypes.sizeof(_SchedAttr), sched_policy=os.SCHED_OTHER,
                      sched_nice=os.getpriority(os.PRIO_PROCESS, 0), sched_runtime=SLICE_NS)
    sliced = number is not None and libc.syscall(number, 0, ctypes.byref(attr), 0) == 0
    return {"timer_slack": slack, "slice": sliced}


def echo_request(ident: int, n: int) -> bytes:
    payload = struct.pack("!I", n) + PAYLOAD_TAG
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, n & 0xFFFF)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, internet_checksum(header + payload),
                       ident, n & 0xFFFF) + payload


def echo_request6(ident: int, n: int) -> bytes:
    """An ICMPv6 echo request with a zero checksum: the kernel fills it on a raw
    IPPROTO_ICMPV6 socket (RFC 3542 §3.1), since only it knows the source address."""
    return struct.pack("!BBHHH", ICMPV6_ECHO_REQUEST, 0, 0, ident, n & 0xFFFF) \
        + struct.pack("!I", n) + PAYLOAD_TAG


def _echo_number(icmp: bytes, reply_type: int, ident: int) -> int | None:
    """The probe number in an ICMP(v6) message if it is an echo reply to `ident`."""
    if len(icmp) < 12:
        return None
    kind, _, _, rid, _ = struct.unpack("!BBHHH", icmp[:8])
    if kind != reply_type or rid != ident:
        return None
    return struct.unpack("!I", icmp[8:12])[0]


def parse_echo_reply(packet: bytes, ident: int) -> int | None:
    """The probe number n of an echo reply to us, or None for anything else.
    `packet` is an IPv4 datagram, header included (what a raw IPv4 socket reads)."""
    if len(packet) < 20:
        return None
    ihl = (packet[0] & 0x0F) * 4
    return _echo_number(packet[ihl:], ICMP_ECHO_REPLY, ident)


def parse_echo_reply6(message: bytes, ident: int) -> int | None:
    """The same for ICMPv6: `message` starts at the ICMPv6 header (a raw ICMPv6
    socket never shows the IPv6 header). Other types (our own requests on
    loopback, neighbour discovery, errors) give None."""
    return _echo_number(message, ICMPV6_ECHO_REPLY, ident)


def icmp6_filter_passing(*types: int) -> bytes:
    """A `struct icmp6_filter` letting only `types` through. Linux reads a set bit
    as "block" (its ICMP6_FILTER_SETBLOCK), 256 bits in host-order 32-bit words."""
    words = [0xFFFFFFFF] * 8
    for kind in types:
        words[kind >> 5] &= ~(1 << (kind & 31)) & 0xFFFFFFFF
    return struct.pack("=8I", *words)


@dataclass(frozen=True)
class Target:
    """One target: its text as given (the log and `read_probe_log` use it), the
    socket address to send to, and the key a reply's source maps back to."""

    text: str
    family: int
    sockaddr: tuple
    key: tuple


def parse_target(text: str) -> Target:
    """An IPv4 or IPv6 address; a link-local IPv6 one with its interface
    (`fe80::1%eth0`, the interface must exist here). ValueError otherwise."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"probe target {text!r} is not an IPv4 or IPv6 address") from None
    if address.version == 4:
        return Target(text, socket.AF_INET, (str(address), 0), (socket.AF_INET, address.packed))
    scope = 0
    if address.scope_id:
        if not address.is_link_local:
            raise ValueError(f"probe target {text!r}: only a link-local address takes a %interface")
        try:
            scope = socket.if_nametoindex(address.scope_id)
        except OSError:
            raise ValueError(f"probe target {text!r}: no interface {address.scope_id!r} here") from None
    elif address.is_link_local:
        raise ValueError(f"probe target {text!r} is link-local (fe80::/10): say which interface, "
                         f"e.g. {text}%eth0, or probe a global address")
    plain = ipaddress.IPv6Address(address.packed)  # without the scope
    return Target(text, socket.AF_INET6, (str(plain), 0, 0, scope), (socket.AF_INET6, plain.packed, scope))


def reply_key(family: int, sockaddr: tuple) -> tuple:
    """The `Target.key` of the address a reply came from (recvfrom's sockaddr)."""
    if family == socket.AF_INET:
        return (family, socket.inet_pton(family, sockaddr[0]))
    host = sockaddr[0].split("%", 1)[0]  # Python appends %scope to a link-local source
    packed = socket.inet_pton(family, host)
    return (family, packed, sockaddr[3] if ipaddress.IPv6Address(packed).is_link_local else 0)


def next_round(sent: int, elapsed: float, interval: float) -> int:
    """The round due next, on the grid start + k x interval, once round `sent` left
    `elapsed` seconds after the start: the one after it, or, if we were descheduled past
    later deadlines, the first still ahead (the missed ones are skipped, not a burst)."""
    return max(sent + 1, int(elapsed / interval) + 1)


class Prober:
    def __init__(self, targets: list[str], interval: float, out):
        self.targets = [parse_target(t) for t in targets]
        self.index = {t.key: i for i, t in enumerate(self.targets)}
        self.interval = interval
        self.out = out
        self.ident = os.getpid() & 0xFFFF
        self.socks: dict[int, socket.socket] = {}  # one raw socket per family in use
        families = {t.family for t in self.targets}
        if socket.AF_INET in families:
            self.socks[socket.AF_INET] = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                                       socket.IPPROTO_ICMP)
        if socket.AF_INET6 in families:
            sock6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            sock6.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, icmp6_filter_passing(ICMPV6_ECHO_REPLY))
            self.socks[socket.AF_INET6] = sock6
        for sock in self.socks.values():
            sock.setblocking(False)
        self.running = True
        self.n = 0

    def run(self) -> None:
        start = next_send = time.time()
        last_flush = next_send
        socks = list(self.socks.values())
        rounds = 0
        while self.running:
            now = time.time()
            if now >= next_send:
                self._send_round()
                rounds = next_round(rounds, now - start, self.interval)
                next_send = start + rounds * self.interval
            wait = max(0.0, next_send - time.time())
            try:
                readable, _, _ = select.select(socks, [], [], wait)
            except InterruptedError:
                continue
            for sock in readable:
                self._drain(sock)
            if time.time() - last_flush > FLUSH_EVERY_S:
                self.out.flush()
                last_flush = time.time()
        self.out.flush()

    def _send_round(self) -> None:
        for i, target in enumerate(self.targets):
            n = self.n
            self.n += 1
            build = echo_request if target.family == socket.AF_INET else echo_request6
            try:
                self.socks[target.family].sendto(build(self.ident, n), target.sockaddr)
            except OSError:
                pass  # no route or no ARP/ND answer yet: it is a lost probe, recorded as sent
            self.out.write(f"S {i} {n} {time.time():.6f}\n")

    def _drain(self, sock: socket.socket) -> None:
        parse = parse_echo_reply if sock.family == socket.AF_INET else parse_echo_reply6
        while True:
            try:
                packet, src = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            stamp = time.time()
            n = parse(packet, self.ident)
            i = self.index.get(reply_key(sock.family, src))
            if n is not None and i is not None:
                self.out.write(f"R {i} {n} {stamp:.6f}\n")


@dataclass
class ProbeTrace:
    """Every probe to one target: when sent, and when answered (None if never)."""

    target: str
    sent: list[float]
    recv: list[float | None]


def probe_log_name(n: int, source: str) -> str:
    """The main client's log is probes.log; another client's (load sharing) probes.<name>.log."""
    return "probes.log" if n == 0 else f"probes.{source}.log"


def read_probe_log(path: Path, targets: list[str]) -> dict[str, ProbeTrace]:
    sent: dict[int, tuple[int, float]] = {}
    recv: dict[int, float] = {}
    try:
        lines = path.read_text().split("\n")[:-1]  # the last piece is unfinished (or empty)
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) != 4:
            continue
        kind, idx, n, stamp = parts[0], int(parts[1]), int(parts[2]), float(parts[3])
        if kind == "S":
            sent[n] = (idx, stamp)
        elif kind == "R":
            recv.setdefault(n, stamp)
    traces = {t: ProbeTrace(t, [], []) for t in targets}
    for n in sorted(sent):
        idx, stamp = sent[n]
        trace = traces[targets[idx]]
        trace.sent.append(stamp)
        trace.recv.append(recv.get(n))
    return traces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args(argv)
    for target in args.targets:
        try:
            parse_target(target)
        except ValueError as error:
            parser.error(str(error))  # one line and exit status 2, before the log exists
    sharpen()
    with open(args.out, "w", buffering=1 << 16) as out:
        prober = Prober(args.targets, args.interval, out)

        def stop(_signum, _frame):
            prober.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        prober.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
