"""Sockets of the bundled speaker: VRRP over raw IPv4/IPv6, gratuitous ARP and NA, link events.

- `VrrpSocket`: a raw IPv4 socket for protocol 112 on one device, set up as
  keepalived sets up its own: bound to the device, member of 224.0.0.18 there,
  multicast TTL 255 (RFC 5798 §5.1.1.3), no loopback of our own adverts, no
  multicast from other devices (IP_MULTICAST_ALL 0), TOS 0xc0 (internetwork
  control). The kernel writes the IP header; the source address is the one
  given to IP_MULTICAST_IF, i.e. the interface's primary address (RFC 5798
  §5.1.1.1). A received datagram includes its IP header: `parse_ipv4` cuts the
  payload to the IP total length (no Ethernet padding) for `packet.decode`.
- `Vrrp6Socket`: the same for IPv6 (RFC 5798 §5.1.2): a raw AF_INET6 socket for
  protocol 112, bound to the device, member of ff02::12 there, multicast hop
  limit 255, no loopback, IPV6_MULTICAST_ALL 0, traffic class 0xc0. Each advert
  leaves with IPV6_PKTINFO naming the interface's link-local address as source
  (§5.1.2.1), the address the codec put in the pseudo-header of its checksum
  (§5.2.8). IPV6_CHECKSUM stays off (-1, the default for a raw socket of any
  protocol but ICMPv6): the kernel neither writes the checksum nor drops a bad
  one on receipt, so the core sees and counts it. A raw IPv6 socket gets no IP
  header: the hop limit (§7.1: MUST be 255) and the destination come as
  ancillary data (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO), read by `datagram_v6`.
- Both sockets ask the kernel to stamp what they receive (SO_TIMESTAMPNS): each
  `Datagram` carries its `stamp`, the instant the kernel took it in
  (CLOCK_REALTIME), read from the ancillary data of `recvmsg`; None when the
  option is refused or the stamp is missing. RFC 5798 §6.4.2 resets
  Master_Down_Timer on receipt of an advert: the daemon counts from that stamp,
  not from when Python got round to reading the packet.
- `garp_frame` / `ArpSocket`: gratuitous ARP as keepalived 2.2.7 sends it (an ARP
  request for the VIP from the VIP, target MAC ff:ff:ff:ff:ff:ff, broadcast).
  For IPv6 the same AF_PACKET socket sends `na_frame`: an unsolicited Neighbor
  Advertisement (RFC 5798 §6.4.1/§6.4.2, RFC 4861 §4.4, §7.2.6) to ff02::1,
  Router and Override set, Solicited clear, the VIP as target and the device's
  MAC in a Target Link-Layer Address option, hop limit 255, the checksum ours.
- `link_local_addresses`: the device's usable link-local addresses, from
  /proc/net/if_inet6 (not tentative: DAD done; not a VIP).
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
from typing import Any

from vrrplab.linux import SYS_NET
from vrrplab.vrrp.packet import VRRP_GROUP_V4 as VRRP_GROUP
from vrrplab.vrrp.packet import (
    VRRP_GROUP_V6,
    VRRP_TTL,
    address_text,
    internet_checksum,  # RFC 1071, as the adverts use it
)
from vrrplab.vrrp.packet import VRRP_PROTO as IPPROTO_VRRP

TOS_INTERNETWORK_CONTROL = 0xC0  # what keepalived puts in its adverts' TOS
IP_MULTICAST_ALL = 49  # <linux/in.h>; not exported by Python's socket module
RTMGRP_LINK = 0x1  # <linux/rtnetlink.h>
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
BROADCAST_MAC = b"\xff" * 6
ALL_NODES = "ff02::1"  # RFC 4861 §7.2.6: where unsolicited NAs go
IPV6_MULTICAST_ALL = 29  # <linux/in6.h>; not exported by Python's socket module
IPPROTO_ICMPV6 = 58
ND_NEIGHBOR_ADVERT = 136  # RFC 4861 §4.4
NA_ROUTER, NA_SOLICITED, NA_OVERRIDE = 0x80, 0x40, 0x20  # the first byte of the NA's flags word
ND_OPT_TARGET_LINKADDR = 2  # RFC 4861 §4.6.1
PROC_IF_INET6 = Path("/proc/net/if_inet6")
IFA_F_DADFAILED, IFA_F_TENTATIVE = 0x08, 0x40  # <linux/if_addr.h>
LINK_UP_STATES = {"up", "unknown"}  # "unknown": drivers that do not report operstate
RECV_BUFFER = 65535
# <asm-generic/socket.h>; not exported by Python's socket module before 3.14. The control
# message's type is the option's number (SCM_TIMESTAMPNS), its data a struct timespec.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("@ll")
STAMP_BUFFER = socket.CMSG_SPACE(TIMESPEC.size)


@dataclass(frozen=True)
class Datagram:
    """A received IPv4 or IPv6 datagram, reduced to what `PacketReceived` needs."""

    payload: bytes
    src: str
    dst: str
    ttl: int  # IPv4 TTL or IPv6 Hop Limit
    family: int = 4
    stamp: float | None = None  # when the kernel received it (unix time, SO_TIMESTAMPNS); None: unknown


def receive_stamp(ancdata: list[tuple[int, int, bytes]]) -> float | None:
    """The kernel's receive time (unix seconds) in `recvmsg`'s ancillary data, or None."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            return seconds + nanoseconds / 1e9 if seconds > 0 else None
    return None


