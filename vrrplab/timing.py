"""Each fault's takeover and gap, measured from the right instant and judged in its window.

Pure: reads only the results document (the adverts of its timeline, the faults,
the timers, the speakers, the sampler's stalls, since t0 as every instant), so an old results.json can be
judged again. For every fault with a takeover to time, `annotate` adds

    fault["timing"]      the window (`windows.Window.to_dict`) and measured_s,
                         basis_at_s (the instant it counts from, since t0),
                         verdict ("ok" | "early" | "late" | "missing"), judged,
                         stall_s, and why it was not judged when the machine
                         stalled longer than the RFC figure itself
    fault["gap_window"]  the client's longest-gap window (no lower edge)

The rules (which instant, which figure) are in `windows`.
"""

from __future__ import annotations

from vrrplab import windows
from vrrplab.latency import Latency
from vrrplab.vrrp.timers import master_down_interval, skew_time


def annotate(results: dict) -> None:
    """Add `timing` and `gap_window` to every fault of the results document."""
    latency = _latency(results)
    for fault in results["faults"]:
        timing = fault_timing(fault, results, latency)
        fault["timing"] = timing
        fault["gap_window"] = _gap(fault, results, timing, latency).to_dict()


def fault_timing(fault: dict, results: dict, latency: Latency) -> dict | None:
    expected = fault["expected_master"]
    if expected is None or fault.get("unstable") or not fault.get("takeover", True):
        return None
    rule = windows.rule_of(fault["kind"], fault["target"], expected)
    if rule is None:
        return None
    at = fault["at_s"]
    adverts = _gateway_adverts(results, fault)
    first = _first_sign(results, fault, adverts, expected, at)
    timers = _timers(results, fault, expected)
    seen = windows.Circumstances(applied_s=fault.get("applied_s") or 0.0)
    candidates, seen = _bases(rule, fault, results, adverts, first, timers, seen)
    candidates = _last_member(rule, fault, results, first, timers, seen, candidates)
    window, candidates = _window(rule, timers, seen, candidates, at)
    best = None
    for basis in candidates:
        measured = None if first is None or basis is None else first - basis
        stall = _stall(latency, rule, window, basis, measured)
        judged = windows.takeover_window(rule, timers, _with_stall(seen, stall)) \
            if window.floor_s is None else _floored(window, stall)
        verdict = judged.verdict(measured)
        entry = {**judged.to_dict(), "measured_s": _r(measured), "basis_at_s": _r(basis),
                 "verdict": verdict, "stall_s": _r(stall), "judged": True}
        reaction = timers.speaker.reaction_s
        if window.figure_s and reaction > window.figure_s:
            entry["loose"] = (f"the speaker's own reaction (up to {reaction * 1000:.0f} ms) is "
                              f"larger than the {window.figure_s * 1000:.1f} ms {window.figure}: "
                              f"this window tells a missed timer, not a few milliseconds' drift")
        if window.figure_s and stall > window.figure_s:
            entry["judged"] = False
            entry["not_judged"] = (f"scheduling latency {stall * 1000:.1f} ms at the timer's "
                                   f"expiry exceeds the {window.figure_s * 1000:.1f} ms "
                                   f"{window.figure}")
        if best is None or verdict == "ok":
            best = entry
        if verdict == "ok":
            break
    best["bases_tried"] = len(candidates)
    return best


def _first_sign(results: dict, fault: dict, adverts: list[dict], router: str,
                at: float) -> float | None:
    """The new master's first announcement: its first advert, or its first gratuitous ARP (or
    unsolicited NA) for the VIP, whichever the wire shows first. RFC 5798 §6.4.1 sends the
    advert, then the ARPs; keepalived, in a sync group, may send its ARPs tens of ms before
    the advert (measured here at 0.01 s adverts). A virtual MAC names no router: not used."""
    advert = next((a["t"] for a in adverts if a["router"] == router and a["t"] >= at
                   and a["priority"] > 0), None)
    mac = next((s["macs"].get(router) for s in results.get("snapshots", [])
                if s.get("macs", {}).get(router)), None)
    vips = {fault.get("vip"), results["vrrp"].get("gateway_vip")}
    garp = next((a["t"] for a in results["timeline"].get("arp", [])
                 if a["t"] >= at and a.get("gratuitous") and a["mac"] == mac
                 and a["ip"] in vips), None) if mac else None
    return min((t for t in (advert, garp) if t is not None), default=None)


