"""The client's prober: ICMP echo to each target every `interval`, every reply timed.

Runs as its own process inside the client's namespace
(`python -m vrrplab.probe --interval 0.005 --out FILE TARGET...`) and writes one
line per event, flushed often so the runner can watch recovery live:

    S <target-index> <n> <unix time>     probe n sent
    R <target-index> <n> <unix time>     reply to probe n received

Times are CLOCK_REALTIME, the clock tcpdump stamps packets with: every lab
process shares it, so probe and capture timelines compare directly.
SIGTERM or SIGINT ends it cleanly. `read_probe_log` turns the file back into data.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
FLUSH_EVERY_S = 0.02


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, n: int) -> bytes:
    payload = struct.pack("!I", n) + b"vrrplab-probe"
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, n & 0xFFFF)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, checksum(header + payload),
                       ident, n & 0xFFFF) + payload


def parse_echo_reply(packet: bytes, ident: int) -> int | None:
    """The probe number n of an echo reply to us, or None for anything else."""
    if len(packet) < 20:
        return None
    ihl = (packet[0] & 0x0F) * 4
    icmp = packet[ihl:]
    if len(icmp) < 12:
        return None
    kind, _, _, rid, _ = struct.unpack("!BBHHH", icmp[:8])
    if kind != ICMP_ECHO_REPLY or rid != ident:
        return None
    return struct.unpack("!I", icmp[8:12])[0]


class Prober:
    def __init__(self, targets: list[str], interval: float, out):
        self.targets = targets
        self.index = {t: i for i, t in enumerate(targets)}
        self.interval = interval
        self.out = out
        self.ident = os.getpid() & 0xFFFF
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setblocking(False)
        self.running = True
        self.n = 0

    def run(self) -> None:
        next_send = time.time()
        last_flush = next_send
        while self.running:
            now = time.time()
            if now >= next_send:
                self._send_round()
                next_send += self.interval
                if next_send < now:  # we were descheduled: do not burst to catch up
                    next_send = now + self.interval
            wait = max(0.0, next_send - time.time())
            try:
                readable, _, _ = select.select([self.sock], [], [], wait)
            except InterruptedError:
                continue
            if readable:
                self._drain()
            if time.time() - last_flush > FLUSH_EVERY_S:
                self.out.flush()
                last_flush = time.time()
        self.out.flush()

    def _send_round(self) -> None:
        for i, target in enumerate(self.targets):
            n = self.n
            self.n += 1
            try:
                self.sock.sendto(echo_request(self.ident, n), (target, 0))
            except OSError:
                pass  # no route or no ARP answer yet: it is a lost probe, recorded as sent
            self.out.write(f"S {i} {n} {time.time():.6f}\n")

    def _drain(self) -> None:
        while True:
            try:
                packet, (src, _) = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            stamp = time.time()
            n = parse_echo_reply(packet, self.ident)
            if n is not None and src in self.index:
                self.out.write(f"R {self.index[src]} {n} {stamp:.6f}\n")


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