def parse_ipv4(packet: bytes, stamp: float | None = None) -> Datagram | None:
    """Split a raw-socket IPv4 datagram; None if it is not a well-formed IPv4 header."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header_len = (packet[0] & 0x0F) * 4
    total_len = struct.unpack_from("!H", packet, 2)[0]
    if header_len < 20 or total_len < header_len or len(packet) < header_len:
        return None
    end = min(total_len, len(packet))
    src, dst = socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20])
    return Datagram(bytes(packet[header_len:end]), src, dst, packet[8], stamp=stamp)


def ip_mreqn(group: str, address: str, ifindex: int) -> bytes:
    """`struct ip_mreqn` for IP_ADD_MEMBERSHIP / IP_MULTICAST_IF (ip(7))."""
    return struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton(address), ifindex)


def raw_vrrp_socket(family: int, device: str, options: list[tuple[int, int, Any]]) -> socket.socket:
    """A non-blocking raw VRRP socket on `device`, with `options` set; closed if one fails."""
    sock = socket.socket(family, socket.SOCK_RAW, IPPROTO_VRRP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        for level, name, value in options:
            sock.setsockopt(level, name, value)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    try:  # receive stamps are a refinement: without them the daemon stamps with its clock
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        pass
    return sock


class _RawSocket:
    """What the daemon's `select` and teardown need of a VRRP socket."""

    sock: socket.socket

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


