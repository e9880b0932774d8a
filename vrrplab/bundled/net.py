"""Sockets of the bundled speaker: VRRP over raw IPv4, gratuitous ARP, link events.

- `VrrpSocket`: a raw IPv4 socket for protocol 112 on one device, set up as
  keepalived sets up its own: bound to the device, member of 224.0.0.18 there,
  multicast TTL 255 (RFC 5798 §5.1.1.3), no loopback of our own adverts, no
  multicast from other devices (IP_MULTICAST_ALL 0), TOS 0xc0 (internetwork
  control). The kernel writes the IP header; the source address is the one
  given to IP_MULTICAST_IF, i.e. the interface's primary address (RFC 5798
  §5.1.1.1). A received datagram includes its IP header: `parse_ipv4` cuts the
  payload to the IP total length (no Ethernet padding) for `packet.decode`.
- `garp_frame` / `ArpSocket`: gratuitous ARP as keepalived 2.2.7 sends it (an ARP
  request for the VIP from the VIP, target MAC ff:ff:ff:ff:ff:ff, broadcast).
- `LinkMonitor`: an rtnetlink socket subscribed to link events; on any event the
  daemon re-reads /sys/class/net/IF/operstate of the links it tracks.

Left to others: what to send and when (the daemon and `vrrplab.vrrp`), VIPs and
VMAC interfaces (`links`).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IPPROTO_VRRP = 112  # RFC 5798 §5.1.1.3
VRRP_GROUP = "224.0.0.18"  # RFC 5798 §5.1.1.2
VRRP_TTL = 255
TOS_INTERNETWORK_CONTROL = 0xC0  # what keepalived puts in its adverts' TOS
IP_MULTICAST_ALL = 49  # <linux/in.h>; not exported by Python's socket module
RTMGRP_LINK = 0x1  # <linux/rtnetlink.h>
ETH_P_ARP = 0x0806
BROADCAST_MAC = b"\xff" * 6
LINK_UP_STATES = {"up", "unknown"}  # "unknown": drivers that do not report operstate
SYS_NET = Path("/sys/class/net")
RECV_BUFFER = 65535


@dataclass(frozen=True)
class Datagram:
    """A received IPv4 datagram, reduced to what `PacketReceived` needs."""

    payload: bytes
    src: str
    dst: str
    ttl: int


def parse_ipv4(packet: bytes) -> Datagram | None:
    """Split a raw-socket IPv4 datagram; None if it is not a well-formed IPv4 header."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header_len = (packet[0] & 0x0F) * 4
    total_len = struct.unpack_from("!H", packet, 2)[0]
    if header_len < 20 or total_len < header_len or len(packet) < header_len:
        return None
    end = min(total_len, len(packet))
    src, dst = (str(ipaddress.IPv4Address(packet[i : i + 4])) for i in (12, 16))
    return Datagram(bytes(packet[header_len:end]), src, dst, packet[8])


def ip_mreqn(group: str, address: str, ifindex: int) -> bytes:
    """`struct ip_mreqn` for IP_ADD_MEMBERSHIP / IP_MULTICAST_IF (ip(7))."""
    return struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton(address), ifindex)


class VrrpSocket:
    """Raw VRRP socket on one device, to send and to receive."""

    def __init__(self, device: str, source_ip: str) -> None:
        self.device = device
        self.source_ip = source_ip
        ifindex = socket.if_nametoindex(device)
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_VRRP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
            # RFC 5798 §5.1.1.2: adverts go to 224.0.0.18
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, ip_mreqn(VRRP_GROUP, "0.0.0.0", ifindex))
            # The source of our adverts: IP_MULTICAST_IF's address on an unbound socket
            # (binding would also filter what we receive by destination).
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, ip_mreqn(VRRP_GROUP, source_ip, ifindex))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, TOS_INTERNETWORK_CONTROL)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: bytes) -> None:
        self.sock.sendto(message, (VRRP_GROUP, 0))

    def receive_all(self) -> Iterator[Datagram]:
        """Every datagram queued now (the socket is non-blocking); OSError on a socket error."""
        while True:
            try:
                packet = self.sock.recv(RECV_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            datagram = parse_ipv4(packet)
            if datagram is not None:
                yield datagram

    def close(self) -> None:
        self.sock.close()


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def garp_frame(mac: str, ip: str) -> bytes:
    """Gratuitous ARP as keepalived sends it: a broadcast ARP request for `ip` from `ip`."""
    own = mac_bytes(mac)
    address = socket.inet_aton(ip)
    ethernet = BROADCAST_MAC + own + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)  # Ethernet, IPv4, request (RFC 826, RFC 5227 §3)
    return ethernet + arp + own + address + BROADCAST_MAC + address


def device_mac(device: str) -> str:
    return (SYS_NET / device / "address").read_text().strip()


class ArpSocket:
    """An AF_PACKET socket that only sends (protocol 0: it receives nothing)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((device, 0))

    def send_garp(self, ip: str, mac: str | None = None) -> None:
        self.sock.send(garp_frame(mac or device_mac(self.device), ip))

    def close(self) -> None:
        self.sock.close()


def link_is_up(device: str) -> bool:
    """The kernel's operational state (RFC 2863), as `ip link` shows it; a missing link is down."""
    try:
        return (SYS_NET / device / "operstate").read_text().strip() in LINK_UP_STATES
    except OSError:
        return False


class LinkMonitor:
    """rtnetlink link notifications: readable when any link changes in this namespace."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, RTMGRP_LINK))
        self.sock.setblocking(False)

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self) -> None:
        """Read and forget the notifications: the daemon re-reads the state it tracks."""
        while True:
            try:
                self.sock.recv(RECV_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ENOBUFS: notifications lost; re-reading the state covers it
                return

    def close(self) -> None:
        self.sock.close()