def _window(rule, timers, seen, candidates, at):
    """The window, and the instants it counts from: a storm's, from the fault itself."""
    if rule == "attack_over" and candidates == [None]:
        return _storm_window(timers, seen), [at]
    return windows.takeover_window(rule, timers, seen), candidates


def _storm_window(timers, seen) -> windows.Window:
    """A storm's forgeries carry a router's own address: no forged advert to count from."""
    base = windows.takeover_window("attack_over", timers, seen)
    return windows.Window(
        "attack_over", base.figure, base.figure_s, "the fault (the attack's end)", (),
        base.upper + (windows.Part("advert interval", timers.advert_int_s,
                                   "the last forgery may follow the fault's instant"),),
        note="the forgeries carry a router's own address, so the capture cannot tell the "
             "last one the routers obeyed: no lower edge", floor_s=0.0)


def _floored(window: windows.Window, stall: float) -> windows.Window:
    parts = tuple(p if p.name != "scheduling" else windows.Part(p.name, stall, p.why)
                  for p in window.upper)
    return windows.Window(window.rule, window.figure, window.figure_s, window.basis,
                          window.lower, parts, window.note, window.floor_s)


def _with_stall(seen: windows.Circumstances, stall: float) -> windows.Circumstances:
    return windows.Circumstances(stall, seen.applied_s, seen.started_from_log, seen.extra)


def _bases(rule, fault, results, adverts, first, timers, seen):
    """The instants the takeover may count from (absolute, since t0), most likely first."""
    at, old = fault["at_s"], fault.get("old_master")
    end = first if first is not None else fault["window_end_s"]
    if rule == "goodbye":
        zero = next((a["t"] for a in adverts if a["router"] == old and a["priority"] == 0
                     and at <= a["t"] < end), None)
        return [zero], seen
    if rule == "silence":
        return _silence_bases(fault, adverts, old, at, end), seen
    if rule == "demoted":
        floor = _priority(results, fault, fault["expected_master"])
        accepted = [a["t"] for a in adverts if a["router"] == old and a["t"] < end
                    and a["priority"] >= floor]
        return [accepted[-1] if accepted else None], seen
    if rule == "start":
        started = next((t for t in results.get("speaker_starts", {}).get(fault["target"], [])
                        if t >= at), None)
        if started is not None:
            return [started], windows.Circumstances(seen.stall_s, seen.applied_s, True)
        return [at], seen
    if rule == "attack_over":
        routers = set(results["vrrp"]["routers"])
        forged = [a["t"] for a in results["timeline"]["adverts"]
                  if a["router"] not in routers and a["t"] < end]
        return [forged[-1] if forged else None], seen
    return [at], seen  # rejoin, promoted, next_advert: from the fault


def _silence_bases(fault, adverts, old, at, end) -> list[float | None]:
    """The old master's last advert before the fault; and those sent while the fault was
    being applied (a firewall rule, a link going down), which the backup may or may not
    have heard. A blocked master goes on advertising: only its adverts until the rule is
    in place count."""
    if fault["kind"] == "block_vrrp":
        end = min(end, at + (fault.get("applied_s") or 0.0))
    mine = [a["t"] for a in adverts if a["router"] == old and a["priority"] > 0 and a["t"] < end]
    before = [t for t in mine if t < at]
    during = [t for t in mine if t >= at]
    bases = list(reversed(during)) + ([before[-1]] if before else [])
    return bases or [None]


