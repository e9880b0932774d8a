"""Load topologies and scenarios from YAML and validate them into `model` data.

Every problem is reported as `FILE: FIELD: expected ..., got ...`, all of them at
once, as an `InputError` (exit 2). Loading never touches the network, needs no
root and starts nothing. Whatever the file holds (any YAML type anywhere, null
values, a list where a mapping belongs), the only exception that leaves this
module is `InputError`.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from ipaddress import ip_address, ip_interface, ip_network
from pathlib import Path
from typing import Any

import yaml

from vrrplab.errors import InputError
from vrrplab.faults import KINDS
from vrrplab.model import (LINK_LOCAL, Address, Fault, Interface, InterfaceAddress, Network,
                           Node, Probe, Route, Scenario, Step, Topology, TrackScript, Vrrp,
                           VrrpInstance, VrrpRouter)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NODE_NAME = re.compile(r"^[a-z][a-z0-9]{0,7}$")  # short: Mininet builds "c1-eth0" from it
BRIDGE_NAME = re.compile(r"^s[0-9]+$")  # Mininet's name for the segments' bridges (lab.py)
IFNAME = re.compile(r"^[a-z][a-z0-9]*$")
IFNAMSIZ = 15  # the kernel's limit on an interface name
RESERVED_IFNAMES = ("lo",)  # every namespace has its own loopback already
SEGMENT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
LOWER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # scenario, topology and fault names
LOWER_NAME_TEXT = "a lowercase name of letters, digits and - (at most 64 characters)"
ONE_LINE = re.compile(r"[^\n\r]*")
CONF_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")  # names written into keepalived.conf
CONF_NAME_TEXT = "a name of letters, digits and _ starting with a letter (at most 32 characters)"
# keepalived reads the password as one word: no blanks, quotes, braces or comment marks
AUTH_PASS = re.compile(r"^[A-Za-z0-9$%&()*+,./:;<=>?@\[\]^_`|~-]+$")
FAULT_KINDS = tuple(KINDS)  # one list of fault kinds: the primitives faults.py implements
ATTACK_KINDS = ("rogue_router", "zero_storm")  # start an attacker process on an attacker host
# the kinds that target an attacker host; malformed is a bounded batch: no stop_attack after it
ATTACKER_KINDS = ATTACK_KINDS + ("stop_attack", "malformed")
NO_MASTER = "none"  # expect_master: none - the routers stepped down (a rogue router)
HOST_ROLES = ("client", "upstream", "attacker")
LINK_KINDS = ("link_down", "link_up", "flap")  # the kinds that take `interface`
UPSTREAM_KINDS = ("cut_upstream", "restore_upstream")  # they need an upstream host
BOUND_KINDS = ("skew_time", "master_down_interval", "healthcheck")
MAX_RUN_S = 600.0  # a scenario longer than this is a mistake, not a lesson
ALLOWANCES = ("long_auth_pass",)  # mistakes a scenario may make on purpose, to show them
PASS_BYTES = 8  # what VRRPv2's simple-text password carries on the wire
MAX_FILE_BYTES = 1024 * 1024  # a topology or scenario is a page or two of YAML
MISSING = object()

_SHORT = reprlib.Repr()  # a bad value is quoted, never dumped whole (aliases can nest deep)
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 80, 80, 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 6
_SHORT.maxlevel = 3


def show(value: Any) -> str:
    """A bad value as it appears after `got`: its repr, cut short if long."""
    try:
        text = _SHORT.repr(value)
    except Exception:  # noqa: BLE001 (a repr must never hide the problem)
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 120 else text[:100] + "..."


def _one_line(text: str) -> str:
    """Each problem stays one printable line, whatever characters the file had."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# --- YAML -------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last).

    It also turns a scalar that its tag cannot build (`!!int abc`, a date such as
    2001-02-30) into a YAML error with its position, instead of a ValueError.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception:  # noqa: BLE001 (PyYAML's constructors raise what Python raises)
            tag = str(node.tag).rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a valid {tag}, got {show(value)}", node.start_mark) from None


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor`: its keys may be overridden, that is its purpose
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a plain key (a name), got {show(key)}",
                key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: Path) -> Any:
    try:
        if not path.is_file():  # a FIFO or /dev/zero would never end
            path.stat()  # the OSError that says why (no such file...), if there is one
            raise InputError(_one_line(f"{path}: cannot read: not a regular file"))
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError(_one_line(f"{path}: expected a file of at most "
                                       f"{MAX_FILE_BYTES // 1024} KiB, got more"))
    except OSError as exc:
        raise InputError(_one_line(f"{path}: cannot read: {exc.strerror or exc}")) from None
    except ValueError:  # a NUL in the name
        raise InputError(_one_line(f"{path}: cannot read: not a valid file name")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: expected UTF-8 text, got the byte "
                         f"0x{raw[exc.start]:02x}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        line = text[:exc.position].count("\n") + 1
        got = f"U+{exc.character:04X}" if isinstance(exc.character, int) else show(exc.character)
        raise InputError(f"{path}: line {line}: invalid YAML: expected printable characters, "
                         f"got {got}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            problem = f"{context}, {problem}"
        if "constructor for the tag" in problem:
            problem += " (vrrplab reads plain YAML: no tags such as !!python)"
        raise InputError(_one_line(f"{path}:{where} invalid YAML: {problem}")) from None
    except RecursionError:
        raise InputError(f"{path}: invalid YAML: expected at most a few hundred levels of "
                         f"nesting, got more") from None
    except Exception as exc:  # noqa: BLE001 (the last line of defence: bad input is exit 2)
        raise InputError(_one_line(f"{path}: invalid YAML: {type(exc).__name__}: "
                                   f"{show(str(exc))}")) from None


# --- checking ---------------------------------------------------------------

class Checker:
    """Collects validation problems for one file, each naming its field."""

    def __init__(self, path: Path | str):
        self.path = path
        self.problems: list[str] = []
        self.missing: set[str] = set()  # reported as required: nothing more to say on them

    def say(self, field: str, text: str) -> None:
        self.problems.append(_one_line(f"{self.path}: {field or 'top level'}: {text}"))

    def fail(self, field: str, expected: str, got: Any = MISSING) -> None:
        if field in self.missing:
            return
        got_text = "" if got is MISSING else f", got {show(got)}"
        self.say(field, f"expected {expected}{got_text}")

    def mapping(self, value: Any, field: str, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> dict:
        """Check `value` is a mapping with exactly the allowed keys; {} if not."""
        if not isinstance(value, dict):
            if value is None and not field:
                self.fail(field, "a mapping with " + ", ".join(required) + ", got an empty file")
            else:
                what = f"a mapping with {', '.join(required)}" if required else "a mapping"
                self.fail(field, what, value)
            self.missing.update(f"{field}.{key}" if field else key for key in required)
            return {}
        allowed = tuple(map(str, required + optional))
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                tip = f"did you mean {hint[0]!r}? " if hint else ""
                name = key if isinstance(key, str) else show(key)
                self.say(f"{field}.{name}" if field else name,
                         f"unknown key ({tip}expected one of: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                where = f"{field}.{key}" if field else key
                self.fail(where, "this field (required)")
                self.missing.add(where)
        return value

    def table(self, value: Any, field: str, pattern: re.Pattern | None = None,
              what: str = "a name") -> dict:
        """A mapping of names (segments, nodes, instances) to their specs.

        Names that are not strings are reported and left out; strings that do not
        match `pattern` are reported and kept, so that what refers to them still
        finds them.
        """
        if not isinstance(value, dict):
            self.fail(field, "a mapping of names to settings", value)
            return {}
        entries = {}
        for key, spec in value.items():
            if not isinstance(key, str) or (pattern and not pattern.fullmatch(key)):
                self.fail(f"{field}.{key if isinstance(key, str) else show(key)}", what, key)
            if isinstance(key, str):
                entries[key] = spec
        return entries

    def string(self, value: Any, field: str, pattern: re.Pattern | None = None,
               what: str = "a string") -> str | None:
        if not isinstance(value, str) or (pattern and not pattern.fullmatch(value)):
            self.fail(field, what, value)
            return None
        return value

    def number(self, value: Any, field: str, low: float, high: float,
               integer: bool = False) -> float | int | None:
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or not low <= value <= high:
            self.fail(field, f"{kind} from {low:g} to {high:g}", value)
            return None
        return value

    def choice(self, value: Any, field: str, choices: tuple) -> Any:
        """One of `choices`, of the same type too (2.0 is not the version 2)."""
        if not any(type(value) is type(ch) and value == ch for ch in choices):
            self.fail(field, "one of " + ", ".join(map(str, choices)), value)
            return None
        return value

    def boolean(self, value: Any, field: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(field, "true or false", value)
            return None
        return value

    def parse(self, kind: type, value: Any, field: str, what: str) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError
            return kind(value)
        except ValueError:
            self.fail(field, what, value)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _given(spec: dict, key: str, default: Any) -> Any:
    """`spec[key]`, or `default` when the key is absent or null (`key:` with nothing)."""
    value = spec.get(key)
    return default if value is None else value


def _usable(address: Address, network: Network) -> bool:
    """Not the network's own address nor its broadcast (both fine in a /31 or /32).

    IPv6 has no broadcast; its network address is the subnet-router anycast.
    """
    if network.version == 6:
        return network.prefixlen >= 127 or address != network.network_address
    return network.prefixlen >= 31 or address not in (network.network_address,
                                                      network.broadcast_address)


# --- topology ---------------------------------------------------------------

def load_topology(path: Path, vrrp_overrides: dict | None = None,
                  overridden_by: Path | None = None, allow: frozenset = frozenset(),
                  check_auth: bool = True, force_version: int | None = None) -> Topology:
    """Load a topology; a scenario may override parts of its `vrrp` section.

    `allow` lets a scenario that is about a mistake make it (e.g. long_auth_pass).
    `check_auth=False` leaves the routers' password agreement to the scenario,
    which may expect the split brain a disagreement causes.
    """
    data = read_yaml(path)
    if overridden_by is None and isinstance(data, dict) and "topology" in data \
            and "segments" not in data and "steps" not in data:
        load_scenario(path)  # a scenario that lost its steps: say so in a scenario's terms
    c = Checker(path if overridden_by is None else f"{path} (+ vrrp from {overridden_by})")
    if vrrp_overrides and isinstance(data, dict) and isinstance(data.get("vrrp"), dict):
        data = {**data, "vrrp": _merge(data["vrrp"], vrrp_overrides)}
    if force_version and isinstance(data, dict) and isinstance(data.get("vrrp"), dict):
        data = {**data, "vrrp": _with_version(data["vrrp"], force_version)}
    top = c.mapping(data, "", required=("name", "segments", "routers", "vrrp"),
                    optional=("description", "hosts"))
    if not isinstance(data, dict):
        c.raise_if_any()  # nothing more to say about a file that is not a mapping
    name = c.string(top.get("name"), "name", LOWER_NAME, LOWER_NAME_TEXT)
    description = _given(top, "description", "")
    c.string(description, "description", ONE_LINE, "a one-line text")
    segments = _segments(c, top["segments"]) if "segments" in top else None
    declared: dict[str, dict[str, str | None] | None] = {}
    nodes = _nodes(c, top.get("routers", {}), "routers", segments, declared, router=True)
    nodes += _nodes(c, _given(top, "hosts", {}), "hosts", segments, declared, router=False)
    routers = [n.name for n in nodes if n.role == "router"]
    if isinstance(top.get("routers"), dict) and len(routers) < 2:
        c.fail("routers", "two routers or more (VRRP needs a master and a backup)", routers)
    _check_unique_addresses(c, nodes)
    vrrp = _vrrp(c, top["vrrp"], nodes, segments or {}, declared, allow) if "vrrp" in top else None
    if check_auth and vrrp:
        _check_auth_agreement(c, vrrp, "")
    if (vrrp is None or segments is None or name is None) and not c.problems:
        c.fail("", "a topology with name, segments, routers and vrrp")  # never: each is reported
    c.raise_if_any()
    assert vrrp is not None and segments is not None and name is not None  # for type checkers
    return Topology(name=name, description=description, path=path,
                    segments={k: v for k, v in segments.items() if v}, nodes=tuple(nodes),
                    vrrp=vrrp)


def _segments(c: Checker, raw: Any) -> dict[str, Network | None] | None:
    """Segment name -> subnet; None for a segment already reported as wrong.

    None for the whole section when it is not a mapping: nothing can be said then
    about what refers to its segments.
    """
    if not isinstance(raw, dict):
        c.fail("segments", "a mapping of names to settings", raw)
        return None
    segments: dict[str, Network | None] = {}
    for name, spec in c.table(raw, "segments", SEGMENT_NAME, "a segment name: a lowercase "
                              "letter then letters, digits, - or _").items():
        spec = c.mapping(spec, f"segments.{name}", required=("subnet",))
        subnet = c.parse(lambda s: ip_network(s, strict=True), spec.get("subnet"),
                         f"segments.{name}.subnet", "an IPv4 network such as 192.168.1.0/24 "
                         "(or IPv6, such as 2001:db8:1::/64)")
        if subnet is not None and subnet.version == 6 and subnet.is_link_local:
            c.fail(f"segments.{name}.subnet", "a global IPv6 network (the lab gives every "
                   "interface its fe80:: address itself)", str(subnet))
            subnet = None
        other = next((n for n, s in segments.items() if s and subnet
                      and s.version == subnet.version and s.overlaps(subnet)), None)
        if other is not None:
            c.fail(f"segments.{name}.subnet", f"a network apart from segment {other}'s "
                   f"{segments[other]}", str(subnet))
            subnet = None
        segments[name] = subnet
    return segments


def _nodes(c: Checker, raw: Any, section: str, segments: dict | None,
           declared: dict, router: bool) -> list[Node]:
    """The nodes of one section; `declared` gets each one's interface names and segments."""
    nodes = []
    for name, spec in c.table(raw, section, NODE_NAME, "a node name: a lowercase letter then "
                              "up to 7 lowercase letters or digits").items():
        field = f"{section}.{name}"
        if BRIDGE_NAME.fullmatch(name):
            c.fail(field, "a node name other than s1, s2... (the lab's bridges have those)", name)
        if router:
            spec = c.mapping(spec, field, required=("interfaces",))
            role = "router"
        else:
            spec = c.mapping(spec, field, required=("role", "interfaces"),
                             optional=("gateway", "routes"))
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
        nodes.append(Node(name=name, role=role or "", interfaces=tuple(interfaces),
                          gateway=gateway, routes=tuple(routes)))
    return nodes


def _interfaces(c: Checker, raw: Any, field: str, node: str, segments: dict | None
                ) -> tuple[list[Interface], dict[str, str | None] | None]:
    """The valid interfaces, and every declared name with its segment (None: unknown)."""
    interfaces: list[Interface] = []
    if not isinstance(raw, dict):
        c.fail(f"{field}.interfaces", "a mapping of names to settings", raw)
        return [], None
    if not raw:
        c.fail(f"{field}.interfaces", "at least one interface", raw)
    names: dict[str, str | None] = {}
    for ifname, spec in c.table(raw, f"{field}.interfaces",
                                what="an interface name such as eth0").items():
        ifield = f"{field}.interfaces.{ifname}"
        ok_name = bool(IFNAME.fullmatch(ifname)) and ifname not in RESERVED_IFNAMES
        if not ok_name or len(f"{node}-{ifname}") > IFNAMSIZ:
            c.fail(ifield, f"an interface name (lowercase letters and digits, not "
                   f"{'/'.join(RESERVED_IFNAMES)}; '{node}-NAME' at most {IFNAMSIZ} characters)",
                   ifname)
            ok_name = False
        spec = c.mapping(spec, ifield, required=("segment", "address"))
        segment = spec.get("segment")
        if segments is None:
            segment = None  # the segments section is wrong: already reported
        elif not isinstance(segment, str) or segment not in segments:
            if "segment" in spec:
                c.fail(f"{ifield}.segment", "one of the segments: " + ", ".join(segments),
                       segment)
            segment = None
        subnet = segments[segment] if segment else None
        names[ifname] = segment if subnet else None
        address = c.parse(ip_interface, spec.get("address"), f"{ifield}.address",
                          "an IPv4 address with its prefix, such as 192.168.1.10/24 (or "
                          "IPv6, such as 2001:db8:1::10/64)")
        if address and subnet and address.network != subnet:
            c.fail(f"{ifield}.address", f"an address in {subnet}", str(address))
            address = None
        if address and not _usable(address.ip, address.network):
            c.fail(f"{ifield}.address", f"a host address (not the network's own nor its "
                   f"broadcast address)", str(address))
            address = None
        other = next((n for n, s in names.items() if n != ifname and s and s == segment), None)
        if subnet and other:
            c.fail(f"{ifield}.segment", f"one interface per segment ({other} is on {segment})",
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
    hop = c.parse(ip_address, value, field, "an IPv4 address (or IPv6)")
    if hop is None:
        return None
    if hop.version == 6 and hop in LINK_LOCAL:
        if sum(1 for n in subnets if n.version == 6) != 1 and complete:
            c.fail(field, "a global address (a link-local next hop needs a node with "
                   "exactly one IPv6 interface, to know the link)", str(hop))
            return None
        return hop
    net = next((n for n in subnets if hop in n), None)
    if net is None and not complete:
        return None
    if net is None:
        c.fail(field, "an address on one of the node's subnets ("
               + (", ".join(map(str, subnets)) or "none") + ")", str(hop))
        return None
    if hop in own or not _usable(hop, net):
        c.fail(field, "another node's address (not the node's own, nor the network's or "
               "broadcast address)", str(hop))
        return None
    return hop


def _routes(c: Checker, raw: Any, field: str, subnets: list[Network],
            own: list[Address], complete: bool) -> list[Route]:
    if not isinstance(raw, list):
        c.fail(f"{field}.routes", "a list of {to, via}", raw)
        return []
    routes = []
    for i, spec in enumerate(raw):
        rfield = f"{field}.routes[{i}]"
        spec = c.mapping(spec, rfield, required=("to", "via"))
        to = c.parse(ip_network, spec.get("to"), f"{rfield}.to",
                     "an IPv4 network such as 192.168.1.0/24 (or IPv6)")
        via = _next_hop(c, spec.get("via"), f"{rfield}.via", subnets, own, complete) \
            if "via" in spec else None
        if to and via and to.version != via.version:
            c.fail(f"{rfield}.via", f"an IPv{to.version} address, as the route's network "
                   f"{to} is", str(via))
        elif to and via:
            routes.append(Route(to, via))
    return routes


def _check_unique_addresses(c: Checker, nodes: list[Node]) -> None:
    owner: dict[str, str] = {}
    for node in nodes:
        if node.name in owner:
            c.fail(f"hosts.{node.name}", f"a node name not already used by "
                   f"{owner[node.name]}", node.name)
        owner[node.name] = "routers" if node.role == "router" else "hosts"
    used: dict[Address, str] = {}
    for node in nodes:
        for intf in node.interfaces:
            here = f"{node.name}.{intf.name}"
            if intf.address.ip in used:
                section = "routers" if node.role == "router" else "hosts"
                c.fail(f"{section}.{node.name}.interfaces.{intf.name}.address",
                       f"an address not already used by {used[intf.address.ip]}",
                       str(intf.address.ip))
            used.setdefault(intf.address.ip, here)
            if intf.link_local is not None:  # fe80::10 for 2001:db8:1::10, per segment
                used.setdefault(intf.link_local.ip, f"{here} (its link-local)")


def _vrrp(c: Checker, raw: Any, nodes: list[Node], segments: dict, declared: dict,
          allow: frozenset) -> Vrrp | None:
    if not isinstance(raw, dict):
        c.fail("vrrp", "a mapping with version, advert_int, instances, routers", raw)
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
            c.fail(field, "BACKUP with preempt: false (keepalived honours nopreempt only "
                   "for an instance that starts as BACKUP)", vr.state)
        elif vr.state == "MASTER" and preempt_delay:
            c.fail(field, "BACKUP with a preempt_delay (keepalived applies it only to an "
                   "instance that starts as BACKUP)", vr.state)
    _check_vip_owners(c, instances, routers, vrouters)
    ipv6 = [i.name for i in instances if i.family == 6]
    if ipv6 and version == 2:
        c.fail("vrrp.version", f"3 for the IPv6 instances ({', '.join(ipv6)}): VRRPv2 "
               f"(RFC 3768) is IPv4 only", version)
    if ipv6 and use_vmac:
        c.fail("vrrp.use_vmac", f"false with IPv6 instances ({', '.join(ipv6)}): the IPv6 "
               f"virtual MAC is not supported here", use_vmac)
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
        c.fail(field, "no auth_pass with version 3 (RFC 5798 removed authentication)", value)
        return False
    if not isinstance(value, str) or not 1 <= len(value) <= longest \
            or not AUTH_PASS.fullmatch(value):
        c.fail(field, f"a string of 1 to {longest} characters: ASCII letters, digits and "
               f"punctuation, no blanks, quotes, braces, # or ! (VRRPv2 PASS carries "
               f"{PASS_BYTES} bytes; keepalived silently truncates longer ones)", value)
        return False
    return True


def _check_auth_agreement(c: Checker, vrrp: Vrrp, hint: str) -> None:
    """Routers of one group must agree on the password's first 8 characters.

    Each drops the adverts of a router whose password differs (RFC 3768 §7.1) and
    all of them become MASTER; only a scenario that expects that may do it.
    """
    if not vrrp.routers:
        return

    def wire(name: str) -> str | None:
        password = vrrp.auth_pass_of(name)
        return password[:PASS_BYTES] if password else None

    def said(password: str | None) -> str:
        return repr(password) if password else "no auth_pass"

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
        c.say(field, f"expected the password of {peer.name} ({said(wire(peer.name))}, in its "
              f"first {PASS_BYTES} characters): routers whose passwords differ drop each "
              f"other's adverts and all become MASTER{hint}, got {said(wire(blamed.name))}")


def _advert_int(c: Checker, value: Any, version: int | None) -> float | None:
    if version == 2:
        # RFC 3768 §5.3.7: whole seconds; keepalived would round a fraction silently
        return c.number(value, "vrrp.advert_int", 1, 255, integer=True)
    if version == 3:
        # RFC 5798 §5.2.7: 12 bits of centiseconds
        number = c.number(value, "vrrp.advert_int", 0.01, 40.95)
        if number is not None and abs(round(number * 100) - number * 100) > 1e-6:
            c.fail("vrrp.advert_int", "a whole number of centiseconds", value)
            return None
        return number
    return None


def _instances(c: Checker, raw: Any, routers: dict[str, Node], segments: dict,
               nodes: list[Node], declared: dict) -> list[VrrpInstance]:
    instances: list[VrrpInstance] = []
    vrid_on_segment: dict[tuple[str, int], str] = {}
    vip_of: dict[Any, str] = {}  # an address (a link-local one: with its segment) -> instance
    items = c.table(raw, "vrrp.instances", CONF_NAME, "an instance name: " + CONF_NAME_TEXT)
    if isinstance(raw, dict) and not raw:
        c.fail("vrrp.instances", "at least one instance", raw)
    for name, spec in items.items():
        field = f"vrrp.instances.{name}"
        spec = c.mapping(spec, field, required=("vrid", "interface", "vips"),
                         optional=("priorities",))
        vrid = c.number(spec.get("vrid"), f"{field}.vrid", 1, 255, integer=True)
        ifname = spec.get("interface")
        segment = _instance_segment(c, field, ifname, routers, declared) \
            if "interface" in spec else None
        vips = _vips(c, spec["vips"], field, segments.get(segment), nodes, routers) \
            if "vips" in spec else []
        for i, vip in enumerate(vips):
            key = (segment, vip.ip) if vip.ip in LINK_LOCAL else vip.ip  # fe80::1 on each link
            if key in vip_of:
                c.fail(f"{field}.vips[{i}]", f"a VIP not already used by {vip_of[key]}",
                       str(vip))
            vip_of.setdefault(key, name)
        if vrid and segment:
            other = vrid_on_segment.setdefault((segment, vrid), name)
            if other != name:
                c.fail(f"{field}.vrid", f"a VRID not already used on segment {segment} by {other}", vrid)
        priorities = _instance_priorities(c, _given(spec, "priorities", {}), field, routers)
        if vrid and segment and vips and priorities is not None:
            instances.append(VrrpInstance(name, vrid, ifname, tuple(vips), priorities))
    return instances


def _instance_priorities(c: Checker, raw: Any, field: str,
                         routers: dict[str, Node]) -> tuple[tuple[str, int], ...] | None:
    """Load sharing: an instance's own priority for some routers (1 to 254); None if wrong."""
    spec = c.table(raw, f"{field}.priorities", what="a router name")
    result = []
    for router, value in spec.items():
        if router not in routers:
            c.fail(f"{field}.priorities", f"routers of the topology ({', '.join(routers)})",
                   router)
            return None
        priority = c.number(value, f"{field}.priorities.{router}", 1, 254, integer=True)
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
            c.fail(f"{field}.interface", f"an interface that router {router} has "
                   f"({', '.join(names) or 'none'})", ifname)
            return None
        if names[ifname] is None:
            return None
        segments.add(names[ifname])
    if len(segments) != 1:
        c.fail(f"{field}.interface", "an interface on the same segment in every router",
               ifname)
        return None
    return segments.pop()


def _vips(c: Checker, raw: Any, field: str, subnet: Network | None, nodes: list[Node],
          routers: dict[str, Node]) -> list[InterfaceAddress]:
    """The VIPs, of the segment's family; with IPv6 a link-local one first (RFC 5798 §5.2.9)."""
    if not isinstance(raw, list) or not raw:
        c.fail(f"{field}.vips", "a non-empty list of addresses such as 192.168.1.1/24", raw)
        return []
    vips: list[InterfaceAddress] = []
    hosts = {i.address.ip: f"{n.name}.{i.name}" for n in nodes if n.name not in routers
             for i in n.interfaces}
    hosts |= {i.link_local.ip: f"{n.name}.{i.name} (its link-local)" for n in nodes
              for i in n.interfaces  # fe80:: addresses are per link: this segment's
              if i.link_local is not None and (subnet is None or i.address.network == subnet)}
    for i, value in enumerate(raw):
        vfield = f"{field}.vips[{i}]"
        vip = c.parse(ip_interface, value, vfield, "an IPv4 address with prefix (or IPv6)")
        if vip is None:
            continue
        if subnet and subnet.version == 6 and i == 0:
            if vip.network != LINK_LOCAL:
                c.fail(vfield, f"a link-local address first, such as fe80::1/64 (RFC 5798 "
                       f"5.2.9: an IPv6 router advertises its link-local VIP first)", value)
            elif vip.ip in hosts:
                c.fail(vfield, f"an address no node has ({hosts[vip.ip]} has it)", value)
            else:
                vips.append(vip)
            continue
        if subnet and vip.network != subnet:
            c.fail(vfield, f"an address in the segment's subnet {subnet}, with its prefix "
                   f"(/{subnet.prefixlen})", value)
        elif not _usable(vip.ip, vip.network):
            c.fail(vfield, "a host address (not the network's own nor its broadcast address)",
                   value)
        elif vip.ip in hosts:
            c.fail(vfield, f"an address no host has ({hosts[vip.ip]} has it)", value)
        elif any(v.ip == vip.ip for v in vips):
            c.fail(vfield, "each VIP once", value)
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
                        and priority.get(router.name, 255) != 255:
                    c.fail(f"vrrp.instances.{inst.name}.vips[{i}]", f"an address no router "
                           f"has, or priority 255 for its owner ({router.name} has it, with "
                           f"priority {priority[router.name]})", str(vip))


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
        priority = c.number(rspec.get("priority"), f"{field}.priority", 1, 255, integer=True)
        if priority == 255 and not _owns_vips(routers[name], instances):
            c.fail(f"{field}.priority", "1 to 254: 255 is for the router that owns the VIPs "
                   "(RFC 5798 §5.2.4)", 255)
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
            c.fail(f"{field}.track_interfaces", f"a list of {name}'s interfaces, each once "
                   f"({', '.join(own)})", tracked)
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
        c.fail(field, "distinct priorities (equal ones elect by address, which no lesson "
               "should rely on)", priorities)


def _track_scripts(c: Checker, raw: Any, field: str) -> list[TrackScript]:
    scripts = []
    for name, spec in c.table(raw, field, CONF_NAME, "a script name: " + CONF_NAME_TEXT).items():
        sfield = f"{field}.{name}"
        spec = c.mapping(spec, sfield, required=("script", "interval", "weight"),
                         optional=("rise", "fall"))
        script = c.string(spec.get("script"), f"{sfield}.script",
                          re.compile(r"[^\n\r\x00]*\S[^\n\r\x00]*"),
                          "a shell command on one line")
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


def _merge(base: dict, override: dict) -> dict:
    """Deep-merge `override` into a copy of `base` (mappings merge, the rest replaces)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- scenario ---------------------------------------------------------------

def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def find_scenario(name_or_path: str) -> Path:
    """A path as given, or a name looked up in ./scenarios then the project's scenarios/."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not _is_file(candidate):
            raise InputError(_one_line(f"{name_or_path}: no such scenario file"))
        return candidate
    for folder in (Path.cwd() / "scenarios", PROJECT_ROOT / "scenarios"):
        path = folder / f"{name_or_path}.yaml"
        if _is_file(path):
            return path
    known = ", ".join(p.stem for p in list_scenarios())
    raise InputError(_one_line(f"{name_or_path}: no such scenario (known: {known})"))


def list_scenarios() -> list[Path]:
    folder = PROJECT_ROOT / "scenarios"
    return sorted(folder.glob("*.yaml"))


def _find_topology(ref: str, scenario_path: Path) -> Path | None:
    if ref.endswith((".yaml", ".yml")):
        path = (scenario_path.parent / ref)
        return path if _is_file(path) else None
    if not LOWER_NAME.fullmatch(ref):
        return None
    for folder in (scenario_path.parent.parent / "topologies", PROJECT_ROOT / "topologies"):
        if _is_file(folder / f"{ref}.yaml"):
            return folder / f"{ref}.yaml"
    return None


def load_scenario(path: Path, vrrp_version: int | None = None) -> Scenario:
    """Load a scenario and its topology; `vrrp_version` runs it in another VRRP version."""
    data = read_yaml(path)
    c = Checker(path)
    top = c.mapping(data, "", required=("name", "description", "topology", "steps"),
                    optional=("probe", "vrrp", "lesson", "allow"))
    allow = _given(top, "allow", [])
    if not isinstance(allow, list) or any(a not in ALLOWANCES for a in allow):
        c.fail("allow", f"a list among {', '.join(ALLOWANCES)}", allow)
        allow = []
    vrrp_overrides = _given(top, "vrrp", {})
    if not isinstance(vrrp_overrides, dict):
        c.fail("vrrp", "a mapping of the topology's vrrp settings to change", vrrp_overrides)
        vrrp_overrides = {}
    if _given(top, "lesson", None) is not None:
        c.string(top["lesson"], "lesson", what="a text explaining what the run shows")
    if top:
        c.string(top.get("name"), "name", LOWER_NAME, LOWER_NAME_TEXT)
        c.string(top.get("description"), "description", ONE_LINE, "a one-line text")
    topo_ref = top.get("topology")
    topo_path = _find_topology(topo_ref, path) if isinstance(topo_ref, str) else None
    if topo_path is None and "topology" in top:
        c.fail("topology", "the name of a file in topologies/ (or a path to a .yaml, from "
               "the scenario's folder)", topo_ref)
    c.raise_if_any()
    try:
        topology = load_topology(topo_path, vrrp_overrides, path if vrrp_overrides else None,
                                 allow=frozenset(allow), check_auth=False,
                                 force_version=vrrp_version)
    except InputError as exc:
        settings = " with the scenario's vrrp settings" if vrrp_overrides else ""
        c.fail("topology", f"a topology that validates{settings} (its problems are above)",
               topo_ref)
        raise InputError(exc.problems + c.problems) from None
    steps = _steps(c, top.get("steps"), topology)
    probes = _probes(c, _given(top, "probe", {}), topology)
    if not any(s.action == "wait_masters" or (s.fault and len(s.fault.holders()) > 1)
               for s in steps):
        _check_auth_agreement(c, topology.vrrp, " (a scenario that shows this split brain says "
                              "so with a wait_masters step or a fault with two vip_holders)")
    c.raise_if_any()
    return Scenario(name=top["name"], description=top["description"], path=path,
                    topology=topology, steps=tuple(steps), probes=probes,
                    lesson=_given(top, "lesson", ""))


def _routers_list(c: Checker, value: Any, field: str, routers: tuple[str, ...],
                  least: int, what: str) -> tuple[str, ...] | None:
    """A list of `least` or more distinct routers."""
    if not isinstance(value, list) or len(value) < least \
            or any(not isinstance(v, str) or v not in routers for v in value) \
            or len(set(value)) != len(value):
        c.fail(field, f"a list of {what} among {', '.join(routers)}, each once", value)
        return None
    return tuple(value)


def _steps(c: Checker, raw: Any, topology: Topology) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        c.fail("steps", "a non-empty list of steps", raw)
        return []
    steps, fault_names, total = [], set(), 0.0
    attacks: dict[str, str] = {}  # attacker host -> the attack fault running on it
    routers = tuple(r.name for r in topology.routers)
    for i, spec in enumerate(raw):
        field = f"steps[{i}]"
        if not isinstance(spec, dict) or len(spec) != 1:
            c.fail(field, "a mapping with one key: wait_master, wait_masters, hold or fault", spec)
            continue
        c.mapping(spec, field, optional=("wait_master", "wait_masters", "hold", "fault"))
        (action, value), = spec.items()
        if action == "wait_master" and isinstance(value, dict):
            masters = _masters_by_instance(c, value, f"{field}.wait_master", topology)
            if masters:
                steps.append(Step("wait_master", router=masters[0][1], masters=masters))
        elif action == "wait_master":
            if c.choice(value, f"{field}.wait_master", routers):
                steps.append(Step("wait_master", router=value))
        elif action == "wait_masters":
            masters = _routers_list(c, value, f"{field}.wait_masters", routers, 2,
                                    "two or more routers (a split brain the scenario expects)")
            if masters:
                steps.append(Step("wait_masters", routers=masters))
        elif action == "hold":
            seconds = c.number(value, f"{field}.hold", 0, MAX_RUN_S)
            if seconds is not None:
                total += seconds
                steps.append(Step("hold", seconds=float(seconds)))
        elif action == "fault":
            fault = _fault(c, value, f"{field}.fault", topology, fault_names)
            if fault:
                _check_attack_sequence(c, fault, f"{field}.fault", attacks)
                total += max(topology.vrrp.master_down_interval(r) for r in routers) + 5
                total += fault.period * fault.count if fault.kind == "flap" else 0
                steps.append(Step("fault", fault=fault))
    if total > MAX_RUN_S:
        c.fail("steps", f"a run of at most {MAX_RUN_S:g} s (holds plus each fault's "
               f"Master_Down_Interval and margin)", f"{total:.0f} s")
    return steps


def _instance_names(c: Checker, value: Any, field: str, topology: Topology,
                    taken: set[str] | None = None) -> tuple[str, ...] | None:
    """A list of the topology's VRRP instances, each once (and in no other list: `taken`)."""
    known = tuple(i.name for i in topology.vrrp.instances)
    taken = set() if taken is None else taken
    if not isinstance(value, list) or not value \
            or any(not isinstance(v, str) or v not in known for v in value) \
            or len(set(value)) != len(value) or taken & set(value):
        c.fail(field, f"a list of instances among {', '.join(known)}, each once", value)
        return None
    taken.update(value)
    return tuple(value)


def _masters_by_instance(c: Checker, value: dict, field: str,
                         topology: Topology) -> tuple[tuple[str, str], ...] | None:
    """`wait_master: {r1: [VI_A, ...], r2: [VI_B, ...]}`: who is MASTER of which instance."""
    routers = tuple(r.name for r in topology.routers)
    taken: set[str] = set()
    masters = []
    for router, names in value.items():
        if router not in routers:
            c.fail(f"{field}", f"routers among {', '.join(routers)} as keys", router)
            return None
        listed = _instance_names(c, names, f"{field}.{router}", topology, taken)
        if listed is None:
            return None
        masters += [(name, router) for name in listed]
    missing = [i.name for i in topology.vrrp.instances if i.name not in taken]
    if missing:
        c.fail(field, "every instance under one router", f"{', '.join(missing)} under none")
        return None
    order = [i.name for i in topology.vrrp.instances]
    return tuple(sorted(masters, key=lambda m: order.index(m[0])))


def _fault(c: Checker, raw: Any, field: str, topology: Topology, names: set) -> Fault | None:
    routers = tuple(r.name for r in topology.routers)
    spec = c.mapping(raw, field, required=("name", "kind", "target", "expect_master"),
                     optional=("interface", "vip_holders", "takeover", "period", "count", "duty",
                               "bound", "unstable", "rate", "instances"))
    if not spec:
        return None
    name = c.string(spec.get("name"), f"{field}.name", LOWER_NAME, LOWER_NAME_TEXT)
    if name in names:
        c.fail(f"{field}.name", "a name no other fault has", name)
    names.add(name)
    kind = c.choice(spec.get("kind"), f"{field}.kind", FAULT_KINDS)
    target = _fault_target(c, spec.get("target"), f"{field}.target", kind, topology)
    expect = _expect_master(c, spec.get("expect_master"), f"{field}.expect_master", kind, routers)
    unstable = c.boolean(_given(spec, "unstable", False), f"{field}.unstable")
    if unstable and kind and kind not in ATTACK_KINDS:
        c.fail(f"{field}.unstable", f"no unstable for kind {kind} (only for "
               f"{', '.join(ATTACK_KINDS)}, whose repeated elections have no single master)",
               unstable)
        unstable = None
    if "rate" in spec and kind and kind != "zero_storm":
        c.fail(f"{field}.rate", f"no rate for kind {kind} (only for zero_storm)", spec["rate"])
    rate = c.number(_given(spec, "rate", 1.5), f"{field}.rate", 0.1, 100)
    interface = spec.get("interface")
    if interface is not None and kind and kind not in LINK_KINDS:
        c.fail(f"{field}.interface", f"no interface for kind {kind} (only for "
               f"{', '.join(LINK_KINDS)})", interface)
        interface = None
    elif interface is not None and target:
        own = tuple(i.name for i in topology.node(target).interfaces)
        interface = c.choice(interface, f"{field}.interface", own)
    for key in ("period", "count", "duty"):
        if key in spec and kind and kind != "flap":
            c.fail(f"{field}.{key}", f"no {key} for kind {kind} (only for flap)", spec[key])
    if kind in UPSTREAM_KINDS and not topology.upstream_hosts:
        c.fail(f"{field}.kind", f"a kind other than {kind}: it cuts the path to the upstream "
               f"host, and topology {topology.name} has none", kind)
    holders = (expect,) if expect != NO_MASTER else ()
    if "vip_holders" in spec and expect == NO_MASTER:
        c.fail(f"{field}.vip_holders", "no vip_holders with expect_master: none (no router "
               "holds the VIP then)", spec["vip_holders"])
    elif "vip_holders" in spec:
        holders = _routers_list(c, spec["vip_holders"], f"{field}.vip_holders", routers, 1,
                                "routers") or holders
    takeover = c.boolean(_given(spec, "takeover", True), f"{field}.takeover")
    instances: tuple[str, ...] | None = ()
    if "instances" in spec and expect == NO_MASTER:
        c.fail(f"{field}.instances", "no instances with expect_master: none (every router "
               "steps down)", spec["instances"])
    elif "instances" in spec:
        instances = _instance_names(c, spec["instances"], f"{field}.instances", topology)
    bound = spec.get("bound")
    if bound is not None:
        bound = c.choice(bound, f"{field}.bound", BOUND_KINDS)
        if bound == "healthcheck" and target in routers \
                and not topology.vrrp.router(target).track_scripts:
            c.fail(f"{field}.bound", f"a router with track_scripts for 'healthcheck' ({target} has none)")
    period = c.number(_given(spec, "period", 2.0), f"{field}.period", 0.05, 60)
    count = c.number(_given(spec, "count", 3), f"{field}.count", 1, 100, integer=True)
    duty = c.number(_given(spec, "duty", 0.5), f"{field}.duty", 0.05, 0.95)
    if None in (name, kind, target, expect, takeover, period, count, duty, unstable, rate,
                instances):
        return None
    if kind == "flap" and period * count > MAX_RUN_S / 2:
        c.fail(f"{field}.count", f"period x count under {MAX_RUN_S / 2:g} s", count)
    return Fault(name, kind, target, None if expect == NO_MASTER else expect,
                 interface=interface, vip_holders=tuple(holders), takeover=takeover,
                 period=float(period), count=count, duty=float(duty), bound=bound,
                 unstable=unstable, rate=float(rate), instances=instances)


def _fault_target(c: Checker, value: Any, field: str, kind: str | None,
                  topology: Topology) -> str | None:
    """A router, or for the attack kinds an attacker host (role attacker)."""
    if kind not in ATTACKER_KINDS:
        return c.choice(value, field, tuple(r.name for r in topology.routers))
    attackers = tuple(n.name for n in topology.attackers)
    if not attackers:
        c.fail(field, f"an attacker host for kind {kind}, and topology {topology.name} has "
               f"none (a host with role: attacker, as in topologies/attacked.yaml)", value)
        return None
    if value not in attackers:
        c.fail(field, f"an attacker host for kind {kind}: one of {', '.join(attackers)}", value)
        return None
    return value


def _expect_master(c: Checker, value: Any, field: str, kind: str | None,
                   routers: tuple[str, ...]) -> str | None:
    """A router; `none` only where an attack makes every router step down."""
    if value == NO_MASTER and kind in ATTACK_KINDS:
        return NO_MASTER
    if value == NO_MASTER and kind:
        c.fail(field, f"a router (none only for {', '.join(ATTACK_KINDS)}: a forged master "
               f"can silence every router)", value)
        return None
    return c.choice(value, field, routers)


def _check_attack_sequence(c: Checker, fault: Fault, field: str, attacks: dict) -> None:
    """One attack at a time per attacker, and stop_attack only while one runs."""
    if fault.kind in ATTACK_KINDS:
        if fault.target in attacks:
            c.fail(f"{field}.kind", f"a stop_attack on {fault.target} first (its attack "
                   f"{attacks[fault.target]} still runs)", fault.kind)
        attacks[fault.target] = fault.name
    elif fault.kind == "stop_attack" and attacks.pop(fault.target, None) is None:
        c.fail(f"{field}.kind", f"an attack running on {fault.target} before stop_attack "
               f"(a rogue_router or zero_storm fault earlier)", fault.kind)


def _probes(c: Checker, raw: Any, topology: Topology) -> tuple[Probe, ...]:
    """The scenario's `probe`, or by default every client probing its gateway and upstream."""
    spec = c.mapping(raw, "probe", optional=("from", "targets", "interval"))
    clients = tuple(n.name for n in topology.clients)
    if not clients:
        c.fail("topology", f"a topology with a client host to probe from ({topology.path})")
        return (Probe("", (), 0.005),)
    if spec:
        return (_probe(c, spec, topology, clients),)
    return tuple(Probe(client, _default_targets(topology, client), 0.005) for client in clients)


def _default_targets(topology: Topology, client: str) -> tuple[Address, ...]:
    """The client's gateway VIP (else the first one), then the upstream hosts.

    With IPv6 the gateway is often the link-local VIP (fe80::1): its instance's
    first global VIP is pinged instead, which the same master holds.
    """
    node = topology.node(client)
    gateway = node.gateway
    instance = topology.instance_of_vip(gateway, node.interfaces[0].segment) if gateway else None
    instance = instance or topology.lan_instance()
    return (instance.ping_address(), *(h.interfaces[0].address.ip
                                       for h in topology.upstream_hosts))


def _probe(c: Checker, spec: dict, topology: Topology, clients: tuple[str, ...]) -> Probe:
    source = c.choice(_given(spec, "from", clients[0]), "probe.from", clients)
    vips = [v.ip for inst in topology.vrrp.instances for v in inst.vips]
    in_lab = {i.address.ip for n in topology.nodes for i in n.interfaces} | set(vips)
    default_targets = [str(t) for t in _default_targets(topology, source or clients[0])]
    targets = []
    raw_targets = _given(spec, "targets", default_targets)
    if not isinstance(raw_targets, list) or not raw_targets:
        c.fail("probe.targets", "a non-empty list of IPv4 (or IPv6) addresses", raw_targets)
        raw_targets = []
    for i, value in enumerate(raw_targets):
        target = c.parse(ip_address, value, f"probe.targets[{i}]",
                         "an IPv4 address such as 192.168.1.1 (or IPv6)")
        if target is not None and target.version == 6 and target in LINK_LOCAL:
            c.fail(f"probe.targets[{i}]", "a global address (a link-local one needs an "
                   "interface to go with it; ping the instance's global VIP)", value)
        elif target is not None and target not in in_lab:
            c.fail(f"probe.targets[{i}]", "an address in the lab (a node's or a VIP; the lab "
                   "has no way out)", value)
        elif target is not None and target in targets:
            c.fail(f"probe.targets[{i}]", "each target once", value)
        elif target is not None:
            targets.append(target)
    interval = c.number(_given(spec, "interval", 0.005), "probe.interval", 0.001, 1.0)
    return Probe(source or clients[0], tuple(targets), float(interval or 0.005))
