"""Scenarios: finding them, their steps, faults and probes, on a loaded topology.

A scenario's `vrrp` section is merged over its topology's before that is
checked (`load_topology`); a topology's problems are reported with the
scenario's.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from vrrplab.boundedio import one_line
from vrrplab.errors import InputError
from vrrplab.faults.catalogue import ATTACKER_KINDS, FORGING_KINDS, KINDS, kinds_where
from vrrplab.faults.files import PRIORITY_CHECK_S, priority_script
from vrrplab.i18n import N_, Message
from vrrplab.loader.model import (
    LINK_LOCAL,
    Address,
    Fault,
    Probe,
    Scenario,
    Step,
    Topology,
    TrackScript,
)
from vrrplab.loader.scale import ROUTERS_RANGE, VRIDS_RANGE, Refused, Scale
from vrrplab.loader.topology import _check_auth_agreement, load_topology
from vrrplab.loader.yamlio import (
    LOWER_NAME,
    LOWER_NAME_TEXT,
    ONE_LINE,
    Checker,
    _given,
    problems_of,
)
from vrrplab.vrrp import bounds
from vrrplab.vrrp.bounds import BOUND_KINDS
from vrrplab.vrrp.config import MAX_BACKUP_PRIORITY, MIN_PRIORITY

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent  # vrrplab/loader/ -> the repo
FAULT_KINDS = tuple(KINDS)  # one list of fault kinds: faults.catalogue
NO_MASTER = "none"  # expect_master: none - the routers stepped down (a rogue router)
LINK_KINDS = kinds_where(takes_interface=True)
UPSTREAM_KINDS = kinds_where(needs_upstream=True)
IPV4_ONLY_KINDS = kinds_where(ipv4_only=True)
CASCADE_KINDS = ("crash", "stop")  # the master goes away: the next in line takes over
MAX_RUN_S = 600.0  # a scenario longer than this is a mistake, not a lesson
ALLOWANCES = ("long_auth_pass",)  # mistakes a scenario may make on purpose, to show them
# what the configuration carries and a speaker could run without (speakers.fit), which a
# scenario about it declares with `needs:` so that it is skipped rather than run without
DECLARABLE_NEEDS = ("auth", "sync_group")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def find_scenario(name_or_path: str) -> Path:
    """A path as given (a `.yaml` name or one with a `/`), or a name of the catalogue: what
    `vrrplab list` shows, never a look-alike in the current folder (a `./scenarios/NAME.yaml`
    runs when named by its path)."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not _is_file(candidate):
            raise InputError(Message(N_("{name}: no such scenario file"),
                                     name=one_line(name_or_path)))
        return candidate
    path = PROJECT_ROOT / "scenarios" / f"{name_or_path}.yaml"
    if _is_file(path) and path in list_scenarios():
        return path
    known = ", ".join(p.stem for p in list_scenarios())
    raise InputError(Message(N_("{name}: no such scenario (known: {known})"),
                             name=one_line(name_or_path), known=known))


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


