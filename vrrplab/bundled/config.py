"""The bundled speaker's configuration: JSON text -> checked, frozen data.

The file is rendered by `vrrplab.speakers.bundled_conf` (see there for its
shape); this module reads it back and refuses anything the daemon could not
run, listing every problem at once as `FIELD: expected ..., got ...`, the way
`keepalived -t` refuses a bad keepalived.conf. Pure apart from reading the
file: whether the interfaces exist is `check.check_environment`'s business.

Each instance becomes a `vrrp.config.RouterConfig`, so the protocol limits
(VRID, priority, interval per version, auth only in v2) are checked by the core
itself. What keepalived accepts with only a warning is accepted here too, and
listed in `DaemonConfig.warnings`.

An instance is IPv4 or IPv6, as its `vips` are (mixed families are refused).
IPv6 (VRRPv3 only, RFC 5798 §1): the first VIP is the virtual router's
link-local address (§5.2.9), and `primary_ip` is either the router's own
link-local address on the interface, the source of its adverts (§5.1.2.1), or
one of its global addresses there, in which case `with_link_local_sources`
(called by the daemon at start, with a lookup in the namespace) puts the
interface's link-local address in its place.

`test_mistime` (absent normally) runs the speaker deliberately mis-timed, for
the lab tests only: see `mistimed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
    ip_address,
    ip_interface,
)
from pathlib import Path
from typing import Any, Callable

from vrrplab.boundedio import Problem, read_json
from vrrplab.bundled.mistimed import MISTIMINGS
from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.linux import IFNAMSIZ
from vrrplab.vrrp.config import (
    MAX_VRID,
    MIN_PRIORITY,
    MIN_VRID,
    OWNER_PRIORITY,
    ConfigError,
    RouterConfig,
)
from vrrplab.vrrp.packet import AUTH_DATA_LEN, virtual_mac
from vrrplab.vrrp.timers import INTERVAL_FIELDS

SCHEMA = 1
MAX_CONFIG_BYTES = 1024 * 1024  # a rendered config is a few KiB
CONFIG_MAX_DEPTH = 16  # a config is 4 levels deep
TOP_KEYS = {"schema", "router", "source", "sync_group", "scripts", "instances", "test_mistime"}
INSTANCE_KEYS = {"name", "vrid", "interface", "primary_ip", "vips", "priority", "state", "version",
                 "advert_int", "preempt", "preempt_delay", "auth_pass", "use_vmac",
                 "track_scripts", "track_interfaces"}
OPTIONAL_INSTANCE_KEYS = {"auth_pass", "preempt_delay", "track_scripts", "track_interfaces"}
SCRIPT_KEYS = {"script", "interval", "weight", "rise", "fall"}
# advert_int is first a number some version can carry (0.01 s in v3 to 255 s in v2); the
# instance's own version's limits are RouterConfig's check, whose message names the instance
ADVERT_INT_ANY_VERSION = (min(f.min_s for f in INTERVAL_FIELDS.values()),
                          max(f.max_s for f in INTERVAL_FIELDS.values()))


class ConfigProblem(ValueError):
    """The config cannot be run; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ScriptSpec:
    """keepalived's `vrrp_script`: run `script` with `sh -c` every `interval` seconds."""

    name: str
    script: str
    interval: float
    weight: int  # < 0: added while failing; > 0: added while succeeding; 0: FAULT while failing
    rise: int
    fall: int

    @property
    def timeout(self) -> float:
        """keepalived's default `timeout` for a vrrp_script is its interval."""
        return self.interval


