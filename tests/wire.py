"""An independent capture of a running lab's LAN, and the takeover read back from it.

vrrplab's own capture is tcpdump on the client's interface, decoded with scapy
(`vrrplab.run.capture`). This one shares neither: a second tcpdump, started from
outside the run by a test or a benchmark, on the LAN's bridge in the lab's private
network namespace (`nsenter --net=/proc/<the run's unshare>/ns/net`, the pid its run
record names), decoded by the plain pcap reader below. Its stamps are the bridge's,
a few microseconds before the client's interface.

`wire_takeover` computes a fault's takeover as results.py defines it (`takeover_s`:
the fault instant to the new master's first advert with priority > 0 for the VRID;
`takeover_after_last_advert_s`: from the old master's last advert with priority > 0
before the fault), and `takeover_differences` compares a results.json fault with it.
Both are pure: `tests/unit/test_wire.py` feeds them a shifted capture.
"""

from __future__ import annotations

import json
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REGISTRY = Path("/run/vrrplab-runs")
LAN_BRIDGE = "s1"  # network.Lab names the bridges s1, s2... in the topology's segment order
WIRE_FILTER = "ip proto 112 or (icmp and icmp[icmptype] == icmp-echo)"
VRRP_PROTO, ICMP_PROTO = 112, 1


@dataclass(frozen=True)
class Frame:
    """An IPv4 frame seen on the wire: a VRRP advert (vrid, priority) or an ICMP echo
    request (ident, seq)."""

    t: float
    src: str
    dst: str
    proto: int
    vrid: int = 0
    priority: int = 0
    ident: int = 0
    seq: int = 0


def parse_pcap(data: bytes) -> list[Frame]:
    """The IPv4 VRRP adverts and ICMP echo requests of a pcap (Ethernet, micro- or
    nanosecond stamps, either byte order); a record cut short at the end is left out."""
    if len(data) < 24:
        return []
    magic = data[:4]
    for order in ("<", ">"):
        (number,) = struct.unpack(order + "I", magic)
        if number in (0xA1B2C3D4, 0xA1B23C4D):
            scale = 1e-6 if number == 0xA1B2C3D4 else 1e-9
            break
    else:
        raise ValueError(f"not a pcap file (magic {magic.hex()})")
    frames, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(order + "IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        if len(packet) < caplen:
            break
        frame = _frame(sec + frac * scale, packet)
        if frame:
            frames.append(frame)
    return frames


def _frame(t: float, packet: bytes) -> Frame | None:
    if len(packet) < 34 or packet[12:14] != b"\x08\x00":
        return None
    ip = packet[14:]
    ihl = (ip[0] & 0x0F) * 4
    proto = ip[9]
    src, dst = (".".join(map(str, ip[a:a + 4])) for a in (12, 16))
    body = ip[ihl:]
    if proto == VRRP_PROTO and len(body) >= 3:
        return Frame(t, src, dst, proto, vrid=body[1], priority=body[2])
    if proto == ICMP_PROTO and len(body) >= 8 and body[0] == 8:
        ident, seq = struct.unpack("!HH", body[4:8])
        return Frame(t, src, dst, proto, ident=ident, seq=seq)
    return None


def read_wire(pcap: Path) -> list[Frame]:
    return parse_pcap(Path(pcap).read_bytes()) if Path(pcap).exists() else []


def wire_takeover(frames: list[Frame], at: float, old_src: str | None, new_src: str,
                  vrid: int) -> tuple[float | None, float | None]:
    """(takeover from the fault instant `at`, takeover from the old master's last advert
    before `at`), both from the wire; None where the capture lacks the advert."""
    live = [f for f in frames if f.proto == VRRP_PROTO and f.vrid == vrid and f.priority > 0]
    first = next((f.t for f in live if f.src == new_src and f.t >= at), None)
    last = [f.t for f in live if f.src == old_src and f.t < at]
    if first is None:
        return None, None
    return first - at, (first - last[-1] if last else None)


def takeover_differences(results: dict, frames: list[Frame], tolerance_s: float) -> list[str]:
    """Each fault of results.json whose takeover (takeover_s, takeover_after_last_advert_s)
    differs from the wire's by more than `tolerance_s`, or cannot be found there, said in
    one line; [] when all agree. Faults without a takeover are passed over."""
    src = {a["router"]: a["src"] for a in results["timeline"]["adverts"]}
    problems = []
    for fault in results["faults"]:
        if fault["takeover_s"] is None:
            continue
        at = results["t0"] + fault["at_s"]
        wire = wire_takeover(frames, at, src.get(fault["old_master"]), src[fault["new_master"]],
                             results["vrrp"]["vrid"])
        for name, reported, seen in zip(("takeover_s", "takeover_after_last_advert_s"),
                                        (fault["takeover_s"], fault["takeover_after_last_advert_s"]),
                                        wire):
            if reported is None:
                continue
            if seen is None:
                problems.append(f"{fault['name']}: {name} {reported:.6f} s, not on the wire")
            elif abs(reported - seen) > tolerance_s:
                problems.append(f"{fault['name']}: {name} {reported:.6f} s reported, "
                                f"{seen:.6f} s on the wire ({(reported - seen) * 1e3:+.3f} ms)")
    return problems


def shifted(frames: list[Frame], src: str, by_s: float) -> list[Frame]:
    """The frames with `src`'s moved `by_s` later: a capture that is wrong on purpose."""
    return [Frame(**{**f.__dict__, "t": f.t + by_s}) if f.src == src else f for f in frames]


def lab_pid(supervisor: int, timeout_s: float = 30.0) -> int:
    """The `unshare` pid of the run whose supervisor is `supervisor` (its run record):
    its network namespace is the lab's, where the bridges are."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for path in REGISTRY.glob("*.json"):
            try:
                entry = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if entry.get("supervisor") == supervisor:
                return int(entry["unshare"])
        time.sleep(0.02)
    raise AssertionError(f"no run record for supervisor {supervisor} in {REGISTRY}")


class WireCapture:
    """tcpdump on the LAN's bridge inside a running lab, into `pcap`."""

    def __init__(self, lab: int, pcap: Path, bridge: str = LAN_BRIDGE, bpf: str = WIRE_FILTER):
        self.lab, self.pcap, self.bridge, self.bpf = lab, Path(pcap), bridge, bpf
        self.log = self.pcap.with_suffix(".log")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Wait for the bridge to exist and be up (the lab is built), start tcpdump, wait till
        it listens."""
        deadline = time.monotonic() + timeout_s
        devices = Path(f"/proc/{self.lab}/net/dev")  # the lab's namespace's devices
        while f" {self.bridge}:" not in devices.read_text():
            assert time.monotonic() < deadline, f"no bridge {self.bridge} in the lab"
            time.sleep(0.01)
        while True:  # the bridge exists before Mininet sets it up: tcpdump refuses it till then
            with open(self.log, "w") as err:
                self.proc = subprocess.Popen(
                    ["nsenter", f"--net=/proc/{self.lab}/ns/net", "tcpdump", "-i", self.bridge,
                     "-n", "-U", "--immediate-mode", "-B", "16384", "--time-stamp-precision=nano",
                     "-w", str(self.pcap), self.bpf],
                    stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
            while "listening on" not in self.log.read_text() and self.proc.poll() is None:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.01)
            if self.proc.poll() is None:
                return
            assert "not up" in self.log.read_text() and time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