def load_scenario(path: Path, vrrp_version: int | None = None,
                  scale: Scale | None = None) -> Scenario:
    """Load a scenario and its topology; `vrrp_version` runs it in another VRRP version,
    `scale` (the command line's --routers, --vrids) grows its lab over its own `scale:`."""
    from vrrplab import loader  # the package's read_yaml, at call time: tests replace it
    data = loader.read_yaml(path)
    c = Checker(path)
    top = c.mapping(data, "", required=("name", "description", "topology", "steps"),
                    optional=("probe", "vrrp", "lesson", "allow", "needs", "scale"),
                    what=N_("a vrrplab scenario"))
    allow = _given(top, "allow", [])
    if not isinstance(allow, list) or any(a not in ALLOWANCES for a in allow):
        c.fail("allow", Message(N_("a list among {allowances}"),
                                allowances=", ".join(ALLOWANCES)), allow)
        allow = []
    needs = _given(top, "needs", [])
    if not isinstance(needs, list) or any(n not in DECLARABLE_NEEDS for n in needs):
        c.fail("needs", Message(N_("a list among {needs} (what the scenario is about, which "
                                   "a speaker lacking it must not run without)"),
                                needs=", ".join(DECLARABLE_NEEDS)), needs)
        needs = []
    vrrp_overrides = _given(top, "vrrp", {})
    if not isinstance(vrrp_overrides, dict):
        c.fail("vrrp", N_("a mapping of the topology's vrrp settings to change"), vrrp_overrides)
        vrrp_overrides = {}
    if _given(top, "lesson", None) is not None:
        c.string(top["lesson"], "lesson", what=N_("a text explaining what the run shows"))
    if top:
        c.string(top.get("name"), "name", LOWER_NAME, LOWER_NAME_TEXT)
        c.string(top.get("description"), "description", ONE_LINE, N_("a one-line text"))
    topo_ref = top.get("topology")
    topo_path = _find_topology(topo_ref, path) if isinstance(topo_ref, str) else None
    if topo_path is None and "topology" in top:
        c.fail("topology", N_("the name of a file in topologies/ (or a path to a .yaml, from "
                              "the scenario's folder)"), topo_ref)
    scale = (scale or Scale()).over(_scale(c, _given(top, "scale", {}), path))
    c.raise_if_any()
    try:
        topology = load_topology(topo_path, vrrp_overrides, path if vrrp_overrides else None,
                                 allow=frozenset(allow), check_auth=False,
                                 force_version=vrrp_version, scale=scale)
    except Refused:
        raise  # said where the number came from: the scenario's scale: or the command line
    except InputError as exc:
        c.fail("topology", N_("a topology that validates with the scenario's vrrp settings (its "
                              "problems are above)") if vrrp_overrides else
               N_("a topology that validates (its problems are above)"), topo_ref)
        raise InputError(problems_of(exc) + c.problems) from None
    steps = _steps(c, top.get("steps"), topology, scale)
    topology = _with_priority_scripts(topology, [s.fault for s in steps if s.fault])
    probes = _probes(c, _given(top, "probe", {}), topology)
    if not any(s.action == "wait_masters" or (s.fault and len(s.fault.holders()) > 1)
               for s in steps):
        _check_auth_agreement(c, topology.vrrp, N_("a scenario that shows this split brain says "
                                                   "so with a wait_masters step or a fault with "
                                                   "two vip_holders"))
    c.raise_if_any()
    return Scenario(name=top["name"], description=top["description"], path=path,
                    topology=topology, steps=tuple(steps), probes=probes,
                    lesson=_given(top, "lesson", ""), needs=tuple(needs),
                    scale=dict(topology.grown))


def _scale(c: Checker, raw: Any, path: Path) -> Scale:
    """The scenario's `scale:` mapping: how many routers, how many VRIDs on its LAN."""
    spec = c.mapping(raw, "scale", optional=("routers", "vrids"))
    routers = c.number(spec["routers"], "scale.routers", *ROUTERS_RANGE, integer=True) \
        if "routers" in spec else None
    vrids = c.number(spec["vrids"], "scale.vrids", *VRIDS_RANGE, integer=True) \
        if "vrids" in spec else None
    return Scale(routers, vrids, path if routers is not None else None,
                 path if vrids is not None else None)


def _routers_list(c: Checker, value: Any, field: str, routers: tuple[str, ...],
                  least: int, what: str) -> tuple[str, ...] | None:
    """A list of `least` or more distinct routers."""
    if not isinstance(value, list) or len(value) < least \
            or any(not isinstance(v, str) or v not in routers for v in value) \
            or len(set(value)) != len(value):
        c.fail(field, Message(N_("a list of {what} among {routers}, each once"),
                              what=Message(what), routers=", ".join(routers)), value)
        return None
    return tuple(value)


