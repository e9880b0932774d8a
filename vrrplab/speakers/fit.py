"""What a scenario asks of the speakers, against what each speaker kind can do. Pure.

A speaker may lack a feature the lab's configuration uses (FRR's vrrpd has no
health-check scripts, no PASS authentication, no sync groups, no preempt_delay, no
interface tracking). Two cases:
- the scenario needs it (its faults are driven by scripts, its lesson is about the
  password: `needs:` in the scenario, or derived below): the run is skipped, with the
  reason, never failed and never run without it;
- the configuration merely carries it (the textbook's auth_pass and sync group under
  a graceful stop): the run goes on without it for every router (they must agree on
  the wire) and says so in the summary and results.json (`adapted`).
A speaker may also impose something: vrrpd always answers with the virtual MAC, so
with FRR on any router every router uses it (`use_vmac`), said the same way; over IPv6
that is a feature of its own (`ipv6_vmac`), which the bundled speaker lacks.
A speaker may be known to do something against the RFC with a feature the scenario uses
(`features.KNOWN`: FRR over IPv6): the run goes on as written, its checks fail as they
must, and `adapted` says why (change `known`).
"""

from __future__ import annotations

import dataclasses

from vrrplab.errors import InputError
from vrrplab.features import ALWAYS_VMAC, KNOWN, LACKS, describe_missing
from vrrplab.loader.model import Scenario, Vrrp

def used_features(scenario: Scenario, kinds: dict[str, str] | None = None) -> dict[str, bool]:
    """Each feature the scenario's configuration uses on these speakers (router -> kind:
    what a speaker imposes counts) -> whether the scenario needs it."""
    vrrp = scenario.topology.vrrp
    used: dict[str, bool] = {}
    if vrrp.version == 2 and (vrrp.auth_pass or any(r.auth_pass for r in vrrp.routers)):
        used["auth"] = "auth" in scenario.needs
    if vrrp.sync_group:
        used["sync_group"] = "sync_group" in scenario.needs
    if any(r.track_scripts for r in vrrp.routers):
        used["scripts"] = True  # a check's verdict moves a priority: the scenario's fault
    if any(r.track_interfaces for r in vrrp.routers):
        used["track_interface"] = True
    if vrrp.preempt_delay:
        used["preempt_delay"] = True
    if any(inst.family == 6 for inst in vrrp.instances):
        used["ipv6"] = True
        imposed = any(kind in ALWAYS_VMAC for kind in (kinds or {}).values())
        if vrrp.use_vmac or imposed:
            used["ipv6_vmac"] = True
    if any(vrrp.priority(r.name, inst.name) == 255 for r in vrrp.routers
           for inst in vrrp.instances):
        used["owner"] = True
    keys = [(inst.family, inst.vrid) for inst in vrrp.instances]
    if len(set(keys)) < len(keys):
        used["vrid_reused"] = True
    return used


def missing(scenario: Scenario, kinds: dict[str, str]) -> list[dict]:
    """Why the scenario cannot run on these speakers (router -> kind), as results.json's
    `skipped_because` holds it (features.describe_missing words it): empty if it can."""
    reasons = []
    for feature, needed in used_features(scenario, kinds).items():
        lacking = [r for r, kind in kinds.items() if feature in LACKS.get(kind, ())]
        if needed and lacking:
            reasons.append({"feature": feature, "routers": lacking, "kind": kinds[lacking[0]]})
    return reasons


def fitted(scenario: Scenario, kinds: dict[str, str]) -> Scenario:
    """The scenario as these speakers run it: what a speaker lacks and the scenario does
    not need is left out on every router, what a speaker imposes is taken by all; each
    change said in `scenario.adapted` (features.describe_adaptation words it), and so is
    what a speaker is known to do against the RFC with a feature used (change `known`: the
    run goes on as written). Call it only when `missing` is empty."""
    vrrp, adapted = scenario.topology.vrrp, list(scenario.adapted)
    used = used_features(scenario, kinds)
    for feature, needed in used.items():
        lacking = [r for r, kind in kinds.items() if feature in LACKS.get(kind, ())]
        if lacking and not needed:
            vrrp = _without(vrrp, feature)
            adapted.append({"change": "without", "feature": feature, "routers": lacking,
                            "kind": kinds[lacking[0]]})
    imposing = [r for r, kind in kinds.items() if kind in ALWAYS_VMAC]
    if imposing and not vrrp.use_vmac:
        vrrp = dataclasses.replace(vrrp, use_vmac=True)
        adapted.append({"change": "use_vmac", "routers": imposing, "kind": kinds[imposing[0]]})
    for kind in dict.fromkeys(kinds.values()):  # each kind once, in the routers' order
        for feature in KNOWN.get(kind, {}):
            if feature in used:
                adapted.append({"change": "known", "feature": feature, "kind": kind,
                                "routers": [r for r, k in kinds.items() if k == kind]})
    if vrrp is scenario.topology.vrrp and len(adapted) == len(scenario.adapted):
        return scenario
    topology = dataclasses.replace(scenario.topology, vrrp=vrrp)
    return dataclasses.replace(scenario, topology=topology, adapted=tuple(adapted))


def refuse_missing(scenario: Scenario, kinds: dict[str, str]) -> Scenario:
    """`fitted`, or InputError (exit 2) naming what the speakers lack: for commands where a
    skip means nothing (`vrrplab shell`)."""
    reasons = missing(scenario, kinds)
    if reasons:
        raise InputError([describe_missing(r) for r in reasons])
    return fitted(scenario, kinds)


def _without(vrrp: Vrrp, feature: str) -> Vrrp:
    if feature == "auth":
        return dataclasses.replace(vrrp, auth_pass=None, routers=tuple(
            dataclasses.replace(r, auth_pass=None) for r in vrrp.routers))
    if feature == "sync_group":
        return dataclasses.replace(vrrp, sync_group=None)
    raise ValueError(f"{feature} is always needed when used")  # scripts, tracking, delay