@dataclass(frozen=True)
class InstanceSpec:
    """One `vrrp_instance`: the core's `RouterConfig` plus what only the driver needs."""

    name: str
    interface: str
    vips: tuple[IPv4Interface | IPv6Interface, ...]  # with their prefix, as `ip addr add` takes them
    router: RouterConfig
    state: str  # the configured initial state; a hint only (see `daemon`)
    use_vmac: bool = False
    track_scripts: tuple[str, ...] = ()
    track_interfaces: tuple[str, ...] = ()

    @property
    def vrid(self) -> int:
        return self.router.vrid

    @property
    def family(self) -> int:
        """4 or 6: the family of the VIPs and of `router.primary_ip`."""
        return self.router.family

    @property
    def vmac_name(self) -> str:
        """keepalived's default VMAC interface name."""
        return f"vrrp.{self.vrid}"

    @property
    def vmac_address(self) -> str:
        return virtual_mac(self.vrid)

    @property
    def device(self) -> str:
        """Where the instance lives: its VMAC with use_vmac, else its interface. The VIPs,
        the adverts (sent and heard) and the gratuitous ARPs all go through it."""
        return self.vmac_name if self.use_vmac else self.interface

    @property
    def tracked_links(self) -> tuple[str, ...]:
        """The instance's own interface (keepalived tracks it unless `dont_track_primary`) and the others."""
        return tuple(dict.fromkeys((self.interface, *self.track_interfaces)))


@dataclass(frozen=True)
class DaemonConfig:
    router: str
    instances: tuple[InstanceSpec, ...]
    scripts: dict[str, ScriptSpec]
    sync_group: str | None = None
    sync_members: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)
    test_mistime: str | None = None  # test-only: one of mistimed.MISTIMINGS

    def instance(self, name: str) -> InstanceSpec:
        return next(i for i in self.instances if i.name == name)

    @property
    def interfaces(self) -> tuple[str, ...]:
        """Every interface the instances are configured on, in config order."""
        return tuple(dict.fromkeys(i.interface for i in self.instances))


def load_config(path: Path) -> DaemonConfig:
    """Read and check the config file; `ConfigProblem` if it cannot be run.

    A file that is no config of this schema at all (unreadable, not a regular file,
    too large, not UTF-8, not JSON, nested too deep, another `schema`) is an
    `InputError` (exit 2): one line naming the file, by `vrrplab.boundedio`.
    """
    data = read_json(path, MAX_CONFIG_BYTES, CONFIG_MAX_DEPTH)
    if not isinstance(data, dict):
        raise InputError(Problem(N_("{file}: expected a speaker config (a mapping with schema, "
                                    "router, instances), got {value}"), file=str(path),
                                 value=_shown(data)))
    schema = data.get("schema")
    if type(schema) is not int or schema != SCHEMA:
        got = _shown(schema) if "schema" in data else Message(N_("nothing"))
        raise InputError(Problem(N_("{file}: schema: expected {version} (the config schema this "
                                    "speaker reads), got {value}"),
                                 file=str(path), version=SCHEMA, value=got))
    return parse_config(data)


def parse_config(data: Any) -> DaemonConfig:
    """Check a decoded config document; `ConfigProblem` lists all that is wrong."""
    c = _Checker()
    top = c.mapping(data, "config", TOP_KEYS, required={"schema", "router", "instances"})
    if type(top.get("schema")) is not int or top.get("schema") != SCHEMA:  # true is not 1
        c.fail("schema", str(SCHEMA), top.get("schema"))
    router = c.string(top.get("router"), "router")
    scripts = _scripts(c, top.get("scripts", {}))
    instances = _instances(c, top.get("instances"), scripts)
    declared = [i.get("name") for i in top.get("instances") or [] if isinstance(i, dict)]
    sync_name, members = _sync_group(c, top.get("sync_group"), declared)
    mistime = c.choice(top["test_mistime"], "test_mistime", MISTIMINGS) if "test_mistime" in top else None
    if c.problems:
        raise ConfigProblem(c.problems)
    warnings = _warnings(instances, scripts)
    return DaemonConfig(router or "", tuple(instances), scripts, sync_name, members, tuple(warnings),
                        test_mistime=mistime)


def _scripts(c: _Checker, raw: Any) -> dict[str, ScriptSpec]:
    scripts = {}
    for name, spec in c.mapping(raw, "scripts", None).items():
        where = f"scripts.{name}"
        spec = c.mapping(spec, where, SCRIPT_KEYS, required={"script", "interval", "weight"})
        script = c.string(spec.get("script"), f"{where}.script")
        interval = c.number(spec.get("interval"), f"{where}.interval", 0.01, 3600)
        weight = c.integer(spec.get("weight"), f"{where}.weight", -253, 253)
        rise = c.integer(spec.get("rise", 1), f"{where}.rise", 1, 100)
        fall = c.integer(spec.get("fall", 1), f"{where}.fall", 1, 100)
        if None not in (script, interval, weight, rise, fall):
            scripts[name] = ScriptSpec(name, script, float(interval), weight, rise, fall)
    return scripts