def _steps(c: Checker, raw: Any, topology: Topology, scale: Scale) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        c.fail("steps", N_("a non-empty list of steps"), raw)
        return []
    steps, total = [], 0.0
    fault_names: dict[str, str] = {}  # each fault's name -> the step that named it
    attacks: dict[str, str] = {}  # attacker host -> the attack fault running on it
    routers = tuple(r.name for r in topology.routers)
    for i, spec in enumerate(raw):
        field = f"steps[{i}]"
        if not isinstance(spec, dict) or len(spec) != 1:
            c.fail(field, N_("a mapping with one key: wait_master, wait_masters, hold, fault "
                             "or cascade"), spec)
            continue
        c.mapping(spec, field, optional=("wait_master", "wait_masters", "hold", "fault",
                                         "cascade"))
        (action, value), = spec.items()
        if action == "cascade":
            cascade = _cascade(c, value, f"{field}.cascade", topology)
            if not _cascade_names_free(c, cascade, f"{field}.cascade", fault_names):
                continue
            for fault_spec, seconds in cascade:
                fault = _fault(c, fault_spec, f"{field}.cascade", topology, fault_names)
                if fault:
                    total += _fault_estimate(topology, fault, routers) + seconds
                    steps += [Step("fault", fault=fault), Step("hold", seconds=seconds)]
            continue
        if action == "wait_master" and isinstance(value, dict) and "vrids" in topology.grown:
            # load-sharing --vrids 16: the added VRIDs copy one group; no step says whose
            raise scale.refused("vrids", Message(N_(
                "a scenario whose wait_master names no instance ({field} names each "
                "instance's master; the VRIDs added would have none)"),
                field=f"{field}.wait_master"))
        if action == "wait_master" and isinstance(value, dict):
            masters = _masters_by_instance(c, value, f"{field}.wait_master", topology)
            if masters:
                steps.append(Step("wait_master", router=masters[0][1], masters=masters))
        elif action == "wait_master":
            if c.choice(value, f"{field}.wait_master", routers):
                steps.append(Step("wait_master", router=value))
        elif action == "wait_masters":
            masters = _routers_list(c, value, f"{field}.wait_masters", routers, 2,
                                    N_("two or more routers (a split brain the scenario "
                                       "expects)"))
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
                total += _fault_estimate(topology, fault, routers)
                steps.append(Step("fault", fault=fault))
    if total > MAX_RUN_S:
        c.fail("steps", Message(N_("a run of at most {longest:g} s (holds plus each fault's "
                                   "Master_Down_Interval, preempt_delay and margin)"),
                                longest=MAX_RUN_S), f"{total:.0f} s")
    return steps


def _fault_estimate(topology: Topology, fault: Fault, routers: tuple[str, ...]) -> float:
    """How long a fault's step may take, for the run's total (MAX_RUN_S)."""
    slowest = max(topology.vrrp.master_down_interval(r) for r in routers)
    delay = topology.vrrp.preempt_delay if KINDS[fault.kind].returns else 0.0
    flapping = fault.period * fault.count if fault.kind == "flap" else 0.0
    return bounds.fault_estimate_s(slowest, delay) + flapping


def _cascade(c: Checker, raw: Any, field: str,
             topology: Topology) -> list[tuple[dict, float]]:
    """`cascade: {kind: crash, hold: 2}`: the master fails, then the next, down the order
    of priority until the last router is master: a fault and a hold per router but the
    last, whatever the number of routers (`--routers 16`)."""
    spec = c.mapping(raw, field, optional=("kind", "hold"))
    kind = c.choice(_given(spec, "kind", "crash"), f"{field}.kind", CASCADE_KINDS)
    seconds = c.number(_given(spec, "hold", 2.0), f"{field}.hold", 0, MAX_RUN_S)
    if kind is None or seconds is None:
        return []
    order = sorted(topology.vrrp.routers, key=lambda r: -r.priority)
    return [({"name": f"{kind}-{old.name}", "kind": kind, "target": old.name,
              "expect_master": new.name}, float(seconds)) for old, new in zip(order, order[1:])]


def _cascade_names_free(c: Checker, cascade: list[tuple[dict, float]], field: str,
                        names: dict[str, str]) -> bool:
    """A cascade names its faults KIND-ROUTER (crash-r1): one a step before already has
    (another cascade, a fault of that name) is said once, with where it is."""
    taken = [f"{spec['name']} ({names[spec['name']]})" for spec, _ in cascade
             if spec["name"] in names]
    if taken:
        c.fail(field, Message(N_("a cascade whose faults' names ({names}) no other fault has"),
                              names=", ".join(spec["name"] for spec, _ in cascade)),
               ", ".join(taken))
    return not taken


