"""Topologies: segments, nodes (interfaces, gateways, routes) and the VRRP section.

`load_topology` checks the VRRP section's instances, VIPs, per-instance
priorities, routers, track scripts, passwords and IPv6 rules, and merges a
scenario's `vrrp` overrides in first, then grows the lab (loader.scale), then applies
`--vrrp-version`.
"""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_interface, ip_network
from pathlib import Path
from typing import Any

from vrrplab.i18n import N_, Message
from vrrplab.linux import IFNAMSIZ
from vrrplab.loader import limits
from vrrplab.loader.scale import Scale, growth, grown
from vrrplab.loader.model import (
    LINK_LOCAL,
    Address,
    Interface,
    InterfaceAddress,
    Network,
    Node,
    Route,
    Topology,
    TrackScript,
    Vrrp,
    VrrpInstance,
    VrrpRouter,
)
from vrrplab.loader.yamlio import LOWER_NAME, LOWER_NAME_TEXT, ONE_LINE, Checker, _given
from vrrplab.vrrp.config import (
    MAX_BACKUP_PRIORITY,
    MAX_VRID,
    MIN_PRIORITY,
    MIN_VRID,
    OWNER_PRIORITY,
)
from vrrplab.vrrp.timers import INTERVAL_FIELDS

NODE_NAME_LENGTH = 8  # short: Mininet builds "c1-eth0" from it
NODE_NAME = re.compile(rf"^[a-z][a-z0-9]{{0,{NODE_NAME_LENGTH - 1}}}$")
BRIDGE_NAME = re.compile(r"^s[0-9]+$")  # Mininet's name for the segments' bridges (lab/network.py)
IFNAME = re.compile(r"^[a-z][a-z0-9]*$")
RESERVED_IFNAMES = ("lo",)  # every namespace has its own loopback already
SEGMENT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CONF_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")  # names written into keepalived.conf
CONF_NAME_TEXT = N_("a name of letters, digits and _ starting with a letter (at most 32 "
                    "characters)")
# keepalived reads the password as one word: no blanks, quotes, braces or comment marks
AUTH_PASS = re.compile(r"^[A-Za-z0-9$%&()*+,./:;<=>?@\[\]^_`|~-]+$")
HOST_ROLES = ("client", "upstream", "attacker")
PASS_BYTES = 8  # what VRRPv2's simple-text password carries on the wire


def _usable(address: Address, network: Network) -> bool:
    """Not the network's own address nor its broadcast (both fine in a /31 or /32).

    IPv6 has no broadcast; its network address is the subnet-router anycast.
    """
    if network.version == 6:
        return network.prefixlen >= 127 or address != network.network_address
    return network.prefixlen >= 31 or address not in (network.network_address,
                                                      network.broadcast_address)


def load_topology(path: Path, vrrp_overrides: dict | None = None,
                  overridden_by: Path | None = None, allow: frozenset = frozenset(),
                  check_auth: bool = True, force_version: int | None = None,
                  scale: Scale | None = None) -> Topology:
    """Load a topology; a scenario may override parts of its `vrrp` section.

    `allow` lets a scenario that is about a mistake make it (e.g. long_auth_pass).
    `check_auth=False` leaves the routers' password agreement to the scenario,
    which may expect the split brain a disagreement causes. `scale` grows the lab
    (loader.scale) after the overrides are merged, before anything is checked.
    """
    # the package's names, at call time: no import cycle, and tests replace loader.read_yaml
    from vrrplab import loader
    data = loader.read_yaml(path)
    if overridden_by is None and isinstance(data, dict) and "topology" in data \
            and "segments" not in data and "steps" not in data:
        loader.load_scenario(path)  # a scenario that lost its steps: say so in a scenario's terms
    c = Checker(path if overridden_by is None else
                Message(N_("{topology} (+ vrrp from {scenario})"), topology=str(path),
                        scenario=str(overridden_by)))
    if vrrp_overrides and isinstance(data, dict) and isinstance(data.get("vrrp"), dict):
        data = {**data, "vrrp": deep_merge(data["vrrp"], vrrp_overrides)}
    added = growth(data, scale) if scale else Scale()
    if scale:  # after the scenario's overrides: the added routers' priorities go below its
        data = grown(data, scale)
    if added:
        c = Checker(Message(N_("{topology} (+ {scale})"), topology=c.path if isinstance(c.path, Message) else str(c.path),
                            scale=added.shown()))
    if force_version and isinstance(data, dict) and isinstance(data.get("vrrp"), dict):
        data = {**data, "vrrp": _with_version(data["vrrp"], force_version)}
    top = c.mapping(data, "", required=("name", "segments", "routers", "vrrp"),
                    optional=("description", "hosts"), what=N_("a vrrplab topology"))
    if not isinstance(data, dict):
        c.raise_if_any()  # nothing more to say about a file that is not a mapping
    _check_size(c, top)
    name = c.string(top.get("name"), "name", LOWER_NAME, LOWER_NAME_TEXT)
    description = _given(top, "description", "")
    c.string(description, "description", ONE_LINE, N_("a one-line text"))
    segments = _segments(c, top["segments"]) if "segments" in top else None
    declared: dict[str, dict[str, str | None] | None] = {}
    nodes = _nodes(c, top.get("routers", {}), "routers", segments, declared, router=True)
    nodes += _nodes(c, _given(top, "hosts", {}), "hosts", segments, declared, router=False)
    routers = [n.name for n in nodes if n.role == "router"]
    if isinstance(top.get("routers"), dict) and len(routers) < 2:
        c.fail("routers", N_("two routers or more (VRRP needs a master and a backup)"), routers)
    _check_unique_addresses(c, nodes)
    vrrp = _vrrp(c, top["vrrp"], nodes, segments or {}, declared, allow) if "vrrp" in top else None
    if check_auth and vrrp:
        _check_auth_agreement(c, vrrp, None)
    if (vrrp is None or segments is None or name is None) and not c.problems:
        # never: each is reported
        c.fail("", N_("a topology with name, segments, routers and vrrp"))
    c.raise_if_any()
    assert vrrp is not None and segments is not None and name is not None  # for type checkers
    return Topology(name=name, description=description, path=path,
                    segments={k: v for k, v in segments.items() if v}, nodes=tuple(nodes),
                    vrrp=vrrp, grown=added.as_dict())


