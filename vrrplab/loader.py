"""Load topologies and scenarios from YAML and validate them into `model` data.

Every problem is reported as `FILE: FIELD: expected ..., got ...`, all of them at
once, as an `InputError` (exit 2). Loading never touches the network, needs no
root and starts nothing.
"""

from __future__ import annotations

import difflib
import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import yaml

from vrrplab.errors import InputError
from vrrplab.model import (Fault, Interface, Node, Probe, Route, Scenario, Step,
                           Topology, TrackScript, Vrrp, VrrpInstance, VrrpRouter)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NODE_NAME = re.compile(r"^[a-z][a-z0-9]{0,7}$")  # short: Mininet builds "c1-eth0" from it
IFNAME = re.compile(r"^[a-z][a-z0-9]*$")
IFNAMSIZ = 15  # the kernel's limit on an interface name
FAULT_KINDS = ("stop", "start", "crash", "kill", "freeze", "thaw", "link_down", "link_up",
               "flap", "block_vrrp", "unblock_vrrp", "cut_upstream", "restore_upstream")
BOUND_KINDS = ("skew_time", "master_down_interval", "healthcheck")
MAX_RUN_S = 600.0
ALLOWANCES = ("long_auth_pass",)  # mistakes a scenario may make on purpose, to show them  # a scenario longer than this is a mistake, not a lesson
MISSING = object()


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{path}:{where}: invalid YAML: {problem}") from None