class VrrpSocket(_RawSocket):
    """Raw VRRP socket on one device, to send and to receive (IPv4)."""

    family = 4

    def __init__(self, device: str, source_ip: str) -> None:
        self.device = device
        self.source_ip = source_ip
        ifindex = socket.if_nametoindex(device)
        ip = socket.IPPROTO_IP
        self.sock = raw_vrrp_socket(socket.AF_INET, device, [
            # RFC 5798 §5.1.1.2: adverts go to 224.0.0.18
            (ip, socket.IP_ADD_MEMBERSHIP, ip_mreqn(VRRP_GROUP, "0.0.0.0", ifindex)),
            # The source of our adverts: IP_MULTICAST_IF's address on an unbound socket
            # (binding would also filter what we receive by destination).
            (ip, socket.IP_MULTICAST_IF, ip_mreqn(VRRP_GROUP, source_ip, ifindex)),
            (ip, socket.IP_MULTICAST_TTL, VRRP_TTL),
            (ip, socket.IP_MULTICAST_LOOP, 0),
            (ip, IP_MULTICAST_ALL, 0),
            (ip, socket.IP_TOS, TOS_INTERNETWORK_CONTROL),
        ])

    def send(self, message: bytes) -> None:
        self.sock.sendto(message, (VRRP_GROUP, 0))

    def receive_all(self) -> Iterator[Datagram]:
        """Every datagram queued now (the socket is non-blocking); OSError on a socket error."""
        while True:
            try:
                packet, ancdata, _flags, _address = self.sock.recvmsg(RECV_BUFFER, STAMP_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            datagram = parse_ipv4(packet, receive_stamp(ancdata))
            if datagram is not None:
                yield datagram


def ipv6_mreq(group: str, ifindex: int) -> bytes:
    """`struct ipv6_mreq` for IPV6_JOIN_GROUP (ipv6(7))."""
    return socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", ifindex)


def in6_pktinfo(address: str, ifindex: int) -> bytes:
    """`struct in6_pktinfo` for IPV6_PKTINFO (RFC 3542 §6.1): source address and interface."""
    return socket.inet_pton(socket.AF_INET6, address) + struct.pack("@I", ifindex)


def datagram_v6(payload: bytes, address: tuple | str, ancdata: list[tuple[int, int, bytes]]) -> Datagram:
    """A raw IPv6 socket's `recvmsg` result as a `Datagram`: the source from the
    address (its %scope dropped), the hop limit and destination from the ancillary
    data. A missing hop limit reads as 0 and a missing destination as ::, so the
    core drops the advert and counts why (bad_ttl, bad_checksum) rather than guess.
    The kernel's receive stamp, when there, is the datagram's `stamp`."""
    host = address[0] if isinstance(address, tuple) else address
    hop_limit, dst = 0, "::"
    for level, kind, data in ancdata:
        if level != socket.IPPROTO_IPV6:
            continue
        if kind == socket.IPV6_HOPLIMIT and len(data) >= 4:
            hop_limit = struct.unpack_from("@i", data)[0]
        elif kind == socket.IPV6_PKTINFO and len(data) >= 16:
            dst = address_text(bytes(data[:16]))
    return Datagram(bytes(payload), host.split("%", 1)[0], dst, hop_limit, family=6,
                    stamp=receive_stamp(ancdata))


class Vrrp6Socket(_RawSocket):
    """Raw VRRP socket on one device for IPv6 (RFC 5798 §5.1.2), to send and to receive."""

    family = 6
    ANCILLARY_BUFFER = socket.CMSG_SPACE(4) + socket.CMSG_SPACE(20) + STAMP_BUFFER  # hop limit,
    # in6_pktinfo, the receive stamp

    def __init__(self, device: str, source_ip: str) -> None:
        self.device = device
        self.source_ip = source_ip
        self.ifindex = ifindex = socket.if_nametoindex(device)
        self._pktinfo = in6_pktinfo(source_ip, ifindex)
        ip6 = socket.IPPROTO_IPV6
        self.sock = raw_vrrp_socket(socket.AF_INET6, device, [
            # RFC 5798 §5.1.2.2: adverts go to ff02::12
            (ip6, socket.IPV6_JOIN_GROUP, ipv6_mreq(VRRP_GROUP_V6, ifindex)),
            (ip6, socket.IPV6_MULTICAST_IF, ifindex),
            (ip6, socket.IPV6_MULTICAST_HOPS, VRRP_TTL),  # §5.1.2.3
            (ip6, socket.IPV6_MULTICAST_LOOP, 0),
            (ip6, IPV6_MULTICAST_ALL, 0),
            (ip6, socket.IPV6_TCLASS, TOS_INTERNETWORK_CONTROL),
            (ip6, socket.IPV6_RECVHOPLIMIT, 1),  # §7.1: check it is 255
            (ip6, socket.IPV6_RECVPKTINFO, 1),  # the destination, for the checksum
        ])

    def send(self, message: bytes) -> None:
        """`message` carries a checksum computed with `source_ip`: IPV6_PKTINFO makes it the source."""
        self.sock.sendmsg([message], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, self._pktinfo)], 0,
                          (VRRP_GROUP_V6, 0, 0, self.ifindex))

    def receive_all(self) -> Iterator[Datagram]:
        """Every datagram queued now (the socket is non-blocking); OSError on a socket error."""
        while True:
            try:
                payload, ancdata, _flags, address = self.sock.recvmsg(RECV_BUFFER, self.ANCILLARY_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            yield datagram_v6(payload, address, ancdata)


def link_local_addresses(device: str, exclude: frozenset[str] = frozenset(),
                         table: Path = PROC_IF_INET6) -> list[str]:
    """The link-local addresses of `device` usable as a source (DAD done, not failed: the
    kernel refuses a tentative source with EINVAL), less `exclude` (the VIPs, which a
    killed predecessor may have left), in the kernel's order."""
    try:
        lines = table.read_text().splitlines()
    except OSError:
        return []
    usable = []
    for line in lines:
        fields = line.split()
        if len(fields) != 6 or fields[5] != device:
            continue
        address = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
        flags = int(fields[4], 16)
        if address.is_link_local and not flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED) and str(address) not in exclude:
            usable.append(str(address))
    return usable


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def garp_frame(mac: str, ip: str) -> bytes:
    """Gratuitous ARP as keepalived sends it: a broadcast ARP request for `ip` from `ip`."""
    own = mac_bytes(mac)
    address = socket.inet_aton(ip)
    ethernet = BROADCAST_MAC + own + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)  # Ethernet, IPv4, request (RFC 826, RFC 5227 §3)
    return ethernet + arp + own + address + BROADCAST_MAC + address


