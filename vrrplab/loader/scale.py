"""A lab grown from its topology: more routers on its segments, more VRIDs on its LAN.

`vrrplab run failover-crash --routers 16 --vrids 64` and a scenario's `scale:` mapping
come here (benchmarks/scale.py and cost.py use them). Pure: a topology's raw
mapping (as read from its YAML) in, a grown raw mapping out; the loader then checks
the result as it checks any file, so a grown lab past a limit (loader.limits) is
refused with the usual `FILE: FIELD: expected ...` line, nothing started. What this
module refuses itself (fewer routers than the topology has, no room left) is said where
the number came from: `--routers 2: expected ...` for the command line, `FILE:
scale.routers: expected ..., got 2` for a scenario's `scale:` (Scale.refused). A scale
that adds nothing (--routers 2 on a two-router lab) is not said at all (`growth`).

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
from pathlib import Path
from typing import Any

from vrrplab.boundedio import Problem
from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.loader.limits import MAX_ROUTERS
from vrrplab.loader.yamlio import Checker
from vrrplab.vrrp.config import MIN_PRIORITY
from vrrplab.vrrp.packet import MAX_VRID, MIN_VRID

ROUTERS_RANGE = (2, MAX_ROUTERS)  # what --routers and scale.routers accept
VRIDS_RANGE = (1, MAX_VRID)  # what --vrids and scale.vrids accept
PRIORITY_STEP = 10  # spacing of the new routers' priorities, when the room allows
PARTS = ("routers", "vrids")


class Refused(InputError):
    """A scale this module cannot grow the lab to, said where its number came from."""


@dataclass(frozen=True)
class Scale:
    """How much to grow a lab; None leaves that part as the topology has it. `*_from`:
    the scenario file whose `scale:` gave that number; None: the command line."""

    routers: int | None = None
    vrids: int | None = None
    routers_from: Path | None = None
    vrids_from: Path | None = None

    def __bool__(self) -> bool:
        return self.routers is not None or self.vrids is not None

    def over(self, base: Scale | None) -> Scale:
        """These values where given, `base`'s elsewhere (the command line over the YAML)."""
        if base is None:
            return self
        return Scale(**{key: getattr(self if getattr(self, part) is not None else base, key)
                        for part in PARTS for key in (part, f"{part}_from")})

    def only(self, parts: set[str]) -> Scale:
        """This scale with only `parts` kept (their sources with them)."""
        return Scale(**{key: getattr(self, key) for part in PARTS if part in parts
                        for key in (part, f"{part}_from")})

    def said(self) -> str:
        """As the command line spells it: '--routers 16 --vrids 4'."""
        parts = [f"--routers {self.routers}"] if self.routers is not None else []
        return " ".join(parts + ([f"--vrids {self.vrids}"] if self.vrids is not None else []))

    def shown(self) -> str:
        """Each part where it came from: '--routers 16' (command line), 'scale.vrids 4'
        (the scenario's scale:), for the grown topology's problems."""
        return ", ".join(f"{'scale.' if getattr(self, f'{part}_from') else '--'}{part} "
                         f"{getattr(self, part)}" for part in PARTS
                         if getattr(self, part) is not None)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in (("routers", self.routers), ("vrids", self.vrids))
                if v is not None}

    def refused(self, part: str, expected: Message) -> Refused:
        """`--routers 2: expected ...` (the command line) or `FILE: scale.routers:
        expected ..., got 2` (a scenario's scale:): exit 2, nothing started."""
        value, source = getattr(self, part), getattr(self, f"{part}_from")
        if source is None:
            return Refused(Problem(N_("{option} {value}: {problem}"), option=f"--{part}",
                                   value=value, problem=Message(N_("expected {expected}"),
                                                                expected=expected)))
        c = Checker(source)
        c.fail(f"scale.{part}", expected, value)
        return Refused(c.problems)


