"""A lab grown from its topology: more routers on its segments, more VRIDs on its LAN.

`vrrplab run failover-crash --routers 16 --vrids 64` and a scenario's `scale:` mapping
come here (benchmarks/scale.py and cost.py use them). Pure: a topology's raw
mapping (as read from its YAML) in, a grown raw mapping out; the loader then checks
the result as it checks any file, so a grown lab past a limit (loader.limits) is
refused with the usual `FILE: FIELD: expected ...` line, nothing started.

Routers: r3 ... rN are copies of the topology's last router (r2 in the textbook), named
as it is and numbered on (gw3 after gw1, gw2; never a name a node has):
the same interfaces on the same segments, at host number 10 x i of each segment's
subnet, as the textbook puts r1 at .10 and r2 at .20 (IPv6: ::30, ::40 ..., read
as the textbook reads ::10), or the next free number when a node has it (r10: .101
beside the client's .100). Each is a BACKUP whose priority is below every declared
one, all distinct and evenly spaced, so the order of succession is r1, r2, r3 ...
The template's own extras (track scripts, per-instance priorities) are not copied.

VRIDs: the topology's first instance (the client's gateway in every catalogue lab)
stays; N - 1 more on its interface, with the VRIDs after it that no instance uses
(then those only used on another segment), each with the next free address of the
segment as its VIP (IPv6: a link-local fe80::1:VRID first, the VRID's decimal digits as
the group's text, as the textbook reads ::10: VRID 16 is fe80::1:16; then a global one). When
the subnet has too few free addresses (255 VRIDs on a /24 that also holds the
nodes), the segment's prefix is widened just enough, and every address, VIP and
route of that subnet follows. They share the template's settings and the
topology's sync group: a crash moves all of them together.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from ipaddress import IPv6Network, ip_address, ip_interface, ip_network
from typing import Any

from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.loader.limits import MAX_ROUTERS
from vrrplab.vrrp.config import MIN_PRIORITY
from vrrplab.vrrp.packet import MAX_VRID, MIN_VRID

ROUTERS_RANGE = (2, MAX_ROUTERS)  # what --routers and scale.routers accept
VRIDS_RANGE = (1, MAX_VRID)  # what --vrids and scale.vrids accept
PRIORITY_STEP = 10  # spacing of the new routers' priorities, when the room allows
NODE_NAME_LENGTH = 8  # loader.topology.NODE_NAME's longest


@dataclass(frozen=True)
class Scale:
    """How much to grow a lab; None leaves that part as the topology has it."""

    routers: int | None = None
    vrids: int | None = None

    def __bool__(self) -> bool:
        return self.routers is not None or self.vrids is not None

    def over(self, base: Scale | None) -> Scale:
        """These values where given, `base`'s elsewhere (the command line over the YAML)."""
        if base is None:
            return self
        return Scale(self.routers if self.routers is not None else base.routers,
                     self.vrids if self.vrids is not None else base.vrids)

    def said(self) -> str:
        """As the command line spells it: '--routers 16 --vrids 4'."""
        parts = [f"--routers {self.routers}"] if self.routers is not None else []
        return " ".join(parts + ([f"--vrids {self.vrids}"] if self.vrids is not None else []))

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in (("routers", self.routers), ("vrids", self.vrids))
                if v is not None}


def grown(top: Any, scale: Scale) -> Any:
    """The topology's raw mapping grown to `scale`; what is not a mapping is left to the
    loader, which reports it."""
    if not scale or not isinstance(top, dict):
        return top
    grown_top = copy.deepcopy(top)
    try:
        if scale.routers is not None:
            _add_routers(grown_top, scale.routers)
        if scale.vrids is not None:
            _add_vrids(grown_top, scale.vrids)
    except (TypeError, AttributeError, KeyError):
        return top  # a malformed file: the loader names what is wrong with it
    return grown_top


def _refuse(expected: str, **values: Any) -> None:
    raise InputError(Message(expected, **values))


# ---- routers ---------------------------------------------------------------------------

def _add_routers(top: dict, count: int) -> None:
    routers, vrrp = top.get("routers"), top.get("vrrp")
    if not isinstance(routers, dict) or not routers or not isinstance(vrrp, dict) \
            or not isinstance(vrrp.get("routers"), dict):
        return  # the loader says what is wrong with the file
    if count < len(routers):
        _refuse(N_("--routers {count}: at least the topology's {have} routers"),
                count=count, have=len(routers))
    template = routers[list(routers)[-1]]
    names = _new_names(list(routers), set(routers) | set(_section(top, "hosts")),
                       count - len(routers))
    priorities = _new_priorities(_declared_priorities(vrrp), len(names))
    taken = _taken_addresses(top)
    for index, (name, priority) in enumerate(zip(names, priorities), start=len(routers) + 1):
        routers[name] = {"interfaces": {
            ifname: {**spec, "address": _address_for(top, spec, index, taken)}
            for ifname, spec in _section(template, "interfaces").items()}}
        vrrp["routers"][name] = {"priority": priority, "state": "BACKUP"}


