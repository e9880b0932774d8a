"""The control plane as the client sees it: a capture of VRRP adverts and ARP.

`Capture` runs tcpdump on the client's LAN interface into a pcap (kept as an
artifact); `read_pcap` turns that pcap into plain event lists. Scapy is used
only to decode, after the run.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vrrplab.errors import LabError

CAPTURE_FILTER = "ip proto 112 or arp"
READY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class AdvertSeen:
    t: float  # unix time, from the pcap
    src: str
    vrid: int
    priority: int
    version: int
    ttl: int


@dataclass(frozen=True)
class ArpSeen:
    t: float
    op: str  # "request" or "reply"
    ip: str  # the sender's protocol address
    mac: str  # the sender's hardware address
    gratuitous: bool  # sender and target address are the same


class Capture:
    def __init__(self, lab, node: str, interface: str, pcap: Path):
        self.lab, self.node, self.interface, self.pcap = lab, node, interface, pcap
        self.proc: subprocess.Popen | None = None
        self._stderr = pcap.with_suffix(".tcpdump.log")

    def start(self) -> None:
        with open(self._stderr, "w") as err:
            self.proc = self.lab.popen(
                self.node, ["tcpdump", "-i", self.interface, "-n", "-U", "--immediate-mode",
                            "-w", str(self.pcap), CAPTURE_FILTER],
                stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "listening on" not in self._stderr.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise LabError(f"tcpdump on {self.node} did not start: "
                               f"{self._stderr.read_text().strip()}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def read_pcap(pcap: Path) -> tuple[list[AdvertSeen], list[ArpSeen]]:
    from scapy.layers.inet import IP
    from scapy.layers.l2 import ARP
    from scapy.layers.vrrp import VRRP, VRRPv3
    from scapy.utils import PcapReader

    adverts, arps = [], []
    if not pcap.exists() or pcap.stat().st_size == 0:
        return adverts, arps
    try:
        with PcapReader(str(pcap)) as reader:
            for pkt in reader:
                t = float(pkt.time)
                if ARP in pkt:
                    arp = pkt[ARP]
                    arps.append(ArpSeen(t, "request" if arp.op == 1 else "reply", arp.psrc,
                                        arp.hwsrc, arp.psrc == arp.pdst))
                elif IP in pkt and (VRRP in pkt or VRRPv3 in pkt):
                    layer = pkt[VRRPv3] if VRRPv3 in pkt else pkt[VRRP]
                    adverts.append(AdvertSeen(t, pkt[IP].src, layer.vrid, layer.priority,
                                              layer.version, pkt[IP].ttl))
    except EOFError:
        pass  # a capture cut short by a kill: keep what was read
    return adverts, arps


def as_dicts(events) -> list[dict]:
    return [asdict(e) for e in events]