def _stall(latency: Latency, rule: str, window, basis, measured) -> float:
    """The machine's longest stall while the backup's timer was due (from the start, for a
    daemon that had to start first)."""
    if basis is None or measured is None:
        return 0.0
    since = basis if rule in ("start", "rejoin", "promoted") else basis + window.lower_s
    return latency.stall_during(since, basis + measured)


def _timers(results: dict, fault: dict, router: str) -> windows.Timers:
    vrrp = results["vrrp"]
    priority = _priority(results, fault, router)
    if fault["kind"] == "set_priority" and router == fault["target"] and fault.get("priority"):
        priority = fault["priority"]  # raised: its timers follow the priority it now has
    interval, version = vrrp["advert_int_s"], vrrp["version"]
    speaker = windows.SPEAKERS.get(results.get("speakers", {}).get(router),
                                   windows.UNKNOWN_SPEAKER)
    script = vrrp["routers"].get(fault["target"], {}).get("script_delay_s", 0.0)
    return windows.Timers(interval, skew_time(priority, interval, version),
                          master_down_interval(priority, interval, version), speaker,
                          vrrp.get("preempt_delay_s", 0.0), script or 0.0,
                          _uncaptured_members(results), ":" in vrrp["vip"])


def _priority(results: dict, fault: dict, router: str) -> int:
    vrrp = results["vrrp"]
    gateway = fault.get("gateway")
    for g in vrrp.get("gateways", []):
        if g["instance"] == gateway or (gateway is None and g["vrid"] == vrrp["vrid"]):
            return g["priorities"][router]
    return vrrp["routers"][router]["priority"]


# rules whose basis is an advert of the old master: a sync group member has its own
GROUP_RULES = ("goodbye", "silence", "demoted")


def _last_member(rule, fault, results, first, timers, seen, candidates):
    """A sync group moves with its last member (keepalived waits for every member's timer;
    the bundled speaker too): each candidate basis moves to the latest member's own basis,
    found by the same rule in that member's adverts (captured on its link)."""
    members = results["vrrp"].get("sync_group_vrids") or []
    captured = results["timeline"].get("member_adverts") or []
    if rule not in GROUP_RULES or not members or not captured:
        return candidates
    latest = []
    for vrid in members:
        mine = [a for a in captured if a["vrid"] == vrid]
        found, _ = _bases(rule, fault, results, mine, first, timers, seen)
        latest.append(found[0])
    if any(t is None for t in latest):
        return candidates
    return [None if c is None else max(c, *latest) for c in candidates]


def _uncaptured_members(results: dict) -> int:
    """Sync group members other than the LAN instance whose adverts no capture has."""
    timeline = results["timeline"]
    seen = {a["vrid"] for a in timeline["adverts"] + (timeline.get("member_adverts") or [])}
    members = results["vrrp"].get("sync_group_vrids") or []
    return sum(1 for vrid in members if vrid not in seen)


def _gateway_adverts(results: dict, fault: dict) -> list[dict]:
    vrid = next((g["vrid"] for g in results["vrrp"].get("gateways", [])
                 if g["instance"] == fault.get("gateway")), results["vrrp"]["vrid"])
    return [a for a in results["timeline"]["adverts"] if a["vrid"] == vrid]


def _gap(fault: dict, results: dict, timing: dict | None, latency: Latency) -> windows.Window:
    """From the fault, the takeover's upper edge (else the fault kind's RFC bound)."""
    at = fault["at_s"]
    if timing is not None and timing["basis_at_s"] is not None:
        from_fault = max(0.0, timing["basis_at_s"] + timing["upper_s"] - at)
        rule = timing["rule"]
    else:
        from_fault, rule = fault["bound_s"], None
    stall = latency.stall_during(at, fault["window_end_s"])
    return windows.gap_window(from_fault, results["probe"]["interval_s"], stall, rule)


def _latency(results: dict) -> Latency:
    doc = results.get("latency") or {}
    return Latency(tuple(tuple(s) for s in doc.get("stalls", [])), doc.get("samples", 0),
                   doc.get("p99_s", 0.0), doc.get("max_s", 0.0))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