QUANTITIES = {"nodes": N_("nodes"), "routers": N_("routers"), "segments": N_("segments"),
              "instances": N_("VRRP instances"), "links": N_("links (interfaces)")}


def _check_size(c: Checker, top: dict) -> None:
    """A lab past `limits` is refused at once: its thousands of nodes are not checked one
    by one, and nothing is built."""
    for quantity, (field, count) in limits.counts(top).items():
        limit = limits.LIMITS[quantity]
        if count > limit:
            c.say(field, Message(N_("expected at most {limit} {quantity} (vrrplab's lab size "
                                    "limit), got {count}"), limit=limit,
                                 quantity=Message(QUANTITIES[quantity]), count=count))
    c.raise_if_any()


def _segments(c: Checker, raw: Any) -> dict[str, Network | None] | None:
    """Segment name -> subnet; None for a segment already reported as wrong.

    None for the whole section when it is not a mapping: nothing can be said then
    about what refers to its segments.
    """
    if not isinstance(raw, dict):
        c.fail("segments", N_("a mapping of names to settings"), raw)
        return None
    segments: dict[str, Network | None] = {}
    for name, spec in c.table(raw, "segments", SEGMENT_NAME, N_("a segment name: a lowercase "
                              "letter then letters, digits, - or _")).items():
        spec = c.mapping(spec, f"segments.{name}", required=("subnet",))
        subnet = c.parse(lambda s: ip_network(s, strict=True), spec.get("subnet"),
                         f"segments.{name}.subnet", N_("an IPv4 network such as "
                                                       "192.168.1.0/24 (or IPv6, such as "
                                                       "2001:db8:1::/64)"))
        if subnet is not None and subnet.version == 6 and subnet.is_link_local:
            c.fail(f"segments.{name}.subnet", N_("a global IPv6 network (the lab gives every "
                                                 "interface its fe80:: address itself)"),
                   str(subnet))
            subnet = None
        elif subnet is not None and subnet.version == 6 and subnet.prefixlen < 64:
            c.fail(f"segments.{name}.subnet", N_("an IPv6 network of /64 or longer (each "
                                                 "interface's link-local address is fe80:: + "
                                                 "its last 64 bits)"), str(subnet))
            subnet = None
        other = next((n for n, s in segments.items() if s and subnet
                      and s.version == subnet.version and s.overlaps(subnet)), None)
        if other is not None:
            c.fail(f"segments.{name}.subnet", Message(N_("a network apart from segment "
                                                         "{segment}'s {network}"), segment=other,
                                                      network=str(segments[other])), str(subnet))
            subnet = None
        segments[name] = subnet
    return segments


