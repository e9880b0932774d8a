"""The textbook's verification steps, and each fault's expectations, as named checks.

Pure: reads only the results document (snapshots, faults, probes, evidence), so
the same checks can be re-run on an old results.json. Each check is
`{"name", "ok", "detail"}`; the detail says what was seen, in the lesson's words.
"""

from __future__ import annotations

from vrrplab.faults.catalogue import ATTACK_KINDS, KINDS
from vrrplab.vrrp.packet import VMAC_PREFIX, virtual_mac


def check(name: str, ok: bool, detail: str, judged: bool = True) -> dict:
    """A named check; `judged` false when the machine was too busy to judge it (ok, said so)."""
    found = {"name": name, "ok": bool(ok), "detail": detail}
    if not judged:
        found["judged"] = False
    return found


def build_checks(results: dict) -> list[dict]:
    checks = [check("the run completed", False, err) for err in results["errors"]]
    snapshots = {s["label"]: s for s in results["snapshots"]}
    vip = results["vrrp"]["vip"]
    vmac = virtual_mac(results["vrrp"]["vrid"]) if results["vrrp"].get("use_vmac") else None
    if "converge" in snapshots:
        first = snapshots["converge"]["expected_master"]
        checks += _steady_state_checks(snapshots["converge"], vip, "", vmac)
        checks.append(_log_check(results, "converge", first, ""))
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
    gap_limit = fault["gap_window"]["upper_s"]
    checks.append(check(
        f"{name}: ping to the VIP resumes by itself with only a short loss",
        gap is not None and gap <= gap_limit,
        f"longest gap {_s(gap)} ({fault['lost_probes']} probes lost, "
        f"{fault.get('delayed_probes', 0)} answered late); {_gap_window(fault)}"))
    for target, impact in fault["per_target"].items():
        if target != vip and fault.get("upstream_cut"):
            checks.append(_stays_cut_check(fault, target, impact, results["probe"]["interval_s"]))
        elif target != vip:
            target_gap = impact["data_gap_s"]
            checks.append(check(
                f"{name}: traffic through the gateway to {target} recovers as fast",
                target_gap is not None and target_gap <= gap_limit,
                f"longest gap {_s(target_gap)}, {impact['lost_probes']} probes lost; "
                f"{_gap_window(fault)}"))
    checks.append(_log_check(results, name, expected, f"{name}: ", _log_expectation(fault)))
    return checks


def _stays_cut_check(fault: dict, target: str, impact: dict, probe_interval: float) -> dict:
    """No failover after an upstream cut: the master keeps the role and forwards into the cut,
    so the client loses what lies beyond (the lesson's point, not a flaw of the lab). A reply
    later than the fault's own command plus one probe in flight means the cut leaked."""
    last = impact.get("last_reply_s")
    allowed = (fault.get("applied_s") or 0.0) + probe_interval
    return check(f"{fault['name']}: traffic through the gateway to {target} stays cut "
                 f"({fault['expected_master']} keeps the role with no path upstream)",
                 impact["lost_probes"] > 0 and (last is None or last <= allowed),
                 f"{impact['lost_probes']} probes lost; the last reply "
                 f"{'came ' + _s(last) + ' after the fault' if last is not None else 'never came'}"
                 f" (the cut was in place {allowed:.3f} s after it, one probe in flight)")


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
    checks = [check(f"{name}: {expected} is master once the attack stops",
                    fault.get("settled_master") == expected,
                    f"the last advert came from {fault.get('settled_master') or 'nobody'}")]
    if fault.get("takeover", True):
        checks.append(_takeover_check(fault))
    else:
        seen = fault.get("masters_seen", [])
        checks.append(check(f"{name}: no failover, {expected} stays master", seen == [expected],
                            f"routers advertising after the fault: {', '.join(seen) or 'none'}"))
    gap_limit = fault["gap_window"]["upper_s"]
    for target, impact in fault["per_target"].items():
        what = "ping to the VIP" if target == vip else f"traffic through the gateway to {target}"
        after = impact.get("answered_after_s")
        checks.append(check(f"{name}: {what} is answered again within the bound",
                            after is not None and after <= gap_limit,
                            f"first reply {_s(after)} after the attack stopped "
                            f"({impact['lost_probes']} probes lost); {_gap_window(fault)}"))
    checks.append(_log_check(results, name, expected, f"{name}: ", _log_expectation(fault)))
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
    """Inside its two-sided window (vrrplab.analysis.timing): not late, and not early either."""
    name, expected, timing = fault["name"], fault["expected_master"], fault.get("timing")
    if timing is None:  # a kind with no takeover figure: only who is master counts
        return check(f"{name}: takeover within the RFC bound", fault["takeover_s"] is not None,
                     f"{_s(fault['takeover_s'])} from the fault to {expected}'s first advert")
    measured = timing["measured_s"]
    window = (f"RFC {timing['figure']} {timing['figure_s']:.3f} s, window "
              f"{timing['lower_s']:.3f}-{timing['upper_s']:.3f} s")
    detail = (f"{_s(measured)} from {timing['basis']} to {expected}'s first advert (or "
              f"gratuitous ARP); {window}")
    if not timing["judged"]:
        return check(f"{name}: takeover within the RFC window", True,
                     f"not judged: {timing['not_judged']}; {detail}", judged=False)
    verdict = timing["verdict"]
    why = {"early": ": earlier than the RFC allows, the backup did not wait",
           "late": ": later than the window", "ok": "",
           "missing": f": no {timing['basis']} on the wire to count from"
           if timing["basis_at_s"] is None else ": no takeover"}[verdict]
    loose = f" ({timing['loose']})" if timing.get("loose") else ""
    return check(f"{name}: takeover within the RFC window", verdict == "ok", detail + why + loose)