def grown(top: Any, scale: Scale) -> Any:
    """The topology's raw mapping grown to `scale`; what is not a mapping is left to the
    loader, which reports it. Refused: what cannot be grown, said as `scale` came."""
    if not scale or not isinstance(top, dict):
        return top
    grown_top = copy.deepcopy(top)
    try:
        if scale.routers is not None:
            _add_routers(grown_top, scale.routers)
        if scale.vrids is not None:
            _add_vrids(grown_top, scale.vrids)
    except (TypeError, AttributeError, KeyError, _Malformed):
        return top  # a malformed file: the loader names what is wrong with it
    except _Refusal as refusal:
        raise scale.refused(refusal.part, refusal.expected) from None
    return grown_top


def growth(top: Any, scale: Scale) -> Scale:
    """The parts of `scale` that add to `top`: --routers 2 on a two-router lab adds
    nothing, and nothing is said of it (results.json scale, the summary)."""
    try:
        routers = _section(top, "routers")
        lan = _lan(top)
        adds = {"routers": scale.routers is not None and scale.routers > len(routers),
                "vrids": scale.vrids is not None and lan is not None
                and scale.vrids > len(lan[2])}
    except (TypeError, AttributeError, KeyError, _Malformed):
        return Scale()
    return scale.only({part for part, added in adds.items() if added})


class _Refusal(Exception):
    def __init__(self, part: str, expected: str, **values: Any):
        super().__init__(expected)
        self.part, self.expected = part, Message(expected, **values)


class _Malformed(Exception):
    """Left to the loader, which names the problem in the file's own terms."""


def _refuse(part: str, expected: str, **values: Any) -> None:
    raise _Refusal(part, expected, **values)


# ---- routers ---------------------------------------------------------------------------

def _add_routers(top: dict, count: int) -> None:
    routers, vrrp = top.get("routers"), top.get("vrrp")
    if not isinstance(routers, dict) or not routers or not isinstance(vrrp, dict) \
            or not isinstance(vrrp.get("routers"), dict):
        return  # the loader says what is wrong with the file
    if count < len(routers):
        _refuse("routers", N_("at least the topology's {have} routers"), have=len(routers))
    template = routers[list(routers)[-1]]
    names = _new_names(list(routers), set(routers) | set(_section(top, "hosts")),
                       count - len(routers))
    priorities = _new_priorities(_declared_priorities(vrrp), len(routers), len(names))
    taken = _taken_addresses(top)
    for index, (name, priority) in enumerate(zip(names, priorities), start=len(routers) + 1):
        routers[name] = {"interfaces": {
            ifname: {**spec, "address": _address_for(top, spec, index, name, taken)}
            for ifname, spec in _section(template, "interfaces").items()}}
        vrrp["routers"][name] = {"priority": priority, "state": "BACKUP"}


def _section(spec: Any, key: str) -> dict:
    value = spec.get(key) if isinstance(spec, dict) else None
    return value if isinstance(value, dict) else {}


def _new_names(routers: list[str], taken: set[str], count: int) -> list[str]:
    """Named as the last router is, numbered on after the highest: r3, r4 ... after r1, r2;
    gw3 after gw1, gw2; edge3 after alpha, edge. Never a node's name, a segment bridge's
    (s1) or past a node name's length (the stem shortened: routeu10 after routeur9)."""
    from vrrplab.loader.topology import BRIDGE_NAME, NODE_NAME, NODE_NAME_LENGTH  # (it imports this module)
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


def _new_priorities(declared: list[int], have: int, count: int) -> list[int]:
    """Distinct, below every declared one, evenly spaced down towards 1."""
    top = min(declared, default=101) - 1
    room = top - MIN_PRIORITY + 1
    if count > room:
        _refuse("routers", N_("at most {most} routers (each one added needs its own priority "
                              "below {lowest}, the lowest given)"),
                most=have + max(room, 0), lowest=top + 1)
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


def _address_for(top: dict, spec: Any, index: int, name: str, taken: set) -> Any:
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
    _refuse("routers", N_("at most {most} routers ({network} has no free address for {name})"),
            most=index - 1, network=str(network), name=name)


# ---- VRIDs -----------------------------------------------------------------------------