def _nodes(c: Checker, raw: Any, section: str, segments: dict | None,
           declared: dict, router: bool) -> list[Node]:
    """The nodes of one section; `declared` gets each one's interface names and segments."""
    nodes = []
    for name, spec in c.table(raw, section, NODE_NAME, N_("a node name: a lowercase letter "
                              "then up to 7 lowercase letters or digits")).items():
        field = f"{section}.{name}"
        if BRIDGE_NAME.fullmatch(name):
            c.fail(field, N_("a node name other than s1, s2... (the lab's bridges have those)"),
                   name)
        if router:
            spec = c.mapping(spec, field, required=("interfaces",))
            role = "router"
        else:
            spec = c.mapping(spec, field, required=("role", "interfaces"),
                             optional=("gateway", "routes", "answers_for"))
            role = c.choice(spec.get("role"), f"{field}.role", HOST_ROLES)
        names: dict[str, str | None] | None = None
        interfaces: list[Interface] = []
        if "interfaces" in spec:
            interfaces, names = _interfaces(c, spec["interfaces"], field, name, segments)
        if name not in declared:
            declared[name] = names
        # with an interface already reported, its subnet is unknown: no more about hops
        complete = names is not None and len(names) == len(interfaces)
        subnets = [i.address.network for i in interfaces]
        own = [i.address.ip for i in interfaces]
        gateway = None
        if spec.get("gateway") is not None:
            gateway = _next_hop(c, spec["gateway"], f"{field}.gateway", subnets, own, complete)
        routes = _routes(c, _given(spec, "routes", []), field, subnets, own, complete)
        stand_ins = _answers_for(c, _given(spec, "answers_for", []), field, role,
                                 list(segments.values()) if segments else [])
        nodes.append(Node(name=name, role=role or "", interfaces=tuple(interfaces),
                          gateway=gateway, routes=tuple(routes), answers_for=stand_ins))
    return nodes


def _answers_for(c: Checker, raw: Any, field: str, role: str | None,
                 subnets: list) -> tuple[Address, ...]:
    """The real-world addresses an upstream host stands in for (8.8.8.8...): each once,
    none inside the lab's own subnets (those are the lab's addresses)."""
    field = f"{field}.answers_for"
    if raw == []:
        return ()
    if role != "upstream":
        c.fail(field, N_("only on the upstream host (role: upstream), the lab's internet"), raw)
        return ()
    if not isinstance(raw, list):
        c.fail(field, N_("a list of addresses such as 8.8.8.8"), raw)
        return ()
    found: list[Address] = []
    for i, value in enumerate(raw):
        address = c.parse(ip_address, value, f"{field}[{i}]", N_("an IPv4 address (or IPv6)"))
        if address is None:
            continue
        if address in found:
            c.fail(f"{field}[{i}]", N_("each address once"), value)
        elif any(net and address in net for net in subnets):
            c.fail(f"{field}[{i}]", N_("an address outside the lab's segments (the segments' "
                                       "addresses are the lab's own)"), value)
        else:
            found.append(address)
    return tuple(found)


def _interfaces(c: Checker, raw: Any, field: str, node: str, segments: dict | None
                ) -> tuple[list[Interface], dict[str, str | None] | None]:
    """The valid interfaces, and every declared name with its segment (None: unknown)."""
    interfaces: list[Interface] = []
    if not isinstance(raw, dict):
        c.fail(f"{field}.interfaces", N_("a mapping of names to settings"), raw)
        return [], None
    if not raw:
        c.fail(f"{field}.interfaces", N_("at least one interface"), raw)
    names: dict[str, str | None] = {}
    for ifname, spec in c.table(raw, f"{field}.interfaces",
                                what=N_("an interface name such as eth0")).items():
        ifield = f"{field}.interfaces.{ifname}"
        ok_name = bool(IFNAME.fullmatch(ifname)) and ifname not in RESERVED_IFNAMES
        if not ok_name or len(f"{node}-{ifname}") > IFNAMSIZ:
            c.fail(ifield, Message(N_("an interface name (lowercase letters and digits, not "
                                      "{reserved}; '{node}-NAME' at most {most} characters)"),
                                   reserved="/".join(RESERVED_IFNAMES), node=node, most=IFNAMSIZ),
                   ifname)
            ok_name = False
        spec = c.mapping(spec, ifield, required=("segment", "address"))
        segment = spec.get("segment")
        if segments is None:
            segment = None  # the segments section is wrong: already reported
        elif not isinstance(segment, str) or segment not in segments:
            if "segment" in spec:
                c.fail(f"{ifield}.segment", Message(N_("one of the segments: {segments}"),
                                                    segments=", ".join(segments)), segment)
            segment = None
        subnet = segments[segment] if segment else None
        names[ifname] = segment if subnet else None
        address = c.parse(ip_interface, spec.get("address"), f"{ifield}.address",
                          N_("an IPv4 address with its prefix, such as 192.168.1.10/24 (or "
                             "IPv6, such as 2001:db8:1::10/64)"))
        if address and subnet and address.network != subnet:
            c.fail(f"{ifield}.address", Message(N_("an address in {network}"),
                                                network=str(subnet)), str(address))
            address = None
        if address and not _usable(address.ip, address.network):
            c.fail(f"{ifield}.address", N_("a host address (not the network's own nor its "
                                           "broadcast address)"), str(address))
            address = None
        other = next((n for n, s in names.items() if n != ifname and s and s == segment), None)
        if subnet and other:
            c.fail(f"{ifield}.segment", Message(N_("one interface per segment ({interface} is on "
                                                   "{segment})"), interface=other, segment=segment),
                   segment)
            subnet = None
        if address and subnet and ok_name:
            interfaces.append(Interface(ifname, segment, address))
    return interfaces, names