def _instances(c: _Checker, raw: Any, scripts: dict[str, ScriptSpec]) -> list[InstanceSpec]:
    if not isinstance(raw, list) or not raw:
        c.fail("instances", "a non-empty list of instances", raw)
        return []
    instances = [i for n, spec in enumerate(raw) if (i := _instance(c, spec, f"instances[{n}]", scripts))]
    _unique(c, [i.name for i in instances], "instances: names")
    # IPv4 and IPv6 virtual routers have separate VRID spaces (RFC 5798 §5.2.3)
    _unique(c, [(i.interface, i.vrid) for i in instances if i.family == 4], "instances: (interface, vrid) pairs")
    _unique(c, [(i.interface, i.vrid) for i in instances if i.family == 6],
            "instances: (interface, vrid) pairs of IPv6 instances")
    _unique(c, [i.vmac_name for i in instances if i.use_vmac], "instances: VMAC names (one per VRID)")
    return instances


def _instance(c: _Checker, raw: Any, where: str, scripts: dict[str, ScriptSpec]) -> InstanceSpec | None:
    spec = c.mapping(raw, where, INSTANCE_KEYS, required=INSTANCE_KEYS - OPTIONAL_INSTANCE_KEYS)
    if not spec:
        return None
    name = c.string(spec.get("name"), f"{where}.name")
    interface = c.ifname(spec.get("interface"), f"{where}.interface")
    vips = _vips(c, spec.get("vips"), f"{where}.vips")
    family = _family(spec.get("vips"))
    primary = _primary_ip(c, spec.get("primary_ip"), f"{where}.primary_ip", family)
    state = c.choice(spec.get("state"), f"{where}.state", ("MASTER", "BACKUP"))
    use_vmac = c.boolean(spec.get("use_vmac"), f"{where}.use_vmac")
    if family == 6 and not _ipv6_limits(c, spec, where, use_vmac):
        vips = []  # refused already: no second message from the core about the same thing
    preempt = c.boolean(spec.get("preempt"), f"{where}.preempt")
    tracked_scripts = c.names(spec.get("track_scripts", []), f"{where}.track_scripts", set(scripts))
    tracked_links = [c.ifname(i, f"{where}.track_interfaces") for i in c.names(
        spec.get("track_interfaces", []), f"{where}.track_interfaces", None)]
    auth_pass = spec.get("auth_pass")
    if auth_pass is not None and not (isinstance(auth_pass, str) and auth_pass):
        c.fail(f"{where}.auth_pass", "a non-empty string or null", auth_pass)
    router = _router_config(c, spec, where, vips, primary, preempt)
    if None in (name, interface, state, use_vmac, router) or not vips:
        return None
    return InstanceSpec(name, interface, tuple(vips), router, state, use_vmac, tuple(tracked_scripts),
                        tuple(i for i in tracked_links if i))


def _router_config(c: _Checker, spec: dict, where: str, vips: list[IPv4Interface | IPv6Interface],
                   primary: IPv4Address | IPv6Address | None, preempt: bool | None) -> RouterConfig | None:
    vrid = c.integer(spec.get("vrid"), f"{where}.vrid", MIN_VRID, MAX_VRID)
    priority = c.integer(spec.get("priority"), f"{where}.priority", MIN_PRIORITY, OWNER_PRIORITY)
    version = c.integer(spec.get("version"), f"{where}.version", 2, 3)
    interval = c.number(spec.get("advert_int"), f"{where}.advert_int", *ADVERT_INT_ANY_VERSION)
    delay = c.number(spec.get("preempt_delay", 0), f"{where}.preempt_delay", 0, 1000)
    if None in (vrid, priority, version, interval, delay, primary, preempt) or not vips:
        return None
    try:
        return RouterConfig(vrid=vrid, priority=priority, version=version, advert_int_s=float(interval),
                            vips=tuple(str(v.ip) for v in vips), primary_ip=str(primary),
                            preempt=preempt, preempt_delay_s=float(delay),
                            auth_pass=spec.get("auth_pass"),
                            lower_prio_advert=True)  # as keepalived does by default
    except ConfigError as exc:
        c.problems.append(f"{where}: {exc}")
        return None


