"""The textbook's verification steps, and each fault's expectations, as named checks.

Pure: reads only the results document (snapshots, faults, probes, evidence), so
the same checks can be re-run on an old results.json. Each check is
`{"name", "ok", "detail"}`; the detail says what was seen, in the lesson's words.
"""

from __future__ import annotations

TAKEOVER_MARGIN_S = 0.2  # scheduling and capture slack over the RFC bound
# a (re)started daemon first starts its process (the bundled speaker: Python and its
# imports, 0.14 s here, up to 0.2 s on a busy machine) before its Master_Down_Timer runs
START_MARGIN_S = 0.25
GAP_MARGIN_S = 0.35  # the client also waits for its next probe and the new ARP entry
VMAC_PREFIX = "00:00:5e:00:01:"
ATTACK_KINDS = ("rogue_router", "zero_storm", "malformed")  # faults.ATTACKS, kept here: checks stay pure


def check(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail}


def build_checks(results: dict) -> list[dict]:
    checks = [check("the run completed", False, err) for err in results["errors"]]
    snapshots = {s["label"]: s for s in results["snapshots"]}
    vip = results["vrrp"]["vip"]
    vmac = f"{VMAC_PREFIX}{results['vrrp']['vrid']:02x}" if results["vrrp"].get("use_vmac") else None
    if "converge" in snapshots:
        first = snapshots["converge"]["expected_master"]
        checks += _steady_state_checks(snapshots["converge"], vip, "", vmac)
        checks.append(_log_shows_master(results, first, ""))
        checks.append(_client_reaches_vip(results, vip))
    if results.get("auth_mismatch"):
        checks.append(_auth_mismatch_check(results))
    for fault in results["faults"]:
        checks += _fault_checks(fault, results, fault.get("vip", vip))
        if fault["kind"] in ATTACK_KINDS:
            checks += _attack_checks(fault, results)
        # during repeated elections any snapshot is a moving target: nothing to check
        if fault["name"] in snapshots and not fault.get("unstable"):
            checks += _steady_state_checks(snapshots[fault["name"]], vip, f"{fault['name']}: ", vmac)
    if len(results["vrrp"].get("gateways", [])) > 1:
        checks += _load_sharing_checks(results, snapshots, vmac)
    return checks


def _load_sharing_checks(results: dict, snapshots: dict, vmac: str | None) -> list[dict]:
    """Two gateways or more: each one's VIP where expected, and a fault moves only its own."""
    checks = []
    main = results["vrrp"]["gateways"][0]["instance"]
    labels = ["converge"] + [f["name"] for f in results["faults"]]
    for label in labels:
        snap = snapshots.get(label)
        if snap is None or snap.get("expected_master") is None:
            continue
        prefix = "" if label == "converge" else f"{label}: "
        for name, gw in snap.get("gateways", {}).items():
            if name != main and gw.get("expected_master"):
                view = {**snap, "expected_master": gw["expected_master"],
                        "expected_holders": [gw["expected_master"]], "client_arp": gw["client_arp"]}
                gw_vmac = None if vmac is None else vmac[:-2] + f"{_vrid(results, name):02x}"
                checks += _steady_state_checks(view, gw["vip"], f"{prefix}{name}: ", gw_vmac)
    for fault in results["faults"]:
        for name, gw in fault.get("gateways", {}).items():
            checks.append(_gateway_fault_check(fault["name"], name, gw))
    return checks


def _vrid(results: dict, instance: str) -> int:
    return next(g["vrid"] for g in results["vrrp"]["gateways"] if g["instance"] == instance)


def _gateway_fault_check(fault: str, name: str, gw: dict) -> dict:
    """A gateway the fault did not concern keeps its master and loses nothing."""
    before, after = gw["expected_before"], gw["expected_master"]
    loss = (f"{gw['client']} lost {gw['lost_probes']} probes to {gw['vip']}, longest gap "
            f"{_s(gw['data_gap_s'])}")
    if before == after:
        return check(f"{fault}: {name} ({gw['vip']}) stays on {after}, its client untouched",
                     gw["settled_master"] in (after, None) and gw["master_changes"] == 0
                     and gw["lost_probes"] == 0,
                     f"{gw['master_changes']} changes of master on VRID {gw['vrid']}; {loss}")
    return check(f"{fault}: {name} ({gw['vip']}) moves from {before} to {after}",
                 gw["settled_master"] == after,
                 f"the last advert for VRID {gw['vrid']} came from "
                 f"{gw['settled_master'] or 'nobody'}; {loss}")