def _next_hop(c: Checker, value: Any, field: str, subnets: list[Network],
              own: list[Address], complete: bool) -> Address | None:
    """A gateway: an address on one of the node's subnets, not its own.

    Unless `complete`, some of the node's interfaces are already reported as wrong,
    and an address off its known subnets may be on the missing ones: not reported.
    With IPv6 it may be link-local (a VIP such as fe80::1), on the node's one
    IPv6 interface.
    """
    hop = c.parse(ip_address, value, field, N_("an IPv4 address (or IPv6)"))
    if hop is None:
        return None
    if hop.version == 6 and hop in LINK_LOCAL:
        if sum(1 for n in subnets if n.version == 6) != 1 and complete:
            c.fail(field, N_("a global address (a link-local next hop needs a node with "
                             "exactly one IPv6 interface, to know the link)"), str(hop))
            return None
        return hop
    net = next((n for n in subnets if hop in n), None)
    if net is None and not complete:
        return None
    if net is None:
        c.fail(field, Message(N_("an address on one of the node's subnets ({networks})"),
                              networks=", ".join(map(str, subnets)) or Message(N_("none"))),
               str(hop))
        return None
    if hop in own or not _usable(hop, net):
        c.fail(field, N_("another node's address (not the node's own, nor the network's or "
                         "broadcast address)"), str(hop))
        return None
    return hop


def _routes(c: Checker, raw: Any, field: str, subnets: list[Network],
            own: list[Address], complete: bool) -> list[Route]:
    if not isinstance(raw, list):
        c.fail(f"{field}.routes", Message(N_("a list of {mapping}"), mapping="{to, via}"), raw)
        return []
    routes = []
    for i, spec in enumerate(raw):
        rfield = f"{field}.routes[{i}]"
        spec = c.mapping(spec, rfield, required=("to", "via"))
        to = c.parse(ip_network, spec.get("to"), f"{rfield}.to",
                     N_("an IPv4 network such as 192.168.1.0/24 (or IPv6)"))
        via = _next_hop(c, spec.get("via"), f"{rfield}.via", subnets, own, complete) \
            if "via" in spec else None
        if to and via and to.version != via.version:
            c.fail(f"{rfield}.via", Message(N_("an IPv{version} address, as the route's "
                                           "network {network} is"), version=to.version,
                                        network=str(to)), str(via))
        elif to and via:
            routes.append(Route(to, via))
    return routes


def _check_unique_addresses(c: Checker, nodes: list[Node]) -> None:
    owner: dict[str, str] = {}
    for node in nodes:
        if node.name in owner:
            c.fail(f"hosts.{node.name}", Message(N_("a node name not already used by {section}"),
                                                 section=owner[node.name]), node.name)
        owner[node.name] = "routers" if node.role == "router" else "hosts"
    used: dict[Address, str | Message] = {}
    for node in nodes:
        for intf in node.interfaces:
            here = f"{node.name}.{intf.name}"
            if intf.address.ip in used:
                section = "routers" if node.role == "router" else "hosts"
                c.fail(f"{section}.{node.name}.interfaces.{intf.name}.address",
                       Message(N_("an address not already used by {interface}"),
                               interface=used[intf.address.ip]), str(intf.address.ip))
            used.setdefault(intf.address.ip, here)
            if intf.link_local is not None:  # fe80::10 for 2001:db8:1::10, per segment
                used.setdefault(intf.link_local.ip, _its_link_local(here))


def _its_link_local(interface: str) -> Message:
    """`r1.eth0 (its link-local)`: the fe80:: address the lab gives an interface."""
    return Message(N_("{interface} (its link-local)"), interface=interface)