def _section(spec: Any, key: str) -> dict:
    value = spec.get(key) if isinstance(spec, dict) else None
    return value if isinstance(value, dict) else {}


def _new_names(routers: list[str], taken: set[str], count: int) -> list[str]:
    """Named as the last router is, numbered on after the highest: r3, r4 ... after r1, r2;
    gw3 after gw1, gw2; edge3 after alpha, edge. Never a node's name, a segment bridge's
    (s1) or past a node name's length (the stem shortened: routeu10 after routeur9)."""
    from vrrplab.loader.topology import BRIDGE_NAME, NODE_NAME  # (it imports this module)
    stem = re.sub(r"[0-9]+$", "", routers[-1])
    if not NODE_NAME.fullmatch(f"{stem[:NODE_NAME_LENGTH - 1]}1") \
            or BRIDGE_NAME.fullmatch(f"{stem}1"):
        stem = "r"  # a name the loader refuses anyway, or one only bridges have (s1)
    numbers = [int(m.group(1)) for n in routers
               if (m := re.fullmatch(re.escape(stem) + r"([0-9]+)", n))]
    names: list[str] = []
    number = max(numbers, default=len(routers))
    while len(names) < count:
        number += 1
        digits = str(number)
        name = stem[:NODE_NAME_LENGTH - len(digits)] + digits
        if NODE_NAME.fullmatch(name) and not BRIDGE_NAME.fullmatch(name) and name not in taken:
            names.append(name)
            taken.add(name)
    return names


def _declared_priorities(vrrp: dict) -> list[int]:
    found = [spec.get("priority") for spec in vrrp["routers"].values() if isinstance(spec, dict)]
    for instance in _section(vrrp, "instances").values():
        found += list(_section(instance, "priorities").values())
    return [p for p in found if isinstance(p, int) and not isinstance(p, bool)]