def _instance_names(c: Checker, value: Any, field: str, topology: Topology,
                    taken: set[str] | None = None) -> tuple[str, ...] | None:
    """A list of the topology's VRRP instances, each once (and in no other list: `taken`)."""
    known = tuple(i.name for i in topology.vrrp.instances)
    taken = set() if taken is None else taken
    if not isinstance(value, list) or not value \
            or any(not isinstance(v, str) or v not in known for v in value) \
            or len(set(value)) != len(value) or taken & set(value):
        c.fail(field, Message(N_("a list of instances among {instances}, each once"),
                              instances=", ".join(known)), value)
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
            c.fail(f"{field}", Message(N_("routers among {routers} as keys"),
                                       routers=", ".join(routers)), router)
            return None
        listed = _instance_names(c, names, f"{field}.{router}", topology, taken)
        if listed is None:
            return None
        masters += [(name, router) for name in listed]
    missing = [i.name for i in topology.vrrp.instances if i.name not in taken]
    if missing:
        # TRANSLATORS: what the file gave, quoted as a value is: 'VI_A, VI_B under none'
        c.fail(field, N_("every instance under one router"),
               Message(N_("'{instances} under none'"), instances=", ".join(missing)))
        return None
    order = [i.name for i in topology.vrrp.instances]
    return tuple(sorted(masters, key=lambda m: order.index(m[0])))


def _fault(c: Checker, raw: Any, field: str, topology: Topology,
           names: dict[str, str]) -> Fault | None:
    routers = tuple(r.name for r in topology.routers)
    spec = c.mapping(raw, field, required=("name", "kind", "target", "expect_master"),
                     optional=("interface", "vip_holders", "takeover", "period", "count", "duty",
                               "bound", "unstable", "rate", "instances", "priority"))
    if not spec:
        return None
    name = c.string(spec.get("name"), f"{field}.name", LOWER_NAME, LOWER_NAME_TEXT)
    if name in names:
        c.fail(f"{field}.name", N_("a name no other fault has"), name)
    names.setdefault(name, field)
    kind = c.choice(spec.get("kind"), f"{field}.kind", FAULT_KINDS)
    target = _fault_target(c, spec.get("target"), f"{field}.target", kind, topology)
    expect = _expect_master(c, spec.get("expect_master"), f"{field}.expect_master", kind, routers)
    unstable = c.boolean(_given(spec, "unstable", False), f"{field}.unstable")
    if unstable and kind and kind not in FORGING_KINDS:
        c.fail(f"{field}.unstable", Message(N_("no unstable for kind {kind} (only for {kinds}, "
                                               "whose repeated elections have no single master)"),
                                            kind=kind, kinds=", ".join(FORGING_KINDS)), unstable)
        unstable = None
    if "rate" in spec and kind and kind != "zero_storm":
        c.fail(f"{field}.rate", Message(N_("no rate for kind {kind} (only for zero_storm)"),
                                        kind=kind), spec["rate"])
    rate = c.number(_given(spec, "rate", 1.5), f"{field}.rate", 0.1, 100)
    interface = spec.get("interface")
    if interface is not None and kind and kind not in LINK_KINDS:
        c.fail(f"{field}.interface", Message(N_("no interface for kind {kind} (only for "
                                                "{kinds})"), kind=kind,
                                             kinds=", ".join(LINK_KINDS)), interface)
        interface = None
    elif interface is not None and target:
        own = tuple(i.name for i in topology.node(target).interfaces)
        interface = c.choice(interface, f"{field}.interface", own)
    for key in ("period", "count", "duty"):
        if key in spec and kind and kind != "flap":
            c.fail(f"{field}.{key}", Message(N_("no {key} for kind {kind} (only for flap)"),
                                             key=key, kind=kind), spec[key])
    if kind in IPV4_ONLY_KINDS and topology.lan_instance().family == 6:
        c.fail(f"{field}.kind", Message(N_("a kind other than {kind} in an IPv6 lab (the "
                                           "attacker and the guard speak IPv4 only)"), kind=kind),
               kind)
    if kind == "set_priority" and target in routers and any(
            i.priority_override(target) is not None for i in topology.vrrp.instances):
        c.fail(f"{field}.target", Message(N_("a router without per-instance priorities "
                                             "({router} has some: one weight cannot set them "
                                             "all to one priority)"), router=target), target)
    if kind in UPSTREAM_KINDS and not topology.upstream_hosts:
        c.fail(f"{field}.kind", Message(N_("a kind other than {kind}: it cuts the path to the "
                                           "upstream host, and topology {topology} has none"),
                                        kind=kind, topology=topology.name), kind)
    holders = (expect,) if expect != NO_MASTER else ()
    if "vip_holders" in spec and expect == NO_MASTER:
        c.fail(f"{field}.vip_holders", N_("no vip_holders with expect_master: none (no router "
                                          "holds the VIP then)"), spec["vip_holders"])
    elif "vip_holders" in spec:
        holders = _routers_list(c, spec["vip_holders"], f"{field}.vip_holders", routers, 1,
                                N_("routers")) or holders
    takeover = c.boolean(_given(spec, "takeover", True), f"{field}.takeover")
    instances: tuple[str, ...] | None = ()
    if "instances" in spec and expect == NO_MASTER:
        c.fail(f"{field}.instances", N_("no instances with expect_master: none (every router "
                                        "steps down)"), spec["instances"])
    elif "instances" in spec:
        instances = _instance_names(c, spec["instances"], f"{field}.instances", topology)
        gateways = {i.name for i in topology.gateway_instances()}
        if instances and not gateways & set(instances):
            c.fail(f"{field}.instances", Message(N_("at least one LAN instance ({instances}): "
                                                    "the fault is measured on a gateway"),
                                                 instances=", ".join(sorted(gateways))),
                   spec["instances"])
            instances = None
    bound = spec.get("bound")
    if bound is not None:
        bound = c.choice(bound, f"{field}.bound", BOUND_KINDS)
        if bound == "healthcheck" and target in routers \
                and not topology.vrrp.router(target).track_scripts:
            c.fail(f"{field}.bound", Message(N_("a router with track_scripts for 'healthcheck' "
                                                "({router} has none)"), router=target))
    priority = _set_priority(c, spec, field, kind)
    period = c.number(_given(spec, "period", 2.0), f"{field}.period", 0.05, 60)
    count = c.number(_given(spec, "count", 3), f"{field}.count", 1, 100, integer=True)
    duty = c.number(_given(spec, "duty", 0.5), f"{field}.duty", 0.05, 0.95)
    if None in (name, kind, target, expect, takeover, period, count, duty, unstable, rate,
                instances) or priority is False:
        return None
    if kind == "flap" and period * count > MAX_RUN_S / 2:
        c.fail(f"{field}.count", Message(N_("period x count under {longest:g} s"),
                                         longest=MAX_RUN_S / 2), count)
    return Fault(name, kind, target, None if expect == NO_MASTER else expect,
                 interface=interface, vip_holders=tuple(holders), takeover=takeover,
                 period=float(period), count=count, duty=float(duty), bound=bound,
                 unstable=unstable, rate=float(rate), instances=instances,
                 priority=priority or None)