class Checker:
    """Collects validation problems for one file, each naming its field."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def fail(self, field: str, expected: str, got: Any = MISSING) -> None:
        got_text = "" if got is MISSING else f", got {got!r}"
        self.problems.append(f"{self.path}: {field}: expected {expected}{got_text}")

    def mapping(self, value: Any, field: str, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> dict:
        """Check `value` is a mapping with exactly the allowed keys; {} if not."""
        if not isinstance(value, dict):
            self.fail(field, "a mapping", value)
            return {}
        allowed = required + optional
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                tip = f"did you mean {hint[0]!r}? " if hint else ""
                where = f"{field}.{key}" if field else str(key)
                self.problems.append(f"{self.path}: {where}: unknown key ({tip}expected one "
                                     f"of: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.fail(f"{field}.{key}" if field else key, "this field (required)")
        return value

    def table(self, value: Any, field: str) -> dict:
        """A mapping of names (segments, nodes, instances) to their specs."""
        if not isinstance(value, dict):
            self.fail(field, "a mapping of names to settings", value)
            return {}
        return value

    def string(self, value: Any, field: str, pattern: re.Pattern | None = None,
               what: str = "a string") -> str | None:
        if not isinstance(value, str) or (pattern and not pattern.match(value)):
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
        if value not in choices:
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


# --- topology ---------------------------------------------------------------

def load_topology(path: Path, vrrp_overrides: dict | None = None,
                  overridden_by: Path | None = None, allow: frozenset = frozenset()) -> Topology:
    """Load a topology; a scenario may override parts of its `vrrp` section.

    `allow` lets a scenario that is about a mistake make it (e.g. long_auth_pass).
    """
    data = read_yaml(path)
    c = Checker(path if overridden_by is None else Path(f"{path} (+ vrrp from {overridden_by})"))
    if vrrp_overrides and isinstance(data, dict) and isinstance(data.get("vrrp"), dict):
        data = {**data, "vrrp": _merge(data["vrrp"], vrrp_overrides)}
    top = c.mapping(data, "", required=("name", "segments", "routers", "vrrp"),
                    optional=("description", "hosts"))
    segments = _segments(c, top.get("segments", {}))
    nodes = _nodes(c, top.get("routers", {}), "routers", segments, router=True)
    nodes += _nodes(c, top.get("hosts") or {}, "hosts", segments, router=False)
    _check_unique_addresses(c, nodes)
    vrrp = _vrrp(c, top.get("vrrp", {}), nodes, segments, allow)
    c.raise_if_any()
    return Topology(name=top["name"], description=top.get("description", ""), path=path,
                    segments=segments, nodes=tuple(nodes), vrrp=vrrp)


def _segments(c: Checker, raw: Any) -> dict[str, IPv4Network]:
    segments = {}
    for name, spec in c.table(raw, "segments").items():
        spec = c.mapping(spec, f"segments.{name}", required=("subnet",))
        subnet = c.parse(lambda s: IPv4Network(s, strict=True), spec.get("subnet"),
                         f"segments.{name}.subnet", "an IPv4 network such as 192.168.1.0/24")
        if subnet:
            segments[name] = subnet
    return segments


def _nodes(c: Checker, raw: Any, section: str, segments: dict, router: bool) -> list[Node]:
    nodes = []
    for name, spec in c.table(raw, section).items():
        field = f"{section}.{name}"
        c.string(name, field, NODE_NAME, "a node name: a lowercase letter then up to 7 "
                 "lowercase letters or digits")
        if router:
            spec = c.mapping(spec, field, required=("interfaces",))
            role = "router"
        else:
            spec = c.mapping(spec, field, required=("role", "interfaces"),
                             optional=("gateway", "routes"))
            role = c.choice(spec.get("role"), f"{field}.role", ("client", "upstream"))
        interfaces = _interfaces(c, spec.get("interfaces", {}), field, name, segments)
        gateway = None
        if "gateway" in spec:
            gateway = c.parse(IPv4Address, spec["gateway"], f"{field}.gateway", "an IPv4 address")
            if gateway and not any(gateway in i.address.network for i in interfaces):
                c.fail(f"{field}.gateway", "an address on one of the node's subnets", str(gateway))
        routes = _routes(c, spec.get("routes") or [], field)
        nodes.append(Node(name=name, role=role or "", interfaces=tuple(interfaces),
                          gateway=gateway, routes=tuple(routes)))
    return nodes


def _interfaces(c: Checker, raw: Any, field: str, node: str, segments: dict) -> list[Interface]:
    interfaces = []
    for ifname, spec in c.table(raw, f"{field}.interfaces").items():
        ifield = f"{field}.interfaces.{ifname}"
        ok_name = isinstance(ifname, str) and IFNAME.match(ifname)
        if not ok_name or len(f"{node}-{ifname}") > IFNAMSIZ:
            c.fail(ifield, f"an interface name (lowercase letters and digits; '{node}-NAME' "
                   f"at most {IFNAMSIZ} characters)", ifname)
        spec = c.mapping(spec, ifield, required=("segment", "address"))
        segment = spec.get("segment")
        if segment is not None and segment not in segments:
            c.fail(f"{ifield}.segment", "one of the segments: " + ", ".join(segments), segment)
        address = c.parse(IPv4Interface, spec.get("address"), f"{ifield}.address",
                          "an IPv4 address with its prefix, such as 192.168.1.10/24")
        if address and segment in segments and address.network != segments[segment]:
            c.fail(f"{ifield}.address", f"an address in {segments[segment]}", str(address))
        if address and segment in segments and ok_name:
            interfaces.append(Interface(ifname, segment, address))
    return interfaces


def _routes(c: Checker, raw: Any, field: str) -> list[Route]:
    if not isinstance(raw, list):
        c.fail(f"{field}.routes", "a list of {to, via}", raw)
        return []
    routes = []
    for i, spec in enumerate(raw):
        rfield = f"{field}.routes[{i}]"
        spec = c.mapping(spec, rfield, required=("to", "via"))
        to = c.parse(IPv4Network, spec.get("to"), f"{rfield}.to", "an IPv4 network")
        via = c.parse(IPv4Address, spec.get("via"), f"{rfield}.via", "an IPv4 address")
        if to and via:
            routes.append(Route(to, via))
    return routes


def _check_unique_addresses(c: Checker, nodes: list[Node]) -> None:
    owner: dict[IPv4Address, str] = {}
    for node in nodes:
        for intf in node.interfaces:
            here = f"{node.name}.{intf.name}"
            if intf.address.ip in owner:
                c.fail(f"{here}.address", f"an address not already used by {owner[intf.address.ip]}",
                       str(intf.address.ip))
            owner[intf.address.ip] = here


def _vrrp(c: Checker, raw: Any, nodes: list[Node], segments: dict, allow: frozenset) -> Vrrp:
    spec = c.mapping(raw, "vrrp", required=("version", "advert_int", "instances", "routers"),
                     optional=("auth_pass", "preempt", "preempt_delay", "use_vmac", "sync_group"))
    version = c.choice(spec.get("version"), "vrrp.version", (2, 3))
    advert_int = _advert_int(c, spec.get("advert_int"), version)
    auth_pass = spec.get("auth_pass")
    _auth_pass(c, auth_pass, "vrrp.auth_pass", version, allow)
    preempt = c.boolean(spec.get("preempt", True), "vrrp.preempt")
    preempt_delay = c.number(spec.get("preempt_delay", 0), "vrrp.preempt_delay", 0, 1000)
    use_vmac = c.boolean(spec.get("use_vmac", False), "vrrp.use_vmac")
    sync_group = spec.get("sync_group")
    if sync_group is not None:
        c.string(sync_group, "vrrp.sync_group", re.compile(r"^[A-Za-z][A-Za-z0-9_]*$"),
                 "a name of letters, digits and _")
    routers = {n.name: n for n in nodes if n.role == "router"}
    instances = _instances(c, spec.get("instances", {}), routers, segments)
    vrouters = _vrrp_routers(c, spec.get("routers", {}), routers, instances, version, allow)
    return Vrrp(version=version or 2, advert_int=advert_int or 1.0, auth_pass=auth_pass,
                preempt=bool(preempt), sync_group=sync_group, instances=tuple(instances),
                routers=tuple(vrouters), preempt_delay=float(preempt_delay or 0),
                use_vmac=bool(use_vmac))


def _auth_pass(c: Checker, value: Any, field: str, version: int | None,
               allow: frozenset = frozenset()) -> None:
    if value is None:
        return
    longest = 64 if "long_auth_pass" in allow else 8
    if version == 3:
        c.fail(field, "no auth_pass with version 3 (RFC 5798 removed authentication)")
    elif not isinstance(value, str) or not 1 <= len(value) <= longest:
        c.fail(field, "a string of 1 to 8 characters (VRRPv2 PASS carries 8 bytes; "
               "keepalived silently truncates longer ones)", value)


def _advert_int(c: Checker, value: Any, version: int | None) -> float | None:
    if version == 2:
        # RFC 3768 §5.3.7: whole seconds; keepalived would round a fraction silently
        return c.number(value, "vrrp.advert_int", 1, 255, integer=True)
    if version == 3:
        # RFC 5798 §5.2.7: 12 bits of centiseconds
        number = c.number(value, "vrrp.advert_int", 0.01, 40.95)
        if number is not None and abs(round(number * 100) - number * 100) > 1e-6:
            c.fail("vrrp.advert_int", "a whole number of centiseconds", value)
        return number
    return None


def _instances(c: Checker, raw: Any, routers: dict[str, Node], segments: dict) -> list[VrrpInstance]:
    instances = []
    vrid_on_segment: dict[tuple[str, int], str] = {}
    items = c.table(raw, "vrrp.instances").items()
    if not items:
        c.fail("vrrp.instances", "at least one instance")
    for name, spec in items:
        field = f"vrrp.instances.{name}"
        spec = c.mapping(spec, field, required=("vrid", "interface", "vips"))
        vrid = c.number(spec.get("vrid"), f"{field}.vrid", 1, 255, integer=True)
        ifname = spec.get("interface")
        segment = _instance_segment(c, field, ifname, routers)
        vips = _vips(c, spec.get("vips"), field, segments.get(segment))
        if vrid and segment:
            other = vrid_on_segment.setdefault((segment, vrid), name)
            if other != name:
                c.fail(f"{field}.vrid", f"a VRID not already used on segment {segment} by {other}", vrid)
        if vrid and segment and vips:
            instances.append(VrrpInstance(name, vrid, ifname, tuple(vips)))
    return instances


def _instance_segment(c: Checker, field: str, ifname: Any, routers: dict[str, Node]) -> str | None:
    """All routers must have `ifname`, on one and the same segment."""
    segments = set()
    for router in routers.values():
        intf = next((i for i in router.interfaces if i.name == ifname), None)
        if intf is None:
            c.fail(f"{field}.interface", f"an interface that router {router.name} has", ifname)
            return None
        segments.add(intf.segment)
    if len(segments) != 1:
        c.fail(f"{field}.interface", "an interface on the same segment in every router",
               ifname)
        return None
    return segments.pop()


def _vips(c: Checker, raw: Any, field: str, subnet: IPv4Network | None) -> list[IPv4Interface]:
    if not isinstance(raw, list) or not raw:
        c.fail(f"{field}.vips", "a non-empty list of addresses such as 192.168.1.1/24", raw)
        return []
    vips = []
    for i, value in enumerate(raw):
        vip = c.parse(IPv4Interface, value, f"{field}.vips[{i}]", "an IPv4 address with prefix")
        if vip and subnet and vip.network != subnet:
            c.fail(f"{field}.vips[{i}]", f"an address in the segment's subnet {subnet}", value)
        elif vip:
            vips.append(vip)
    return vips


def _vrrp_routers(c: Checker, raw: Any, routers: dict[str, Node], instances: list[VrrpInstance],
                  version: int | None, allow: frozenset) -> list[VrrpRouter]:
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
        state = c.choice(rspec.get("state", "BACKUP"), f"{field}.state", ("MASTER", "BACKUP"))
        _auth_pass(c, rspec.get("auth_pass"), f"{field}.auth_pass", version, allow)
        scripts = _track_scripts(c, rspec.get("track_scripts") or {}, f"{field}.track_scripts")
        tracked = rspec.get("track_interfaces") or []
        own = [i.name for i in routers[name].interfaces]
        if not isinstance(tracked, list) or any(t not in own for t in tracked):
            c.fail(f"{field}.track_interfaces", f"a list of {name}'s interfaces ({', '.join(own)})",
                   tracked)
            tracked = []
        if priority and state:
            result.append(VrrpRouter(name, priority, state, tuple(scripts), tuple(tracked),
                                     rspec.get("auth_pass")))
    priorities = [r.priority for r in result]
    if len(set(priorities)) != len(priorities):
        c.fail("vrrp.routers", "distinct priorities (equal ones elect by address, which "
               "no lesson should rely on)", priorities)
    return result


def _track_scripts(c: Checker, raw: Any, field: str) -> list[TrackScript]:
    scripts = []
    for name, spec in c.table(raw, field).items():
        sfield = f"{field}.{name}"
        spec = c.mapping(spec, sfield, required=("script", "interval", "weight"),
                         optional=("rise", "fall"))
        script = c.string(spec.get("script"), f"{sfield}.script", what="a shell command")
        interval = c.number(spec.get("interval"), f"{sfield}.interval", 0.1, 3600)
        weight = c.number(spec.get("weight"), f"{sfield}.weight", -253, 253, integer=True)
        rise = c.number(spec.get("rise", 1), f"{sfield}.rise", 1, 100, integer=True)
        fall = c.number(spec.get("fall", 1), f"{sfield}.fall", 1, 100, integer=True)
        if None not in (script, interval, weight, rise, fall):
            scripts.append(TrackScript(name, script, float(interval), weight, rise, fall))
    return scripts


def _owns_vips(router: Node, instances: list[VrrpInstance]) -> bool:
    mine = {i.address.ip for i in router.interfaces}
    return all(v.ip in mine for inst in instances for v in inst.vips)


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

def find_scenario(name_or_path: str) -> Path:
    """A path as given, or a name looked up in ./scenarios then the project's scenarios/."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not candidate.is_file():
            raise InputError(f"{name_or_path}: no such scenario file")
        return candidate
    for folder in (Path.cwd() / "scenarios", PROJECT_ROOT / "scenarios"):
        path = folder / f"{name_or_path}.yaml"
        if path.is_file():
            return path
    known = ", ".join(p.stem for p in list_scenarios())
    raise InputError(f"{name_or_path}: no such scenario (known: {known})")


