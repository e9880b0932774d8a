"""read_pcap on IPv6: VRRPv3 adverts and Neighbour Adverts, from a pcap written with scapy."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from scapy.layers.inet import IP
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    IPv6,
)
from scapy.layers.l2 import ARP, Ether
from scapy.layers.vrrp import VRRP, VRRPv3
from scapy.utils import rdpcap, wrpcap

from vrrplab.run.capture import CAPTURE_FILTER, AdvertSeen, ArpSeen, read_pcap

T0 = 1_700_000_000.0
R1_MAC, R2_MAC, C1_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:64"


def _at(t: float, pkt):
    pkt.time = t
    return pkt


def _advert6(t: float, src: str, priority: int, hlim: int = 255):
    return _at(t, Ether(src=R1_MAC, dst="33:33:00:00:00:12")
               / IPv6(src=src, dst="ff02::12", hlim=hlim)
               / VRRPv3(vrid=10, priority=priority, ipcount=2, addrlist=["fe80::1", "2001:db8:1::1"]))


def _na(t: float, target: str, solicited: bool, lladdr: str | None, frame_src: str = R2_MAC):
    na = ICMPv6ND_NA(tgt=target, R=1, S=int(solicited), O=1)
    if lladdr:
        na /= ICMPv6NDOptDstLLAddr(lladdr=lladdr)
    dst = ("fe80::64", C1_MAC) if solicited else ("ff02::1", "33:33:00:00:00:01")
    return _at(t, Ether(src=frame_src, dst=dst[1]) / IPv6(src="fe80::ff:fe00:2", dst=dst[0], hlim=255) / na)


def _packets():
    return [
        _advert6(T0 + 1, "fe80::10", 120),
        _at(T0 + 1.1, Ether(src=C1_MAC, dst=R1_MAC) / IPv6(src="2001:db8:1::100", dst="2001:db8:1::1")
            / ICMPv6EchoRequest(id=7, seq=1)),
        _at(T0 + 1.2, Ether(src=R1_MAC, dst=C1_MAC) / IPv6(src="2001:db8:1::1", dst="2001:db8:1::100")
            / ICMPv6EchoReply(id=7, seq=1)),
        _at(T0 + 1.3, Ether(src=C1_MAC, dst="33:33:ff:00:00:01")
            / IPv6(src="fe80::64", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:1::1")),
        _na(T0 + 2, "2001:db8:1::1", solicited=False, lladdr=R2_MAC),
        _na(T0 + 2.1, "2001:db8:1:0:0:0:0:1", solicited=True, lladdr=None),  # no option: the frame's source
        _advert6(T0 + 3, "fe80:0:0:0:0:0:0:20", 100, hlim=64),
        _at(T0 + 4, Ether(src=R1_MAC, dst="01:00:5e:00:00:12") / IP(src="192.168.1.10", dst="224.0.0.18", ttl=255)
            / VRRP(vrid=10, priority=120, addrlist=["192.168.1.1"])),
        _at(T0 + 4.1, Ether(src=R1_MAC, dst="ff:ff:ff:ff:ff:ff")
            / ARP(op=1, hwsrc=R1_MAC, psrc="192.168.1.1", pdst="192.168.1.1")),
    ]


def test_ipv6_adverts_and_neighbour_adverts(tmp_path):
    pcap = tmp_path / "capture.pcap"
    wrpcap(str(pcap), _packets())
    adverts, arps = read_pcap(pcap)
    assert adverts == [
        AdvertSeen(T0 + 1, "fe80::10", 10, 120, 3, 255),
        AdvertSeen(T0 + 3, "fe80::20", 10, 100, 3, 64),  # compressed; the hop limit as sent
        AdvertSeen(T0 + 4, "192.168.1.10", 10, 120, 2, 255),  # IPv4 as before
    ]
    assert arps == [
        ArpSeen(T0 + 2, "na", "2001:db8:1::1", R2_MAC, True),  # unsolicited: the new master's
        ArpSeen(T0 + 2.1, "na", "2001:db8:1::1", R2_MAC, False),  # solicited, no option
        ArpSeen(T0 + 4.1, "request", "192.168.1.1", R1_MAC, True),
    ]  # neither the echoes nor the solicitation


def test_na_mac_is_the_option_not_the_frame(tmp_path):
    pcap = tmp_path / "capture.pcap"
    wrpcap(str(pcap), [_na(T0, "2001:db8:1::1", solicited=False, lladdr="00:00:5e:00:02:0a", frame_src=R2_MAC)])
    (_, arps) = read_pcap(pcap)
    assert arps == [ArpSeen(T0, "na", "2001:db8:1::1", "00:00:5e:00:02:0a", True)]  # a VMAC (RFC 5798 §7.3)


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump not installed")
def test_filter_keeps_vrrp_arp_and_na_not_echoes(tmp_path):
    """The filter as libpcap compiles and runs it, offline (`tcpdump -r`: no root, no interface)."""
    everything, kept = tmp_path / "all.pcap", tmp_path / "kept.pcap"
    wrpcap(str(everything), _packets())
    subprocess.run(["tcpdump", "-n", "-r", str(everything), "-w", str(kept), CAPTURE_FILTER],
                   check=True, capture_output=True, timeout=30)
    assert read_pcap(kept) == read_pcap(everything)  # what read_pcap reports all passes ...
    types = [p.lastlayer().__class__.__name__ for p in rdpcap(str(kept))]
    assert types == ["VRRPv3", "ICMPv6NDOptDstLLAddr", "ICMPv6ND_NA", "VRRPv3", "VRRP", "ARP"]  # ... and only it
