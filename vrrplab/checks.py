"""The textbook's verification steps, and each fault's expectations, as named checks.

Pure: reads only the results document (snapshots, faults, probes, evidence), so
the same checks can be re-run on an old results.json. Each check is
`{"name", "ok", "detail"}`; the detail says what was seen, in the lesson's words.
"""

from __future__ import annotations

TAKEOVER_MARGIN_S = 0.2  # scheduling and capture slack over the RFC bound
GAP_MARGIN_S = 0.35  # the client also waits for its next probe and the new ARP entry
VMAC_PREFIX = "00:00:5e:00:01:"


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
        checks += _fault_checks(fault, results, vip)
        if fault["name"] in snapshots:
            checks += _steady_state_checks(snapshots[fault["name"]], vip, f"{fault['name']}: ", vmac)
    return checks


def _steady_state_checks(snap: dict, vip: str, prefix: str, vmac: str | None) -> list[dict]:
    master = snap["expected_master"]
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
                f"MAC, not the textbook's {VMAC_PREFIX}0a")
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
        check(f"{prefix}client's ARP entry for the VIP points to {arp_title}",
              owner is not None, f"{vip} is at {arp or 'no entry'}: {kind}"),
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
    if fault["kind"] == "flap":
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
    checks.append(_log_shows_master(results, expected, f"{name}: "))
    return checks


def _degraded_priority_check(fault: dict) -> dict:
    """The failing health check shows on the wire: the target advertises base + weight."""
    target, expected = fault["target"], fault["degraded_priority"]
    seen = fault["priorities_seen"].get(target, [])
    return check(f"{fault['name']}: {target}'s failing check lowers its priority to {expected}",
                 expected in seen, f"{target} advertised priorities {seen or 'none'} after the fault")


def _takeover_check(fault: dict) -> dict:
    """Within the bound; a silent failure is timed from the old master's last advert."""
    bound = fault["bound_s"]
    bound_name = "Skew_Time" if fault["bound_kind"] == "skew_time" else "Master_Down_Interval"
    limit = bound + TAKEOVER_MARGIN_S
    after_last = fault.get("takeover_after_last_advert_s")
    if fault.get("silent") and after_last is not None:
        measured, since = after_last, "the old master's last advert"
    else:
        measured, since = fault["takeover_s"], "the fault"
    return check(
        f"{fault['name']}: takeover within the RFC bound",
        measured is not None and measured <= limit,
        f"{_s(measured)} from {since} to {fault['expected_master']}'s first advert; "
        f"{bound_name} {bound:.3f} s + {TAKEOVER_MARGIN_S} s margin = {limit:.3f} s")


def _log_shows_master(results: dict, router: str, prefix: str) -> dict:
    evidence = results["evidence"].get(router)
    return check(f"{prefix}{router}'s log shows Entering MASTER STATE",
                 evidence is not None, evidence or "no such line")


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f} s"
