"""FRR's vrrpd as the lab runs it: frr.conf for one router, and the macvlan each VRID
needs. Pure text, no I/O.

vrrpd (FRR 8.4) does not make the virtual router's interface itself: it looks, on the
interface its `vrrp VRID` lines sit on, for a macvlan carrying the virtual MAC
00:00:5e:00:01:VRID (IPv4; 00:00:5e:00:02:VRID for IPv6) with the VIPs on it, and
drives it (protodown off as Master, on as Backup). `macvlan_commands` makes it the
way VRRP-FACTS.md found it works here: bridge mode, `addrgenmode random` as a command
of its own (inline it fails), the MAC, the VIPs, up; IPv6 gets no generated link-local
but the interface's own (see `macvlan_commands`).
"""

from __future__ import annotations

from vrrplab.loader.model import Topology, VrrpInstance
from vrrplab.vrrp.packet import virtual_mac

# the sysctls vrrpd's documentation asks for on each router: the interface answers ARP
# only for its own addresses (so the parent never answers for the macvlan's VIP), and
# routes over a link that is down are ignored, in both families. A Backup's macvlan is
# in protodown (no carrier) yet still receives what the LAN's switch sends to the
# virtual MAC, which it does after any frame the stepping-down master sent from that MAC
# (zebra's final Router Advertisement, IPv6): without the IPv6 setting the Backup
# forwarded some of it back out of its protodown macvlan, where it was dropped
ROUTER_SYSCTLS = (("net.ipv4.conf.all.arp_ignore", "1"), ("net.ipv4.conf.all.arp_announce", "2"),
                  ("net.ipv4.conf.all.ignore_routes_with_linkdown", "1"),
                  ("net.ipv6.conf.all.ignore_routes_with_linkdown", "1"))


def macvlan_name(inst: VrrpInstance) -> str:
    """vrrp4-10: the family and the VRID (IFNAMSIZ allows it up to vrrp6-255)."""
    return f"vrrp{inst.family}-{inst.vrid}"


def advert_ms(advert_int: float) -> int:
    """vrrpd's advertisement-interval: milliseconds, in whole centiseconds (RFC 5798's
    unit), as keepalived and the bundled speaker round it."""
    return round(advert_int * 100) * 10


def render_frr_conf(topology: Topology, router: str) -> str:
    vrrp = topology.vrrp
    lines = [f"! frr.conf for {router}, rendered by vrrplab from {topology.path.name}",
             "! (vrrpd's part only; zebra reads the same file and finds nothing for it)",
             f"hostname {router}", "!"]
    interfaces: dict[str, list[VrrpInstance]] = {}
    for inst in vrrp.instances:
        interfaces.setdefault(inst.interface, []).append(inst)
    for interface, instances in interfaces.items():
        lines.append(f"interface {interface}")
        for inst in instances:
            vrid = inst.vrid
            lines += [f" vrrp {vrid} version {vrrp.version}",
                      f" vrrp {vrid} priority {vrrp.priority(router, inst.name)}",
                      f" vrrp {vrid} advertisement-interval {advert_ms(vrrp.advert_int)}"]
            if not vrrp.preempt:
                lines.append(f" no vrrp {vrid} preempt")
            word = "ipv6" if inst.family == 6 else "ip"
            lines += [f" vrrp {vrid} {word} {vip.ip}" for vip in inst.vips]
        lines.append("!")
    return "\n".join(lines) + "\n"


def macvlan_commands(topology: Topology, router: str) -> list[str]:
    """`ip` commands (one per line, for `ip -batch`) making each instance's macvlan on
    `router`, down: `macvlan_up_commands` bring them up.

    IPv6: vrrpd sends its adverts from the macvlan's first link-local address (vrrp.c,
    vrrp_bind_to_primary_connected). The kernel makes none here (`addrgenmode none`): the
    macvlan gets the link-local of the interface it sits on (fe80::10 on r1's eth0),
    added after the VIPs so that it comes before the link-local VIP fe80::1 in the
    kernel's list (same scope: newest first), as keepalived's virtual MAC interfaces do;
    the adverts then name their router as the topology does. Every address without DAD,
    usable at once."""
    node = topology.node(router)
    commands = []
    for inst in topology.vrrp.instances:
        name = macvlan_name(inst)
        genmode = "none" if inst.family == 6 else "random"
        commands += [f"link add {name} link {inst.interface} type macvlan mode bridge",
                     f"link set dev {name} addrgenmode {genmode}",
                     f"link set dev {name} address {virtual_mac(inst.vrid, inst.family)}"]
        nodad = " nodad" if inst.family == 6 else ""
        commands += [f"addr add {vip.ip}/{vip.network.prefixlen} dev {name}{nodad}"
                     for vip in inst.vips]
        link_local = node.interface(inst.interface).link_local if inst.family == 6 else None
        if link_local is not None:
            commands.append(f"addr add {link_local} dev {name} nodad")
    return commands


def macvlan_up_commands(topology: Topology) -> list[str]:
    return [f"link set dev {macvlan_name(inst)} up" for inst in topology.vrrp.instances]