def _steady_state_checks(snap: dict, vip: str, prefix: str, vmac: str | None) -> list[dict]:
    master = snap["expected_master"]
    if master is None:
        return _nobody_master_checks(snap, vip, prefix)
    expected = snap.get("expected_holders", [master])
    holders = [r for r, addrs in snap["vips"].items() if vip in addrs]
    arp = snap["client_arp"]
    owner = next((r for r in expected if snap["macs"][r] == arp), None)
    if vmac:
        owner = master if arp == vmac else None
        kind = (f"the VRRP virtual MAC, as the textbook says (use_vmac)" if owner
                else f"not the virtual MAC {vmac} that use_vmac should give")
    elif arp and arp.startswith(VMAC_PREFIX):
        kind, owner = "a VRRP virtual MAC", owner or master
    elif owner:
        kind = (f"{owner}'s own MAC: without use_vmac keepalived answers with the router's "
                f"MAC, not the textbook's {VMAC_PREFIX}0a" if ":" not in vip else
                f"{owner}'s own MAC, from its unsolicited Neighbor Advertisements")
    else:
        kind = f"not the MAC of {' or '.join(expected)}"
    arp_title = master if len(expected) == 1 else " or ".join(expected)
    if len(expected) == 1:
        where = f"{prefix}VIP on {master}'s interface only (ip addr show)"
    else:
        where = f"{prefix}VIP on {' and '.join(expected)} at once (duplicate VIP, expected here)"
    return [
        check(where, sorted(holders) == sorted(expected),
              f"{vip} is on {', '.join(holders) or 'no router'}; "
              f"checked {', '.join(snap['vips'])}"),
        check(f"{prefix}client's {'neighbour (NDP)' if ':' in vip else 'ARP'} entry for the VIP "
              f"points to {arp_title}",
              owner is not None, f"{vip} is at {arp or 'no entry'}: {kind}"),
    ]


def _nobody_master_checks(snap: dict, vip: str, prefix: str) -> list[dict]:
    """A forged master silenced the routers: none MASTER, the VIP on none."""
    holders = [r for r, addrs in snap["vips"].items() if vip in addrs]
    masters = [r for r, state in snap["states"].items() if state == "MASTER"]
    states = ", ".join(f"{r} {state}" for r, state in snap["states"].items())
    return [
        check(f"{prefix}no router is MASTER (they obey the forged master)", not masters, states),
        check(f"{prefix}VIP on no router (ip addr show)", not holders,
              f"{vip} is on {', '.join(holders) or 'no router'}; checked {', '.join(snap['vips'])}"),
    ]


def _auth_mismatch_check(results: dict) -> dict:
    """Different passwords: some router's log must say it dropped adverts for it."""
    lines = {r: line for r, line in results.get("auth_evidence", {}).items() if line}
    detail = "; ".join(f"{r}: {line}" for r, line in lines.items()) or "no router logged it"
    return check("a router's log proves the adverts are dropped for the password",
                 bool(lines), detail)


def _client_reaches_vip(results: dict, vip: str) -> dict:
    probes = results["probes"].get(vip, {"sent": [], "recv": []})
    first_fault = results["faults"][0]["at_s"] if results["faults"] else float("inf")
    pairs = [(s, r) for s, r in zip(probes["sent"], probes["recv"]) if s < first_fault]
    answered = sum(1 for _, r in pairs if r is not None)
    return check("client reaches the VIP (ping 192.168.1.1)" if vip == "192.168.1.1"
                 else f"client reaches the VIP (ping {vip})",
                 answered > 0, f"{answered} of {len(pairs)} probes answered before the first fault")