def _log_expectation(fault: dict) -> str:
    """'enters': the expected master's log must show it entering MASTER in the fault's window;
    'stays': no change of state there (it was MASTER before and remains so); 'enters_or_stays':
    its last state change there, if any, is to MASTER."""
    if not fault.get("takeover", True) or KINDS[fault["kind"]].stays_master:
        return "stays"
    if fault["kind"] == "stop_attack":
        # a router the forgeries silenced enters MASTER again; one they never moved (a guarded
        # master, or the one whose name a storm spoofed: it drops adverts from its own
        # address) logs nothing, and its adverts on the wire say it is master
        return "enters_or_stays"
    return "enters"


def _log_check(results: dict, phase: str, router: str, prefix: str,
               expectation: str = "enters") -> dict:
    """The router's own log, read only within this phase's window (its lines between this
    step and the next): proof for this fault, not for any earlier one."""
    names = {"stays": f"{prefix}{router}'s log shows no change of state (it stays MASTER)",
             "enters_or_stays": f"{prefix}{router}'s log shows it MASTER (entering it, or "
                                f"never leaving it)",
             "enters": f"{prefix}{router}'s log shows Entering MASTER STATE"}
    found = next((p for p in results.get("phase_evidence") or [] if p["phase"] == phase), None)
    if found is None or router not in found["routers"]:
        return check(names[expectation], False, f"no log read for {router} in phase {phase}")
    mine = found["routers"][router]
    window = found["window_s"]
    where = (f"{mine['log']} bytes {mine['bytes'][0]}-{mine['bytes'][1]}, "
             f"{_s(window[0]).replace(' s', '')}-{_s(window[1])} since the start")
    states = mine["states"]
    if expectation == "stays":
        left = [line for state, line in states if state != "MASTER"]
        return _windowed(check(names[expectation], not left,
            f"{left[0]} ({where})" if left else f"no state change logged ({where})"), window)
    if expectation == "enters_or_stays":
        detail = (f"{states[-1][1]} ({where})" if states
                  else f"no state change logged: it stayed as it was ({where})")
        return _windowed(check(names[expectation], not states or states[-1][0] == "MASTER",
                               detail), window)
    entered = [line for state, line in states if state == "MASTER"]
    return _windowed(check(names[expectation], bool(entered),
                           f"{entered[-1]} ({where})" if entered
                           else f"no such line in this phase ({where})"), window)


def _windowed(found: dict, window: list) -> dict:
    """Record where the evidence of a check was taken from (seconds since t0)."""
    return {**found, "window_s": window}


def _gap_window(fault: dict) -> str:
    window = fault["gap_window"]
    return f"window 0-{window['upper_s']:.3f} s (the takeover's upper edge seen from the fault, " \
           f"+ a probe interval each side)"


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f} s"
