"""The control plane as the client sees it: VRRP adverts, ARP and Neighbour Adverts.

`Capture` runs tcpdump on the client's LAN interface into a pcap (kept as an
artifact); `read_pcap` turns that pcap into plain event lists. Scapy is used
only to decode, after the run.

The filter keeps VRRP over IPv4 (protocol 112) and IPv6 (next header 112,
RFC 5798 §5.1.2.4), ARP, and ICMPv6 Neighbour Advertisements (type 136, the
IPv6 gratuitous ARP: a new master's unsolicited NAs, RFC 5798 §6.4.2), but
not the prober's ICMP(v6) echoes, a pair every few milliseconds. An IPv6
advert becomes an `AdvertSeen` like an IPv4 one (its `ttl` is the hop limit);
an NA becomes an `ArpSeen` with op "na".
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vrrplab.errors import LabError
from vrrplab.i18n import N_
from vrrplab.lab.process import stop_process

CAPTURE_FILTER = ("ip proto 112 or arp or ip6 proto 112"
                  " or (icmp6 and icmp6[icmp6type] == icmp6-neighboradvert)")
READY_TIMEOUT_S = 5.0
STOP_GRACE_S = 5.0  # tcpdump writes its last packets and its counts on SIGTERM
# the kernel's buffer for tcpdump, KiB: 255 VRIDs' adverts and their gratuitous ARPs come
# in bursts that overflowed the default 2 MiB (551 packets lost in one run)
BUFFER_KIB = 16384
_DROPPED = re.compile(r"^(\d+) packets? dropped by kernel$", re.MULTILINE)


@dataclass(frozen=True)
class AdvertSeen:
    t: float  # unix time, from the pcap
    src: str  # IPv4, or IPv6 in compressed form (a link-local one for VRRPv3, RFC 5798 §5.1.2.1)
    vrid: int
    priority: int
    version: int
    ttl: int  # the IPv4 TTL or the IPv6 hop limit: 255 when sent (RFC 5798 §5.1.1.3, §5.1.2.3)


@dataclass(frozen=True)
class ArpSeen:
    t: float
    op: str  # "request" or "reply" (ARP), "na" (ICMPv6 Neighbour Advertisement)
    ip: str  # ARP: the sender's protocol address; NA: its target address (compressed)
    mac: str  # ARP: the sender's hardware address; NA: its target link-layer address
    # option, else the frame's Ethernet source
    gratuitous: bool  # ARP: sender and target address are the same; NA: unsolicited (S flag clear)


class Capture:
    def __init__(self, lab, node: str, interface: str, pcap: Path):
        self.lab, self.node, self.interface, self.pcap = lab, node, interface, pcap
        self.proc: subprocess.Popen | None = None
        self._stderr = tcpdump_log(pcap)

    def start(self) -> None:
        with open(self._stderr, "w") as err:
            self.proc = self.lab.popen(
                self.node, ["tcpdump", "-i", self.interface, "-n", "-U", "--immediate-mode",
                            "-B", str(BUFFER_KIB), "-w", str(self.pcap), CAPTURE_FILTER],
                stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "listening on" not in self._stderr.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise LabError(N_("tcpdump on {node} did not start: {output}"), node=self.node,
                               output=self._stderr.read_text().strip())
            time.sleep(0.01)

    def stop(self) -> None:
        stop_process(self.proc, STOP_GRACE_S)


def tcpdump_log(pcap: Path) -> Path:
    """Where the capture of `pcap` keeps tcpdump's own words (stderr)."""
    return pcap.with_suffix(".tcpdump.log")


def read_dropped(pcap: Path) -> int | None:
    """Packets the kernel dropped before tcpdump read them (its last words on stopping);
    None when it did not say (killed, or never started)."""
    log = tcpdump_log(pcap)
    found = _DROPPED.search(log.read_text(errors="replace")) if log.exists() else None
    return int(found.group(1)) if found else None


def read_pcap(pcap: Path) -> tuple[list[AdvertSeen], list[ArpSeen]]:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import ARP, Ether
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
                elif IPv6 in pkt and ICMPv6ND_NA in pkt:
                    na = pkt[ICMPv6ND_NA]
                    if ICMPv6NDOptDstLLAddr in pkt:
                        mac = pkt[ICMPv6NDOptDstLLAddr].lladdr
                    else:
                        mac = pkt[Ether].src if Ether in pkt else ""
                    arps.append(ArpSeen(t, "na", _compressed(na.tgt), mac, not na.S))
                elif (IP in pkt or IPv6 in pkt) and (VRRP in pkt or VRRPv3 in pkt):
                    layer = pkt[VRRPv3] if VRRPv3 in pkt else pkt[VRRP]
                    if IP in pkt:
                        src, ttl = pkt[IP].src, pkt[IP].ttl
                    else:
                        src, ttl = _compressed(pkt[IPv6].src), pkt[IPv6].hlim
                    adverts.append(AdvertSeen(t, src, layer.vrid, layer.priority, layer.version, ttl))
    except EOFError:
        pass  # a capture cut short by a kill: keep what was read
    return adverts, arps


def _compressed(address: str) -> str:
    return ipaddress.IPv6Address(address).compressed


def as_dicts(events) -> list[dict]:
    return [asdict(e) for e in events]