def _set_priority(c: Checker, spec: dict, field: str, kind: str | None) -> int | None | bool:
    """set_priority's `priority` (1 to 254, required there, nowhere else); False if wrong."""
    if kind != "set_priority":
        if "priority" in spec and kind:
            c.fail(f"{field}.priority", Message(N_("no priority for kind {kind} (only for "
                                                   "set_priority)"), kind=kind), spec["priority"])
            return False
        return None
    if "priority" not in spec:
        c.fail(f"{field}.priority", Message(N_("the router's new priority, {low} to {high} "
                                               "(required for set_priority)"),
                                            low=MIN_PRIORITY, high=MAX_BACKUP_PRIORITY))
        return False
    priority = c.number(spec["priority"], f"{field}.priority", MIN_PRIORITY, MAX_BACKUP_PRIORITY,
                        integer=True)
    return False if priority is None else int(priority)


def _with_priority_scripts(topology: Topology, faults: list[Fault]) -> Topology:
    """A track script per priority a set_priority fault asks of a router (see faults)."""
    wanted = {(f.target, f.priority) for f in faults if f.kind == "set_priority"}
    routers = []
    for router in topology.vrrp.routers:
        scripts = []
        for name, priority in sorted(wanted):
            if name == router.name and priority != router.priority:
                script, command, weight = priority_script(name, router.priority, priority)
                scripts.append(TrackScript(script, command, PRIORITY_CHECK_S, weight))
        routers.append(replace(router, track_scripts=router.track_scripts + tuple(scripts)))
    return replace(topology, vrrp=replace(topology.vrrp, routers=tuple(routers)))


def _fault_target(c: Checker, value: Any, field: str, kind: str | None,
                  topology: Topology) -> str | None:
    """A router, or for the attack kinds an attacker host (role attacker)."""
    if kind not in ATTACKER_KINDS:
        return c.choice(value, field, tuple(r.name for r in topology.routers))
    attackers = tuple(n.name for n in topology.attackers)
    if not attackers:
        c.fail(field, Message(N_("an attacker host for kind {kind}, and topology {topology} has "
                                 "none (a host with role: attacker, as in "
                                 "topologies/attacked.yaml)"), kind=kind, topology=topology.name),
               value)
        return None
    if value not in attackers:
        c.fail(field, Message(N_("an attacker host for kind {kind}: one of {attackers}"),
                              kind=kind, attackers=", ".join(attackers)), value)
        return None
    return value


