"""FRR's vrrpd as the lab runs it: frr.conf for one router, and the macvlan each VRID
needs. Pure text, no I/O.

vrrpd (FRR 8.4) does not make the virtual router's interface itself: it looks, on the
interface its `vrrp VRID` lines sit on, for a macvlan carrying the virtual MAC
00:00:5e:00:01:VRID (IPv4; 00:00:5e:00:02:VRID for IPv6) with the VIPs on it, and
drives it (protodown off as Master, on as Backup). `macvlan_commands` makes it the
way VRRP-FACTS.md found it works here: bridge mode, `addrgenmode random` as a command
of its own (inline it fails), the MAC, the VIPs, up.
"""

from __future__ import annotations

from vrrplab.loader.model import Topology, VrrpInstance
from vrrplab.vrrp.packet import virtual_mac

# the sysctls vrrpd's documentation asks for on each router: the interface answers ARP
# only for its own addresses (so the parent never answers for the macvlan's VIP), and
# routes over a link that is down are ignored
ROUTER_SYSCTLS = (("net.ipv4.conf.all.arp_ignore", "1"), ("net.ipv4.conf.all.arp_announce", "2"),
                  ("net.ipv4.conf.all.ignore_routes_with_linkdown", "1"))


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


def macvlan_commands(topology: Topology) -> list[str]:
    """`ip` commands (one per line, for `ip -batch`) making each instance's macvlan, down:
    `macvlan_sysctls` go between them and `macvlan_up_commands`."""
    commands = []
    for inst in topology.vrrp.instances:
        name = macvlan_name(inst)
        commands += [f"link add {name} link {inst.interface} type macvlan mode bridge",
                     f"link set dev {name} addrgenmode random",
                     f"link set dev {name} address {virtual_mac(inst.vrid, inst.family)}"]
        nodad = " nodad" if inst.family == 6 else ""
        commands += [f"addr add {vip.ip}/{vip.network.prefixlen} dev {name}{nodad}"
                     for vip in inst.vips]
    return commands


def macvlan_sysctls(topology: Topology) -> list[tuple[str, str]]:
    """IPv6: no duplicate address detection on the macvlans, so that the link-local address
    vrrpd binds its adverts to is never left tentative by a macvlan in protodown. Not
    enough: IPv6 on FRR is still skipped (features.py says what vrrpd logs)."""
    return [(f"net.ipv6.conf.{macvlan_name(inst)}.accept_dad", "0")
            for inst in topology.vrrp.instances if inst.family == 6]


def macvlan_up_commands(topology: Topology) -> list[str]:
    return [f"link set dev {macvlan_name(inst)} up" for inst in topology.vrrp.instances]