def _new_priorities(declared: list[int], count: int) -> list[int]:
    """Distinct, below every declared one, evenly spaced down towards 1."""
    top = min(declared, default=101) - 1
    room = top - MIN_PRIORITY + 1
    if count > room:
        _refuse(N_("--routers: room for {count} more priorities below {lowest} "
                   "(there is room for {room})"), count=count, lowest=top + 1, room=max(room, 0))
    step = max(1, min(PRIORITY_STEP, room // max(count, 1)))
    return [top + 1 - step * (k + 1) for k in range(count)]


def _taken_addresses(top: dict) -> set:
    """Every address a node or a VIP has: a new one must be none of them."""
    taken = set()
    for section in ("routers", "hosts"):
        for node in _section(top, section).values():
            for spec in _section(node, "interfaces").values():
                taken |= {_ip(spec.get(k)) for k in ("address", "link_local")
                          if isinstance(spec, dict)}
    for instance in _section(_section(top, "vrrp"), "instances").values():
        vips = instance.get("vips") if isinstance(instance, dict) else None
        taken |= {_ip(v) for v in vips} if isinstance(vips, list) else set()
    taken.discard(None)
    return taken


def _ip(value: Any):
    try:
        return ip_interface(value).ip if isinstance(value, str) else None
    except ValueError:
        return None


def _host_number(network, index: int) -> int:
    """Router i at 10 x i, read in the family's digits: .30 in IPv4, ::30 in IPv6."""
    return int(str(10 * index), 16) if network.version == 6 else 10 * index


def _address_for(top: dict, spec: Any, index: int, taken: set) -> Any:
    """Router `index`'s address on the segment of the template interface `spec`."""
    segment = _section(_section(top, "segments"), spec.get("segment") if isinstance(
        spec, dict) else None)
    template = spec.get("address") if isinstance(spec, dict) else None
    try:
        network = ip_network(segment.get("subnet"))
        prefix = ip_interface(template).network.prefixlen
    except (TypeError, ValueError):
        return template  # the loader reports the template's own problem
    for number in range(_host_number(network, index), network.num_addresses - 1):
        candidate = network[number]
        if candidate not in taken:
            taken.add(candidate)
            return f"{candidate}/{prefix}"
    _refuse(N_("--routers: a free address for r{index} in {network}"), index=index,
            network=str(network))


# ---- VRIDs -----------------------------------------------------------------------------

def _add_vrids(top: dict, count: int) -> None:
    vrrp = _section(top, "vrrp")
    instances = _section(vrrp, "instances")
    if not instances:
        return  # the loader says what is wrong with the file
    name, template = next(iter(instances.items()))
    if not isinstance(template, dict) or not isinstance(template.get("vrid"), int):
        return
    segment = _segment_of(top, template.get("interface"))
    on_segment = [n for n, i in instances.items() if isinstance(i, dict)
                  and _segment_of(top, i.get("interface")) == segment]
    if count < len(on_segment):
        _refuse(N_("--vrids {count}: at least the {have} instances the topology has on "
                   "segment {segment}"), count=count, have=len(on_segment), segment=segment)
    vrids = _new_vrids(top, segment, template["vrid"], count - len(on_segment))
    network = _widened_for(top, segment, len(vrids))
    taken = _taken_addresses(top)
    for vrid in vrids:
        spec = {k: v for k, v in template.items() if k != "vips"}
        instances[f"{name}_{vrid}"] = {**spec, "vrid": vrid,
                                       "vips": _vips_for(network, vrid, taken)}


def _segment_of(top: dict, ifname: Any) -> str | None:
    """The segment the routers' interface `ifname` is on (the first router that has it)."""
    for router in _section(top, "routers").values():
        spec = _section(router, "interfaces").get(ifname)
        if isinstance(spec, dict):
            return spec.get("segment")
    return None


def _new_vrids(top: dict, segment: str | None, after: int, count: int) -> list[int]:
    """After `after`, wrapping: VRIDs no instance uses first, then those used elsewhere."""
    used_here, used_elsewhere = set(), set()
    for instance in _section(_section(top, "vrrp"), "instances").values():
        if isinstance(instance, dict) and isinstance(instance.get("vrid"), int):
            here = _segment_of(top, instance.get("interface")) == segment
            (used_here if here else used_elsewhere).add(instance["vrid"])
    free = [v for v in range(MIN_VRID, MAX_VRID + 1) if v not in used_here]
    free.sort(key=lambda v: (v in used_elsewhere, (v - after) % (MAX_VRID + 1)))
    if count > len(free):
        _refuse(N_("--vrids: at most {most} VRIDs on one segment (RFC 5798: VRID 1-255)"),
                most=MAX_VRID)
    return free[:count]


def _widened_for(top: dict, segment: str | None, count: int):
    """The segment's subnet, widened (and every address of it following) until it has
    `count` free addresses for new VIPs; IPv6's /64 always has them."""
    spec = _section(_section(top, "segments"), segment)
    try:
        network = ip_network(spec.get("subnet"))
    except (TypeError, ValueError):
        _refuse(N_("--vrids: a topology whose segment {segment} has a subnet"), segment=segment)
    if isinstance(network, IPv6Network):
        return network
    wider = network
    while _free_hosts(wider, _taken_addresses(top)) < count:
        if wider.prefixlen <= 16:
            _refuse(N_("--vrids: room for {count} VIPs in {network}"), count=count,
                    network=str(network))
        wider = wider.supernet()
    if wider != network:
        _renumber(top, network, wider)
        spec["subnet"] = str(wider)
    return wider


def _free_hosts(network, taken: set) -> int:
    usable = network.num_addresses - 2
    return usable - sum(1 for a in taken if a in network)


def _renumber(top: dict, old, new) -> None:
    """Every address of `old` gets `new`'s prefix; routes to `old` go to `new`."""
    def moved(value: Any) -> Any:
        try:
            address = ip_interface(value)
        except (TypeError, ValueError):
            return value
        return f"{address.ip}/{new.prefixlen}" if address.ip in old else value

    for section in ("routers", "hosts"):
        for node in _section(top, section).values():
            for spec in _section(node, "interfaces").values():
                if isinstance(spec, dict) and "address" in spec:
                    spec["address"] = moved(spec["address"])
            for route in node.get("routes", []) if isinstance(node, dict) else []:
                if isinstance(route, dict) and _same_network(route.get("to"), old):
                    route["to"] = str(new)
    for instance in _section(_section(top, "vrrp"), "instances").values():
        if isinstance(instance, dict) and isinstance(instance.get("vips"), list):
            instance["vips"] = [moved(v) for v in instance["vips"]]


def _same_network(value: Any, network) -> bool:
    try:
        return ip_network(value) == network
    except (TypeError, ValueError):
        return False


def _vips_for(network, vrid: int, taken: set) -> list[str]:
    """The next free address of the segment (IPv6: a link-local first, RFC 5798 5.2.9)."""
    host = next((a for a in network.hosts() if a not in taken), None)
    if host is None:
        _refuse(N_("--vrids: room for {count} VIPs in {network}"), count=1,
                network=str(network))
    taken.add(host)
    vips = [f"{host}/{network.prefixlen}"]
    if network.version == 6:
        vips.insert(0, f"{_link_local_vip(vrid)}/64")
    return vips


def _link_local_vip(vrid: int):
    """fe80::1:VRID, the VRID's decimal digits as the last group's text, as the textbook
    writes ::10 for .10: VRID 16 is fe80::1:16 (fe80::1:10 in hex read as VRID 10).
    VRIDs 1-255 are at most three digits, so each is a valid, distinct group."""
    return ip_address(f"fe80::1:{vrid:d}")