def list_scenarios() -> list[Path]:
    folder = PROJECT_ROOT / "scenarios"
    return sorted(folder.glob("*.yaml"))


def _find_topology(ref: str, scenario_path: Path) -> Path | None:
    if ref.endswith((".yaml", ".yml")):
        path = (scenario_path.parent / ref)
        return path if path.is_file() else None
    for folder in (scenario_path.parent.parent / "topologies", PROJECT_ROOT / "topologies"):
        if (folder / f"{ref}.yaml").is_file():
            return folder / f"{ref}.yaml"
    return None


def load_scenario(path: Path) -> Scenario:
    data = read_yaml(path)
    c = Checker(path)
    top = c.mapping(data, "", required=("name", "description", "topology", "steps"),
                    optional=("probe", "vrrp", "lesson", "allow"))
    allow = top.get("allow") or []
    if not isinstance(allow, list) or any(a not in ALLOWANCES for a in allow):
        c.fail("allow", f"a list among {', '.join(ALLOWANCES)}", allow)
        allow = []
    vrrp_overrides = top.get("vrrp") or {}
    if not isinstance(vrrp_overrides, dict):
        c.fail("vrrp", "a mapping of the topology's vrrp settings to change", vrrp_overrides)
        vrrp_overrides = {}
    if "lesson" in top:
        c.string(top["lesson"], "lesson", what="a text explaining what the run shows")
    c.string(top.get("name"), "name", re.compile(r"^[a-z0-9][a-z0-9-]*$"),
             "a lowercase name of letters, digits and -")
    c.string(top.get("description"), "description")
    topo_ref = top.get("topology")
    topo_path = _find_topology(topo_ref, path) if isinstance(topo_ref, str) else None
    if topo_path is None:
        c.fail("topology", "the name of a file in topologies/ (or a path to a .yaml)", topo_ref)
    c.raise_if_any()
    topology = load_topology(topo_path, vrrp_overrides, path if vrrp_overrides else None,
                             allow=frozenset(allow))
    steps = _steps(c, top.get("steps"), topology)
    probe = _probe(c, top.get("probe") or {}, topology)
    c.raise_if_any()
    return Scenario(name=top["name"], description=top["description"], path=path,
                    topology=topology, steps=tuple(steps), probe=probe,
                    lesson=top.get("lesson", ""))