def _vrrp(c: Checker, raw: Any, nodes: list[Node], segments: dict, declared: dict,
          allow: frozenset) -> Vrrp | None:
    if not isinstance(raw, dict):
        c.fail("vrrp", Message(N_("a mapping with {keys}"),
                               keys="version, advert_int, instances, routers"), raw)
        return None
    spec = c.mapping(raw, "vrrp", required=("version", "advert_int", "instances", "routers"),
                     optional=("auth_pass", "preempt", "preempt_delay", "use_vmac", "sync_group"))
    version = c.choice(spec.get("version"), "vrrp.version", (2, 3))
    advert_int = _advert_int(c, spec.get("advert_int"), version)
    auth_pass = spec.get("auth_pass")
    if not _auth_pass(c, auth_pass, "vrrp.auth_pass", version, allow):
        auth_pass = None
    preempt = c.boolean(_given(spec, "preempt", True), "vrrp.preempt")
    preempt_delay = c.number(_given(spec, "preempt_delay", 0), "vrrp.preempt_delay", 0, 1000)
    use_vmac = c.boolean(_given(spec, "use_vmac", False), "vrrp.use_vmac")
    sync_group = spec.get("sync_group")
    if sync_group is not None:
        sync_group = c.string(sync_group, "vrrp.sync_group", CONF_NAME, CONF_NAME_TEXT)
    routers = {n.name: n for n in nodes if n.role == "router"}
    instances = _instances(c, spec["instances"], routers, segments, nodes, declared) \
        if "instances" in spec else []
    vrouters = _vrrp_routers(c, spec["routers"], routers, instances, version, declared, allow) \
        if "routers" in spec else []
    for vr in vrouters:
        field = f"vrrp.routers.{vr.name}.state"
        if vr.state == "MASTER" and preempt is False:
            c.fail(field, N_("BACKUP with preempt: false (keepalived honours nopreempt only "
                             "for an instance that starts as BACKUP)"), vr.state)
        elif vr.state == "MASTER" and preempt_delay:
            c.fail(field, N_("BACKUP with a preempt_delay (keepalived applies it only to an "
                             "instance that starts as BACKUP)"), vr.state)
    _check_vip_owners(c, instances, routers, vrouters)
    shared = [i.name for i in instances if i.priorities]
    if shared and sync_group and len(instances) > 1:
        c.fail("vrrp.sync_group", Message(N_("null with per-instance priorities ({instances}): "
                                             "one sync group moves every instance together, "
                                             "the load cannot be shared"),
                                          instances=", ".join(shared)), sync_group)
    ipv6 = [i.name for i in instances if i.family == 6]
    if ipv6 and version == 2:
        c.fail("vrrp.version", Message(N_("3 for the IPv6 instances ({instances}): VRRPv2 "
                                          "(RFC 3768) is IPv4 only"), instances=", ".join(ipv6)),
               version)
    if ipv6 and use_vmac:
        c.fail("vrrp.use_vmac", Message(N_("false with IPv6 instances ({instances}): the IPv6 "
                                           "virtual MAC is not supported here"),
                                        instances=", ".join(ipv6)), use_vmac)
    return Vrrp(version=version or 2, advert_int=advert_int or 1.0, auth_pass=auth_pass,
                preempt=bool(preempt), sync_group=sync_group, instances=tuple(instances),
                routers=tuple(vrouters), preempt_delay=float(preempt_delay or 0),
                use_vmac=bool(use_vmac))


def _auth_pass(c: Checker, value: Any, field: str, version: int | None,
               allow: frozenset = frozenset()) -> bool:
    """Check a password (None: no authentication); False if it is refused."""
    if value is None:
        return True
    longest = 64 if "long_auth_pass" in allow else PASS_BYTES
    if version == 3:
        c.fail(field, N_("no auth_pass with version 3 (RFC 5798 removed authentication)"), value)
        return False
    if not isinstance(value, str) or not 1 <= len(value) <= longest \
            or not AUTH_PASS.fullmatch(value):
        c.fail(field, Message(N_("a string of 1 to {longest} characters: ASCII letters, digits "
                                 "and punctuation, no blanks, quotes, braces, # or ! (VRRPv2 PASS "
                                 "carries {carried} bytes; keepalived silently truncates longer "
                                 "ones)"), longest=longest, carried=PASS_BYTES), value)
        return False
    return True