def _vips(c: _Checker, raw: Any, where: str) -> list[IPv4Interface | IPv6Interface]:
    """One family for all (RFC 5798 §5.2.9); for IPv6 the virtual link-local address first."""
    if not isinstance(raw, list) or not raw:
        c.fail(where, "a non-empty list of addresses such as 192.168.1.1/24", raw)
        return []
    parsed = [c.parse(ip_interface, v, f"{where}[{n}]", "an IPv4 or IPv6 address, with or without /prefix")
              for n, v in enumerate(raw)]
    vips = [v for v in parsed if v is not None]
    if len(vips) < len(raw) or vips[0].version == 4 and all(v.version == 4 for v in vips):
        return vips
    before = len(c.problems)
    for n, vip in enumerate(vips):
        if vip.version != vips[0].version:
            c.fail(f"{where}[{n}]", f"an IPv{vips[0].version} address like {where}[0] (one family per "
                   "instance, RFC 5798 §5.2.9)", raw[n])
        elif vip.ip.is_multicast or vip.ip.is_unspecified or vip.ip.is_loopback:
            c.fail(f"{where}[{n}]", "a unicast address", raw[n])
    if vips[0].version == 6 and not vips[0].ip.is_link_local:
        c.fail(f"{where}[0]", "the virtual router's IPv6 link-local address (fe80::/10) first, "
               "RFC 5798 §5.2.9", raw[0])
    return vips if len(c.problems) == before else []


def _family(raw: Any) -> int | None:
    """4 or 6: the family of the first VIP (the instance's, even when some VIPs are refused)."""
    try:
        return ip_interface(raw[0]).version if isinstance(raw, list) and raw and isinstance(raw[0], str) else None
    except ValueError:
        return None


def _primary_ip(c: _Checker, raw: Any, where: str, family: int | None) -> IPv4Address | IPv6Address | None:
    """The router's own address: IPv4, or IPv6 link-local (the advert source) or global."""
    if family is None:  # the VIPs did not say which family
        return c.parse(ip_address, raw, where, "an IPv4 or IPv6 address")
    kind = IPv4Address if family == 4 else IPv6Address
    expected = f"an IPv{family} address like the vips"
    primary = c.parse(kind, raw, where, expected if family == 4 else
                      f"{expected} (its link-local address on the interface, or a global one)")
    if family == 6 and primary is not None and (primary.is_multicast or primary.is_unspecified
                                                 or primary.is_loopback):
        c.fail(where, "a unicast address", raw)
        return None
    return primary


def _ipv6_limits(c: _Checker, spec: dict, where: str, use_vmac: bool | None) -> bool:
    """What an IPv6 instance cannot be: VRRPv2 (RFC 3768 is IPv4 only), or on a VMAC (not yet here)."""
    before = len(c.problems)
    if spec.get("version") == 2:  # other bad values: the version check says so
        c.fail(f"{where}.version", "3 for IPv6 addresses (VRRPv2, RFC 3768, is IPv4 only)", 2)
    if use_vmac:
        c.fail(f"{where}.use_vmac", "false for IPv6 (the bundled speaker has no IPv6 VMAC yet)", True)
    return len(c.problems) == before


def with_link_local_sources(config: DaemonConfig, link_local: Callable[[InstanceSpec], str | None]
                            ) -> DaemonConfig:
    """Every IPv6 instance's advert source (RFC 5798 §5.1.2.1) as `link_local(instance)`
    finds it on its interface: the link-local `primary_ip` itself once usable, or for a
    global `primary_ip` the interface's link-local address, put in its place.
    ConfigProblem if an interface has none (or not the one configured)."""
    instances, problems = [], []
    for inst in config.instances:
        if inst.family == 6:
            primary = inst.router.primary_ip
            found = link_local(inst)
            if found is None:
                which = f"link-local address {primary}" if ip_address(primary).is_link_local else \
                    "IPv6 link-local address"
                problems.append(f"instance {inst.name}: no usable {which} on {inst.device} to send adverts from "
                                "(RFC 5798 §5.1.2.1; missing, or still tentative)")
                continue
            inst = replace(inst, router=replace(inst.router, primary_ip=found))
        instances.append(inst)
    if problems:
        raise ConfigProblem(problems)
    return replace(config, instances=tuple(instances))