def _steps(c: Checker, raw: Any, topology: Topology) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        c.fail("steps", "a non-empty list of steps", raw)
        return []
    steps, fault_names, total = [], set(), 0.0
    routers = tuple(r.name for r in topology.routers)
    for i, spec in enumerate(raw):
        field = f"steps[{i}]"
        if not isinstance(spec, dict) or len(spec) != 1:
            c.fail(field, "a mapping with one key: wait_master, wait_masters, hold or fault", spec)
            continue
        c.mapping(spec, field, optional=("wait_master", "wait_masters", "hold", "fault"))
        (action, value), = spec.items()
        if action == "wait_master":
            if c.choice(value, f"{field}.wait_master", routers):
                steps.append(Step("wait_master", router=value))
        elif action == "wait_masters":
            if not isinstance(value, list) or len(value) < 2 or any(v not in routers for v in value):
                c.fail(f"{field}.wait_masters", f"a list of two or more routers among "
                       f"{', '.join(routers)} (a split brain the scenario expects)", value)
            else:
                steps.append(Step("wait_masters", routers=tuple(value)))
        elif action == "hold":
            seconds = c.number(value, f"{field}.hold", 0, MAX_RUN_S)
            if seconds is not None:
                total += seconds
                steps.append(Step("hold", seconds=float(seconds)))
        elif action == "fault":
            fault = _fault(c, value, f"{field}.fault", topology, fault_names)
            if fault:
                total += topology.vrrp.master_down_interval(fault.expect_master) + 5
                total += fault.period * fault.count if fault.kind == "flap" else 0
                steps.append(Step("fault", fault=fault))
    if total > MAX_RUN_S:
        c.fail("steps", f"a run of at most {MAX_RUN_S:g} s (holds plus each fault's "
               f"Master_Down_Interval and margin)", f"{total:.0f} s")
    return steps