def _check_auth_agreement(c: Checker, vrrp: Vrrp, hint: str | None) -> None:
    """Routers of one group must agree on the password's first 8 characters.

    Each drops the adverts of a router whose password differs (RFC 3768 §7.1) and
    all of them become MASTER; only a scenario that expects that may do it. `hint`
    (marked N_) says how a scenario would.
    """
    if not vrrp.routers:
        return

    def wire(name: str) -> str | None:
        password = vrrp.auth_pass_of(name)
        return password[:PASS_BYTES] if password else None

    def said(password: str | None) -> str | Message:
        return repr(password) if password else Message(N_("no auth_pass"))

    first, said_of = vrrp.routers[0], set()
    for other in vrrp.routers[1:]:
        if wire(other.name) == wire(first.name):
            continue
        blamed = other if other.auth_pass else first
        peer = first if blamed is other else other
        field = f"vrrp.routers.{blamed.name}.auth_pass" if blamed.auth_pass else "vrrp.auth_pass"
        if field in said_of:
            continue
        said_of.add(field)
        values = {"peer": peer.name, "password": said(wire(peer.name)), "n": PASS_BYTES,
                  "value": said(wire(blamed.name))}
        if hint:
            c.say(field, Message(N_("expected the password of {peer} ({password}, in its first "
                                    "{n} characters): routers whose passwords differ drop each "
                                    "other's adverts and all become MASTER ({hint}), got "
                                    "{value}"), hint=Message(hint), **values))
        else:
            c.say(field, Message(N_("expected the password of {peer} ({password}, in its first "
                                    "{n} characters): routers whose passwords differ drop each "
                                    "other's adverts and all become MASTER, got {value}"),
                                 **values))


_WHOLE_UNITS = {"seconds": N_("a whole number of seconds"),
                "centiseconds": N_("a whole number of centiseconds")}


def _advert_int(c: Checker, value: Any, version: int | None) -> float | None:
    """The version's limits (`vrrp.timers.INTERVAL_FIELDS`), said with the field."""
    field = INTERVAL_FIELDS.get(version)
    if field is None:
        return None
    # v2 counts whole seconds: an integer here, where keepalived would round a fraction silently
    number = c.number(value, "vrrp.advert_int", field.min_s, field.max_s, integer=field.per_second == 1)
    if number is not None and not field.is_whole(number):
        c.fail("vrrp.advert_int", _WHOLE_UNITS.get(field.unit) or
               Message(N_("a whole number of {unit}"), unit=field.unit), value)
        return None
    return number


def _instances(c: Checker, raw: Any, routers: dict[str, Node], segments: dict,
               nodes: list[Node], declared: dict) -> list[VrrpInstance]:
    instances: list[VrrpInstance] = []
    vrid_on_segment: dict[tuple[str, int], str] = {}
    vip_of: dict[Any, str] = {}  # an address (a link-local one: with its segment) -> instance
    items = c.table(raw, "vrrp.instances", CONF_NAME,
                    Message(N_("an instance name: {rule}"), rule=Message(CONF_NAME_TEXT)))
    if isinstance(raw, dict) and not raw:
        c.fail("vrrp.instances", N_("at least one instance"), raw)
    for name, spec in items.items():
        field = f"vrrp.instances.{name}"
        spec = c.mapping(spec, field, required=("vrid", "interface", "vips"),
                         optional=("priorities",))
        vrid = c.number(spec.get("vrid"), f"{field}.vrid", MIN_VRID, MAX_VRID, integer=True)
        ifname = spec.get("interface")
        segment = _instance_segment(c, field, ifname, routers, declared) \
            if "interface" in spec else None
        vips = _vips(c, spec["vips"], field, segments.get(segment), nodes, routers) \
            if "vips" in spec else []
        for i, vip in enumerate(vips):
            key = (segment, vip.ip) if vip.ip in LINK_LOCAL else vip.ip  # fe80::1 on each link
            if key in vip_of:
                c.fail(f"{field}.vips[{i}]", Message(N_("a VIP not already used by {instance}"),
                                                     instance=vip_of[key]), str(vip))
            vip_of.setdefault(key, name)
        if vrid and segment:
            other = vrid_on_segment.setdefault((segment, vrid), name)
            if other != name:
                c.fail(f"{field}.vrid", Message(N_("a VRID not already used on segment {segment} "
                                                   "by {instance}"), segment=segment,
                                                instance=other), vrid)
        priorities = _instance_priorities(c, _given(spec, "priorities", {}), field, routers)
        if vrid and segment and vips and priorities is not None:
            instances.append(VrrpInstance(name, vrid, ifname, tuple(vips), priorities))
    return instances


def _instance_priorities(c: Checker, raw: Any, field: str,
                         routers: dict[str, Node]) -> tuple[tuple[str, int], ...] | None:
    """Load sharing: an instance's own priority for some routers (1 to 254); None if wrong."""
    spec = c.table(raw, f"{field}.priorities", what=N_("a router name"))
    result = []
    for router, value in spec.items():
        if router not in routers:
            c.fail(f"{field}.priorities", Message(N_("routers of the topology ({routers})"),
                                                  routers=", ".join(routers)), router)
            return None
        priority = c.number(value, f"{field}.priorities.{router}", MIN_PRIORITY,
                            MAX_BACKUP_PRIORITY, integer=True)
        if priority is None:
            return None
        result.append((router, int(priority)))
    return tuple(result)