def _fault_checks(fault: dict, results: dict, vip: str) -> list[dict]:
    name, expected = fault["name"], fault["expected_master"]
    if expected is None:
        return _silenced_checks(fault, results)
    if fault.get("unstable"):
        return [_elections_check(fault)]
    if fault["kind"] == "stop_attack":
        return _attack_over_checks(fault, results, vip)
    if fault["kind"] == "guard_vrrp":
        # the window may end before the master's next advert: silence is fine too
        seen = fault.get("masters_seen", [])
        checks = [check(f"{name}: no failover, {expected} stays master",
                        set(seen) <= {expected},
                        f"routers advertising after the fault: {', '.join(seen) or 'none'}")]
    elif fault["kind"] == "flap":
        # many switches: what counts is who is master once the link stays up
        checks = [check(f"{name}: {expected} is master once the flapping stops",
                        fault.get("settled_master") == expected,
                        f"{fault.get('master_changes', 0)} changes of master on the wire; the "
                        f"last advert came from {fault.get('settled_master') or 'nobody'}"),
                  _takeover_check(fault)]
    elif fault.get("takeover", True):
        checks = [check(f"{name}: {expected} becomes master", fault["new_master"] == expected,
                        f"first advert after the fault came from {fault['new_master'] or 'nobody'}"),
                  _takeover_check(fault)]
    else:
        seen = fault.get("masters_seen", [])
        checks = [check(f"{name}: no failover, {expected} stays master", seen == [expected],
                        f"routers advertising after the fault: {', '.join(seen) or 'none'}")]
    if "degraded_priority" in fault:
        checks.append(_degraded_priority_check(fault))
    gap = fault["data_gap_s"]
    gap_limit = fault["bound_s"] + GAP_MARGIN_S
    checks.append(check(
        f"{name}: ping to the VIP resumes by itself with only a short loss",
        gap is not None and gap <= gap_limit,
        f"longest gap {_s(gap)} ({fault['lost_probes']} probes lost, "
        f"{fault.get('delayed_probes', 0)} answered late); limit {gap_limit:.3f} s"))
    for target, impact in fault["per_target"].items():
        if target != vip:
            target_gap = impact["data_gap_s"]
            checks.append(check(
                f"{name}: traffic through the gateway to {target} recovers as fast",
                target_gap is not None and target_gap <= gap_limit,
                f"longest gap {_s(target_gap)}, {impact['lost_probes']} probes lost; "
                f"limit {gap_limit:.3f} s"))
    checks.append(_log_shows_master(results, expected, f"{name}: ", fault.get("gateway")))
    return checks


def _silenced_checks(fault: dict, results: dict) -> list[dict]:
    """expect_master: none - the routers fall silent and the client loses its gateway."""
    name, interval = fault["name"], results["vrrp"]["advert_int_s"]
    last = fault.get("last_router_advert_s")
    quiet = fault["window_end_s"] - fault["at_s"] - (last or 0.0)
    lost, answered = fault["lost_probes"], fault.get("answered_after_s")
    last_reply = fault.get("last_reply_s")
    return [
        check(f"{name}: every router stops advertising", quiet >= 2 * interval,
              f"the routers' last advert came {_s(last)} after the fault, then "
              f"{quiet:.3f} s of silence until the window's end"),
        check(f"{name}: the client loses its gateway (no router holds the VIP)",
              lost > 0 or answered is None,
              f"{lost} probes to the VIP lost; "
              + ("no reply in the window" if answered is None
                 else f"the last reply came {_s(last_reply)} after the fault")),
    ]


def _elections_check(fault: dict) -> dict:
    """unstable: true - repeated elections instead of one takeover."""
    changes = fault.get("master_changes", 0)
    among = ", ".join(fault.get("masters_seen", [])) or "no router"
    return check(f"{fault['name']}: repeated elections (changes of master on the wire)",
                 changes >= 2,
                 f"{changes} changes of master among {among}; {fault['lost_probes']} probes "
                 f"to the VIP lost, longest gap {_s(fault['data_gap_s'])}")