def _fault(c: Checker, raw: Any, field: str, topology: Topology, names: set) -> Fault | None:
    routers = tuple(r.name for r in topology.routers)
    spec = c.mapping(raw, field, required=("name", "kind", "target", "expect_master"),
                     optional=("interface", "vip_holders", "takeover", "period", "count", "duty",
                               "bound"))
    name = c.string(spec.get("name"), f"{field}.name", re.compile(r"^[a-z0-9][a-z0-9-]*$"),
                    "a lowercase name of letters, digits and -")
    if name in names:
        c.fail(f"{field}.name", "a name no other fault has", name)
    names.add(name)
    kind = c.choice(spec.get("kind"), f"{field}.kind", FAULT_KINDS)
    target = c.choice(spec.get("target"), f"{field}.target", routers)
    expect = c.choice(spec.get("expect_master"), f"{field}.expect_master", routers)
    interface = spec.get("interface")
    if interface is not None and target in routers:
        own = tuple(i.name for i in topology.node(target).interfaces)
        interface = c.choice(interface, f"{field}.interface", own)
    holders = spec.get("vip_holders", [expect])
    if not isinstance(holders, list) or not holders or any(h not in routers for h in holders):
        c.fail(f"{field}.vip_holders", f"a list of routers among {', '.join(routers)}", holders)
        holders = [expect]
    takeover = c.boolean(spec.get("takeover", True), f"{field}.takeover")
    bound = spec.get("bound")
    if bound is not None:
        bound = c.choice(bound, f"{field}.bound", BOUND_KINDS)
        if bound == "healthcheck" and target in routers and \
                not topology.vrrp.router(target).track_scripts:
            c.fail(f"{field}.bound", f"a router with track_scripts for 'healthcheck' ({target} has none)")
    period = c.number(spec.get("period", 2.0), f"{field}.period", 0.05, 60)
    count = c.number(spec.get("count", 3), f"{field}.count", 1, 100, integer=True)
    duty = c.number(spec.get("duty", 0.5), f"{field}.duty", 0.05, 0.95)
    if None in (name, kind, target, expect, takeover, period, count, duty):
        return None
    if kind == "flap" and period * count > MAX_RUN_S / 2:
        c.fail(f"{field}.count", f"period x count under {MAX_RUN_S / 2:g} s", count)
    return Fault(name, kind, target, expect, interface=interface, vip_holders=tuple(holders),
                 takeover=takeover, period=float(period), count=count, duty=float(duty),
                 bound=bound)


def _probe(c: Checker, raw: Any, topology: Topology) -> Probe:
    spec = c.mapping(raw, "probe", optional=("from", "targets", "interval"))
    clients = tuple(n.name for n in topology.clients)
    if not clients:
        c.fail("topology", f"a topology with a client host to probe from ({topology.path})")
        return Probe("", (), 0.005)
    source = c.choice(spec.get("from", clients[0]), "probe.from", clients)
    default_targets = [str(topology.lan_instance().vips[0].ip)]
    default_targets += [str(h.interfaces[0].address.ip) for h in topology.upstream_hosts]
    targets = []
    raw_targets = spec.get("targets", default_targets)
    if not isinstance(raw_targets, list) or not raw_targets:
        c.fail("probe.targets", "a non-empty list of IPv4 addresses", raw_targets)
        raw_targets = []
    for i, value in enumerate(raw_targets):
        target = c.parse(IPv4Address, value, f"probe.targets[{i}]", "an IPv4 address")
        if target:
            targets.append(target)
    interval = c.number(spec.get("interval", 0.005), "probe.interval", 0.001, 1.0)
    return Probe(source or clients[0], tuple(targets), float(interval or 0.005))