def _instance_segment(c: Checker, field: str, ifname: Any, routers: dict[str, Node],
                      declared: dict) -> str | None:
    """All routers must have `ifname`, on one and the same segment.

    An interface already reported as wrong (its segment unknown) says nothing more.
    """
    segments = set()
    for router in routers:
        names = declared.get(router)
        if names is None:
            return None
        if not isinstance(ifname, str) or ifname not in names:
            has = Message(N_("an interface that router {router} has ({interfaces})"),
                          router=router, interfaces=", ".join(names)) if names else \
                Message(N_("an interface that router {router} has (none)"), router=router)
            c.fail(f"{field}.interface", has, ifname)
            return None
        if names[ifname] is None:
            return None
        segments.add(names[ifname])
    if len(segments) != 1:
        c.fail(f"{field}.interface", N_("an interface on the same segment in every router"),
               ifname)
        return None
    return segments.pop()


def _vips(c: Checker, raw: Any, field: str, subnet: Network | None, nodes: list[Node],
          routers: dict[str, Node]) -> list[InterfaceAddress]:
    """The VIPs, of the segment's family; with IPv6 a link-local one first (RFC 5798 §5.2.9)."""
    if not isinstance(raw, list) or not raw:
        c.fail(f"{field}.vips", N_("a non-empty list of addresses such as 192.168.1.1/24"), raw)
        return []
    vips: list[InterfaceAddress] = []
    hosts: dict[Any, str | Message] = {i.address.ip: f"{n.name}.{i.name}" for n in nodes
                                       if n.name not in routers for i in n.interfaces}
    hosts |= {i.link_local.ip: _its_link_local(f"{n.name}.{i.name}") for n in nodes
              for i in n.interfaces  # fe80:: addresses are per link: this segment's
              if i.link_local is not None and (subnet is None or i.address.network == subnet)}
    for i, value in enumerate(raw):
        vfield = f"{field}.vips[{i}]"
        vip = c.parse(ip_interface, value, vfield, N_("an IPv4 address with prefix (or IPv6)"))
        if vip is None:
            continue
        if subnet and subnet.version == 6 and i == 0:
            if vip.network != LINK_LOCAL:
                c.fail(vfield, N_("a link-local address first, such as fe80::1/64 (RFC 5798 "
                                  "5.2.9: an IPv6 router advertises its link-local VIP first)"),
                       value)
            elif vip.ip in hosts:
                c.fail(vfield, Message(N_("an address no node has ({interface} has it)"),
                                       interface=hosts[vip.ip]), value)
            else:
                vips.append(vip)
            continue
        if subnet and vip.network != subnet:
            c.fail(vfield, Message(N_("an address in the segment's subnet {network}, with its "
                                      "prefix (/{prefix})"), network=str(subnet),
                                   prefix=subnet.prefixlen), value)
        elif not _usable(vip.ip, vip.network):
            c.fail(vfield, N_("a host address (not the network's own nor its broadcast address)"),
                   value)
        elif vip.ip in hosts:
            c.fail(vfield, Message(N_("an address no host has ({interface} has it)"),
                                   interface=hosts[vip.ip]), value)
        elif any(v.ip == vip.ip for v in vips):
            c.fail(vfield, N_("each VIP once"), value)
        else:
            vips.append(vip)
    return vips


def _check_vip_owners(c: Checker, instances: list[VrrpInstance], routers: dict[str, Node],
                      vrouters: list[VrrpRouter]) -> None:
    """A VIP that is a router's own address makes it the owner: priority 255 (RFC 5798 §5.2.4)."""
    priority = {r.name: r.priority for r in vrouters}
    for inst in instances:
        for i, vip in enumerate(inst.vips):
            for router in routers.values():
                if vip.ip in (a.address.ip for a in router.interfaces) \
                        and priority.get(router.name, OWNER_PRIORITY) != OWNER_PRIORITY:
                    c.fail(f"vrrp.instances.{inst.name}.vips[{i}]",
                           Message(N_("an address no router has, or priority 255 for its owner "
                                      "({router} has it, with priority {priority})"),
                                   router=router.name, priority=priority[router.name]), str(vip))