def na_frame(mac: str, source: str, target: str) -> bytes:
    """An unsolicited Neighbor Advertisement for `target` from `source` (link-local) and `mac`:
    RFC 5798 §6.4.1 and §6.4.2: Router flag set, Solicited clear, Override set,
    the target link-layer address `mac`; to all-nodes ff02::1 (RFC 4861 §7.2.6), hop limit 255."""
    own = mac_bytes(mac)
    src = socket.inet_pton(socket.AF_INET6, source)
    dst = socket.inet_pton(socket.AF_INET6, ALL_NODES)
    option = struct.pack("!BB", ND_OPT_TARGET_LINKADDR, 1) + own  # length in units of 8 bytes
    body = struct.pack("!BBHI", ND_NEIGHBOR_ADVERT, 0, 0, (NA_ROUTER | NA_OVERRIDE) << 24)
    body += socket.inet_pton(socket.AF_INET6, target) + option
    pseudo = src + dst + struct.pack("!I3xB", len(body), IPPROTO_ICMPV6)  # RFC 8200 §8.1
    body = body[:2] + struct.pack("!H", internet_checksum(pseudo + body)) + body[4:]
    ipv6 = struct.pack("!IHBB", 6 << 28, len(body), IPPROTO_ICMPV6, VRRP_TTL) + src + dst
    ethernet = ipv6_multicast_mac(ALL_NODES) + own + struct.pack("!H", ETH_P_IPV6)
    return ethernet + ipv6 + body


def ipv6_multicast_mac(group: str) -> bytes:
    """33:33 and the group's last 32 bits (RFC 2464 §7)."""
    return b"\x33\x33" + socket.inet_pton(socket.AF_INET6, group)[-4:]


def device_mac(device: str) -> str:
    return (SYS_NET / device / "address").read_text().strip()


class ArpSocket:
    """gARPs and NAs on one device, through a send-only AF_PACKET socket (protocol 0: it
    receives nothing) that every device shares: each frame goes to its device by `sendto`.
    One per daemon, not one per device or instance: closing a packet socket waits for an
    RCU grace period (packet_release -> synchronize_net, 10-15 ms each here), which one
    per instance turned into seconds of exit at 255 VRIDs. `packet_socket()` makes it,
    its owner closes it."""

    def __init__(self, device: str, sock: socket.socket) -> None:
        self.device = device
        self.sock = sock

    def send_garp(self, ip: str, mac: str | None = None) -> None:
        self.sock.sendto(garp_frame(mac or device_mac(self.device), ip), (self.device, 0))

    def send_na(self, ip: str, source: str, mac: str | None = None) -> None:
        """An unsolicited NA for the IPv6 VIP `ip`, from the link-local `source`."""
        self.sock.sendto(na_frame(mac or device_mac(self.device), source, ip), (self.device, 0))


def packet_socket() -> socket.socket:
    """The send-only AF_PACKET socket `ArpSocket`s share."""
    return socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)


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