def _expect_master(c: Checker, value: Any, field: str, kind: str | None,
                   routers: tuple[str, ...]) -> str | None:
    """A router; `none` only where an attack makes every router step down."""
    if value == NO_MASTER and kind in FORGING_KINDS:
        return NO_MASTER
    if value == NO_MASTER and kind:
        c.fail(field, Message(N_("a router (none only for {kinds}: a forged master can silence "
                                 "every router)"), kinds=", ".join(FORGING_KINDS)), value)
        return None
    return c.choice(value, field, routers)


def _check_attack_sequence(c: Checker, fault: Fault, field: str, attacks: dict) -> None:
    """One attack at a time per attacker, and stop_attack only while one runs."""
    if fault.kind in FORGING_KINDS:
        if fault.target in attacks:
            c.fail(f"{field}.kind", Message(N_("a stop_attack on {attacker} first (its attack "
                                               "{fault} still runs)"), attacker=fault.target,
                                            fault=attacks[fault.target]), fault.kind)
        attacks[fault.target] = fault.name
    elif fault.kind == "stop_attack" and attacks.pop(fault.target, None) is None:
        c.fail(f"{field}.kind", Message(N_("an attack running on {attacker} before stop_attack "
                                           "(a rogue_router or zero_storm fault earlier)"),
                                        attacker=fault.target), fault.kind)


def _probes(c: Checker, raw: Any, topology: Topology) -> tuple[Probe, ...]:
    """The scenario's `probe`, or by default every client probing its gateway and upstream."""
    spec = c.mapping(raw, "probe", optional=("from", "targets", "interval"))
    clients = tuple(n.name for n in topology.clients)
    if not clients:
        c.fail("topology", Message(N_("a topology with a client host to probe from ({file})"),
                                   file=str(topology.path)))
        return (Probe("", (), 0.005),)
    if len(topology.gateway_instances()) > 1:
        # load sharing: each client probes its own gateway; only the pace is the scenario's
        for key in ("from", "targets"):
            if key in spec:
                c.fail(f"probe.{key}", N_("no probe source or targets with load sharing (every "
                                          "client probes its own gateway; probe.interval may be "
                                          "given)"), spec[key])
        interval = c.number(_given(spec, "interval", 0.005), "probe.interval", 0.001, 1.0)
        return tuple(Probe(client, _default_targets(topology, client), float(interval or 0.005))
                     for client in clients)
    if spec:
        return (_probe(c, spec, topology, clients),)
    return tuple(Probe(client, _default_targets(topology, client), 0.005) for client in clients)


def default_probes(topology: Topology) -> tuple[Probe, ...]:
    """What a scenario without `probe` probes (every client its gateway, then the upstream
    hosts), for a bare topology (`vrrplab shell TOPOLOGY`'s `measure`)."""
    c = Checker(topology.path)
    probes = _probes(c, {}, topology)
    c.raise_if_any()
    return probes


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
        c.fail("probe.targets", N_("a non-empty list of IPv4 (or IPv6) addresses"), raw_targets)
        raw_targets = []
    for i, value in enumerate(raw_targets):
        target = c.parse(ip_address, value, f"probe.targets[{i}]",
                         N_("an IPv4 address such as 192.168.1.1 (or IPv6)"))
        if target is not None and target.version == 6 and target in LINK_LOCAL:
            c.fail(f"probe.targets[{i}]", N_("a global address (a link-local one needs an "
                                             "interface to go with it; ping the instance's "
                                             "global VIP)"), value)
        elif target is not None and target not in in_lab:
            c.fail(f"probe.targets[{i}]", N_("an address in the lab (a node's or a VIP; the "
                                             "lab has no way out)"), value)
        elif target is not None and target in targets:
            c.fail(f"probe.targets[{i}]", N_("each target once"), value)
        elif target is not None:
            targets.append(target)
    interval = c.number(_given(spec, "interval", 0.005), "probe.interval", 0.001, 1.0)
    return Probe(source or clients[0], tuple(targets), float(interval or 0.005))