def _sync_group(c: _Checker, raw: Any, names: list[str]) -> tuple[str | None, tuple[str, ...]]:
    if raw is None:
        return None, ()
    spec = c.mapping(raw, "sync_group", {"name", "instances"}, required={"name", "instances"})
    name = c.string(spec.get("name"), "sync_group.name")
    known = {n for n in names if isinstance(n, str)}
    members = c.names(spec.get("instances"), "sync_group.instances", known)
    if len(set(members)) < 2 and len(members) == len(spec.get("instances") or []):
        c.fail("sync_group.instances", "at least two distinct instance names", spec.get("instances"))
    return name, tuple(dict.fromkeys(members))


def _warnings(instances: list[InstanceSpec], scripts: dict[str, ScriptSpec]) -> list[str]:
    """What keepalived 2.2.7 accepts but changes, in its own words where it has some."""
    notes = []
    for inst in instances:
        password = inst.router.auth_pass
        if password and len(password.encode()) > AUTH_DATA_LEN:
            notes.append(f"({inst.name}) Truncating auth_pass to {AUTH_DATA_LEN} characters")
        weighted = [s for s in inst.track_scripts if scripts[s].weight]
        if inst.router.owner and weighted:
            notes.append(f"({inst.name}) ignoring weights of tracked script {', '.join(weighted)}: "
                         "priority 255 is the address owner's")
    return notes


def _unique(c: _Checker, values: list, what: str) -> None:
    seen = [v for n, v in enumerate(values) if v in values[:n]]
    if seen:
        c.fail(what, "no duplicates", seen)


def _shown(value: Any) -> str:
    """A value as JSON spells it (true, null), cut short."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class _Checker:
    """Collects problems as `FIELD: expected ..., got ...` and returns None for bad values."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, expected: str, got: Any) -> None:
        self.problems.append(f"{where}: expected {expected}, got {json.dumps(got, default=str)}")

    def mapping(self, raw: Any, where: str, allowed: set[str] | None, required: set[str] = frozenset()) -> dict:
        if not isinstance(raw, dict):
            self.fail(where, "a mapping", raw)
            return {}
        for key in sorted(set(required) - set(raw)):
            self.problems.append(f"{where}.{key}: missing")
        for key in sorted(set(raw) - allowed if allowed is not None else ()):
            self.problems.append(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
        return raw

    def string(self, raw: Any, where: str) -> str | None:
        if isinstance(raw, str) and raw.strip():
            return raw
        self.fail(where, "a non-empty string", raw)
        return None

    def ifname(self, raw: Any, where: str) -> str | None:
        if isinstance(raw, str) and 0 < len(raw) <= IFNAMSIZ and "/" not in raw and not raw.isspace():
            return raw
        self.fail(where, f"an interface name (1 to {IFNAMSIZ} characters)", raw)
        return None

    def boolean(self, raw: Any, where: str) -> bool | None:
        if isinstance(raw, bool):
            return raw
        self.fail(where, "true or false", raw)
        return None

    def number(self, raw: Any, where: str, low: float, high: float) -> float | None:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and low <= raw <= high:
            return raw
        self.fail(where, f"a number from {low:g} to {high:g}", raw)
        return None

    def integer(self, raw: Any, where: str, low: int, high: int) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool) and low <= raw <= high:
            return raw
        self.fail(where, f"an integer from {low} to {high}", raw)
        return None

    def choice(self, raw: Any, where: str, choices: tuple[str, ...]) -> str | None:
        if raw in choices:
            return raw
        self.fail(where, " or ".join(choices), raw)
        return None

    def parse(self, kind: type, raw: Any, where: str, expected: str) -> Any:
        try:
            if isinstance(raw, str):
                return kind(raw)
        except ValueError:
            pass
        self.fail(where, expected, raw)
        return None

    def names(self, raw: Any, where: str, known: set[str] | None) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
            self.fail(where, "a list of names", raw)
            return []
        unknown = [n for n in raw if known is not None and n not in known]
        if unknown:
            self.fail(where, f"names defined in the config ({', '.join(sorted(known)) or 'none'})", unknown)
        return [n for n in raw if n not in unknown]