def _attack_over_checks(fault: dict, results: dict, vip: str) -> list[dict]:
    """stop_attack: the expected master returns (or stays), the client's traffic with it."""
    name, expected = fault["name"], fault["expected_master"]
    bound_name = "Skew_Time" if fault["bound_kind"] == "skew_time" else "Master_Down_Interval"
    limit = fault["bound_s"] + TAKEOVER_MARGIN_S
    checks = [check(f"{name}: {expected} is master once the attack stops",
                    fault.get("settled_master") == expected,
                    f"the last advert came from {fault.get('settled_master') or 'nobody'}")]
    if fault.get("takeover", True):
        checks.append(check(
            f"{name}: {expected} advertises within the RFC bound",
            fault["takeover_s"] is not None and fault["takeover_s"] <= limit,
            f"{_s(fault['takeover_s'])} from the attack's end to {expected}'s first advert; "
            f"{bound_name} {fault['bound_s']:.3f} s + {TAKEOVER_MARGIN_S} s margin = {limit:.3f} s"))
    else:
        seen = fault.get("masters_seen", [])
        checks.append(check(f"{name}: no failover, {expected} stays master", seen == [expected],
                            f"routers advertising after the fault: {', '.join(seen) or 'none'}"))
    gap_limit = fault["bound_s"] + GAP_MARGIN_S
    for target, impact in fault["per_target"].items():
        what = "ping to the VIP" if target == vip else f"traffic through the gateway to {target}"
        after = impact.get("answered_after_s")
        checks.append(check(f"{name}: {what} is answered again within the bound",
                            after is not None and after <= gap_limit,
                            f"first reply {_s(after)} after the attack stopped "
                            f"({impact['lost_probes']} probes lost); limit {gap_limit:.3f} s"))
    checks.append(_log_shows_master(results, expected, f"{name}: "))
    return checks


def _attack_checks(fault: dict, results: dict) -> list[dict]:
    """The attack really ran (so a guarded pass means something), and what it read."""
    name, attack = fault["name"], fault.get("attack") or {}
    if fault["kind"] == "zero_storm":
        spoofed = attack.get("forged_src") or "the master"
        checks = [check(f"{name}: forged priority-0 adverts in {spoofed}'s name are on the wire",
                        fault.get("zero_adverts", 0) >= 2,
                        f"{fault.get('zero_adverts', 0)} priority-0 adverts seen by the client "
                        f"(a real goodbye is one)")]
    else:
        foreign = fault.get("foreign_adverts", {})
        checks = [check(f"{name}: the attacker's forged adverts are on the wire",
                        foreign.get("count", 0) > 0,
                        f"{foreign.get('count', 0)} adverts from "
                        f"{', '.join(foreign.get('sources', [])) or 'no foreign address'} with "
                        f"priority {', '.join(map(str, foreign.get('priorities', []))) or '-'}")]
    on_wire = results["vrrp"].get("auth_pass_on_wire")
    if on_wire:
        read = attack.get("password_read")
        checks.append(check(
            f"{name}: the attacker read the VRRPv2 password off the wire",
            read == on_wire, f"it read {read!r} from {attack.get('sniffed_from') or 'no advert'}; "
            f"the routers' auth_pass is {on_wire!r} (PASS is sent in clear)"))
    return checks


def _degraded_priority_check(fault: dict) -> dict:
    """The failing health check shows on the wire: the target advertises base + weight."""
    target, expected = fault["target"], fault["degraded_priority"]
    seen = fault["priorities_seen"].get(target, [])
    what = (f"{target} now advertises priority" if fault["kind"] == "set_priority"
            else f"{target}'s failing check lowers its priority to")
    return check(f"{fault['name']}: {what} {expected}",
                 expected in seen, f"{target} advertised priorities {seen or 'none'} after the fault")


def _takeover_check(fault: dict) -> dict:
    """Within the bound; a silent failure is timed from the old master's last advert."""
    bound = fault["bound_s"]
    bound_name = "Skew_Time" if fault["bound_kind"] == "skew_time" else "Master_Down_Interval"
    margin = TAKEOVER_MARGIN_S + (START_MARGIN_S if fault["kind"] == "start" else 0.0)
    limit = bound + margin
    after_last = fault.get("takeover_after_last_advert_s")
    if fault.get("silent") and after_last is not None:
        measured, since = after_last, "the old master's last advert"
    else:
        measured, since = fault["takeover_s"], "the fault"
    return check(
        f"{fault['name']}: takeover within the RFC bound",
        measured is not None and measured <= limit,
        f"{_s(measured)} from {since} to {fault['expected_master']}'s first advert; "
        f"{bound_name} {bound:.3f} s + {margin:g} s margin"
        f"{' (the daemon starts first)' if fault['kind'] == 'start' else ''} = {limit:.3f} s")


def _log_shows_master(results: dict, router: str, prefix: str,
                      gateway: str | None = None) -> dict:
    """The router's own log; with load sharing, about the fault's own gateway instance."""
    evidence = results.get("gateway_evidence", {}).get(gateway, results["evidence"]).get(router)
    return check(f"{prefix}{router}'s log shows Entering MASTER STATE",
                 evidence is not None, evidence or "no such line")


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f} s"