def _vrrp_routers(c: Checker, raw: Any, routers: dict[str, Node], instances: list[VrrpInstance],
                  version: int | None, declared: dict, allow: frozenset) -> list[VrrpRouter]:
    spec = c.mapping(raw, "vrrp.routers", required=tuple(routers))
    result = []
    for name, rspec in spec.items():
        field = f"vrrp.routers.{name}"
        if name not in routers:
            continue  # already reported as an unknown key
        rspec = c.mapping(rspec, field, required=("priority",),
                          optional=("state", "track_scripts", "track_interfaces", "auth_pass"))
        priority = c.number(rspec.get("priority"), f"{field}.priority", MIN_PRIORITY,
                            OWNER_PRIORITY, integer=True)
        if priority == OWNER_PRIORITY and not _owns_vips(routers[name], instances):
            c.fail(f"{field}.priority", Message(N_("{low} to {high}: {owner} is for the router "
                                                   "that owns the VIPs (RFC 5798 §5.2.4)"),
                                                low=MIN_PRIORITY, high=MAX_BACKUP_PRIORITY,
                                                owner=OWNER_PRIORITY),
                   OWNER_PRIORITY)
        state = c.choice(_given(rspec, "state", "BACKUP"), f"{field}.state", ("MASTER", "BACKUP"))
        own_pass = rspec.get("auth_pass")
        if not _auth_pass(c, own_pass, f"{field}.auth_pass", version, allow):
            own_pass = None
        scripts = _track_scripts(c, _given(rspec, "track_scripts", {}), f"{field}.track_scripts")
        tracked = _given(rspec, "track_interfaces", [])
        names = declared.get(name)
        own = list(names or ())
        if names is None or None in names.values():
            tracked = []  # some of its interfaces are already reported: nothing to compare
        elif not isinstance(tracked, list) or any(t not in own for t in tracked) \
                or len(set(tracked)) != len(tracked):
            c.fail(f"{field}.track_interfaces", Message(N_("a list of {router}'s interfaces, "
                                                           "each once ({interfaces})"),
                                                        router=name, interfaces=", ".join(own)),
                   tracked)
            tracked = []
        if priority and state:
            result.append(VrrpRouter(name, priority, state, tuple(scripts), tuple(tracked),
                                     own_pass))
    _check_distinct_priorities(c, "vrrp.routers", [r.priority for r in result])
    for inst in instances:
        if inst.priorities and len(result) == len(routers):
            own = dict(inst.priorities)
            _check_distinct_priorities(c, f"vrrp.instances.{inst.name}.priorities",
                                       [own.get(r.name, r.priority) for r in result])
    return result


def _check_distinct_priorities(c: Checker, field: str, priorities: list[int]) -> None:
    if len(set(priorities)) != len(priorities):
        c.fail(field, N_("distinct priorities (equal ones elect by address, which no lesson "
                         "should rely on)"), priorities)


def _track_scripts(c: Checker, raw: Any, field: str) -> list[TrackScript]:
    scripts = []
    what = Message(N_("a script name: {rule}"), rule=Message(CONF_NAME_TEXT))
    for name, spec in c.table(raw, field, CONF_NAME, what).items():
        sfield = f"{field}.{name}"
        spec = c.mapping(spec, sfield, required=("script", "interval", "weight"),
                         optional=("rise", "fall"))
        script = c.string(spec.get("script"), f"{sfield}.script",
                          re.compile(r"[^\n\r\x00]*\S[^\n\r\x00]*"),
                          N_("a shell command on one line"))
        interval = c.number(spec.get("interval"), f"{sfield}.interval", 0.1, 3600)
        weight = c.number(spec.get("weight"), f"{sfield}.weight", -253, 253, integer=True)
        rise = c.number(_given(spec, "rise", 1), f"{sfield}.rise", 1, 100, integer=True)
        fall = c.number(_given(spec, "fall", 1), f"{sfield}.fall", 1, 100, integer=True)
        if CONF_NAME.fullmatch(name) and None not in (script, interval, weight, rise, fall):
            scripts.append(TrackScript(name, script, float(interval), weight, rise, fall))
    return scripts


def _owns_vips(router: Node, instances: list[VrrpInstance]) -> bool:
    mine = {i.address.ip for i in router.interfaces}
    return all(v.ip in mine for inst in instances for v in inst.vips)


def _with_version(vrrp: dict, version: int) -> dict:
    """`vrrplab run --vrrp-version`: the same lab in another VRRP version.

    VRRPv3 has no authentication (RFC 5798 §9), so every auth_pass goes.
    """
    changed = {**vrrp, "version": version}
    if version == 3:
        changed.pop("auth_pass", None)
        if isinstance(changed.get("routers"), dict):
            changed["routers"] = {name: {k: v for k, v in spec.items() if k != "auth_pass"}
                                  if isinstance(spec, dict) else spec
                                  for name, spec in changed["routers"].items()}
    return changed


def deep_merge(base: dict, override: dict) -> dict:
    """Deep-merge `override` into a copy of `base` (mappings merge, the rest replaces)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