def _lan(top: dict) -> tuple[str, dict, list[str], str | None] | None:
    """The first instance (its name, its spec), the instances on its segment, the
    segment; None when the file has none to copy (the loader says why)."""
    instances = _section(_section(top, "vrrp"), "instances")
    if not instances:
        return None
    name, template = next(iter(instances.items()))
    if not isinstance(template, dict) or not isinstance(template.get("vrid"), int):
        return None
    segment = _segment_of(top, template.get("interface"))
    on_segment = [n for n, i in instances.items() if isinstance(i, dict)
                  and _segment_of(top, i.get("interface")) == segment]
    return name, template, on_segment, segment


def _add_vrids(top: dict, count: int) -> None:
    lan = _lan(top)
    if lan is None:
        return  # the loader says what is wrong with the file
    name, template, on_segment, segment = lan
    if count < len(on_segment):
        _refuse("vrids", N_("at least the {have} instances the topology has on segment "
                            "{segment}"), have=len(on_segment), segment=segment)
    vrids = _new_vrids(top, segment, template["vrid"], len(on_segment),
                       count - len(on_segment))
    network = _widened_for(top, segment, len(on_segment), len(vrids))
    taken = _taken_addresses(top)
    instances = _section(_section(top, "vrrp"), "instances")
    for added, vrid in enumerate(vrids):
        spec = {k: v for k, v in template.items() if k != "vips"}
        vips = _vips_for(network, vrid, taken)
        if vips is None:
            _refuse("vrids", VIP_ROOM, most=len(on_segment) + added, network=str(network))
        instances[f"{name}_{vrid}"] = {**spec, "vrid": vrid, "vips": vips}


VIP_ROOM = N_("at most {most} VRIDs (the VIPs of more do not fit in {network})")


def _segment_of(top: dict, ifname: Any) -> str | None:
    """The segment the routers' interface `ifname` is on (the first router that has it)."""
    for router in _section(top, "routers").values():
        spec = _section(router, "interfaces").get(ifname)
        if isinstance(spec, dict):
            return spec.get("segment")
    return None


def _new_vrids(top: dict, segment: str | None, after: int, have: int,
               count: int) -> list[int]:
    """After `after`, wrapping: VRIDs no instance uses first, then those used elsewhere."""
    used_here, used_elsewhere = set(), set()
    for instance in _section(_section(top, "vrrp"), "instances").values():
        if isinstance(instance, dict) and isinstance(instance.get("vrid"), int):
            here = _segment_of(top, instance.get("interface")) == segment
            (used_here if here else used_elsewhere).add(instance["vrid"])
    free = [v for v in range(MIN_VRID, MAX_VRID + 1) if v not in used_here]
    free.sort(key=lambda v: (v in used_elsewhere, (v - after) % (MAX_VRID + 1)))
    if count > len(free):
        _refuse("vrids", N_("at most {most} VRIDs on segment {segment} (RFC 5798: VRID "
                            "1-255, each once on a segment)"), most=have + len(free),
                segment=segment)
    return free[:count]


def _widened_for(top: dict, segment: str | None, have: int, count: int):
    """The segment's subnet, widened (and every address of it following) until it has
    `count` free addresses for new VIPs; an IPv6 subnet is not widened (a /64 has room)."""
    spec = _section(_section(top, "segments"), segment)
    try:
        network = ip_network(spec.get("subnet"))
    except (TypeError, ValueError):
        raise _Malformed() from None  # the loader names the segment's subnet
    wider = network
    while (free := _free_hosts(wider, _taken_addresses(top))) < count:
        if wider.prefixlen <= 16 or isinstance(wider, IPv6Network):
            _refuse("vrids", VIP_ROOM, most=have + max(free, 0), network=str(wider))
        wider = wider.supernet()
    if wider != network:
        _renumber(top, network, wider)
        spec["subnet"] = str(wider)
    return wider


def _free_hosts(network, taken: set) -> int:
    """Addresses network.hosts() gives that no one has (IPv6 has no broadcast)."""
    usable = network.num_addresses - (1 if network.version == 6 else 2)
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


def _vips_for(network, vrid: int, taken: set) -> list[str] | None:
    """The next free address of the segment (IPv6: a link-local first, RFC 5798 5.2.9);
    None: there is none."""
    host = next((a for a in network.hosts() if a not in taken), None)
    if host is None:
        return None
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
