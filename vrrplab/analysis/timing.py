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

import dataclasses
import re

from vrrplab.analysis import windows
from vrrplab.i18n import DEFAULT, N_, _, language, number
from vrrplab.run.latency import Latency
from vrrplab.vrrp.timers import master_down_interval, skew_time


# why a judgement says little, or nothing (English in results.json; `reason_in_language`
# shows them in the reader's language, with the numbers they were written with)
LOOSE = N_("the speaker's own reaction (up to {reaction_ms} ms) is larger than the "
           "{figure_ms} ms {figure}: this window tells a missed timer, not a few "
           "milliseconds' drift")
NOT_JUDGED = N_("scheduling latency {stall_ms} ms at the timer's expiry exceeds the "
                "{figure_ms} ms {figure}")


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
    # the master before the fault: the last router heard before it (a backup's one advert
    # while the lab converged must not make it the "old master")
    fault = {**fault, "old_master": _previous_master(adverts, at) or fault.get("old_master")}
    first = _group_first_sign(results, _first_sign(results, fault, adverts, expected, at),
                              expected, at)
    seen = windows.Circumstances(applied_s=fault.get("applied_s") or 0.0)
    missing = 0
    if rule in GROUP_RULES:
        rule, candidates, missing = _group_bases(rule, fault, results, adverts, first)
    else:
        candidates, seen = _bases(rule, fault, results, adverts, first, seen)
    # a backup that waited in steady state: its timers follow the priority its checks left it
    timers = _timers(results, fault, expected, missing,
                     adverts if rule in STEADY_BACKUP_RULES else None)
    window, candidates = _window(rule, timers, seen, candidates, at)
    best = None
    for basis in candidates:
        measured = None if first is None or basis is None else first - basis
        stall = _stall(latency, window, basis)
        judged = windows.takeover_window(rule, timers, _with_stall(seen, stall)) \
            if window.floor_s is None else _floored(window, stall)
        verdict = judged.verdict(measured)
        entry = {**judged.to_dict(), "measured_s": _r(measured), "basis_at_s": _r(basis),
                 "verdict": verdict, "stall_s": _r(stall), "judged": True}
        configured = _priority(results, fault, expected)
        if fault["kind"] != "set_priority" and timers.priority != configured:
            # its failing checks lowered it (_checked_priority): say which figure counted
            entry |= {"priority": timers.priority, "configured_priority": configured}
        reaction = timers.speaker.reaction_s
        if window.figure_s and reaction > window.figure_s:
            entry["loose"] = LOOSE.format(reaction_ms=f"{reaction * 1000:.0f}",
                                          figure_ms=f"{window.figure_s * 1000:.1f}",
                                          figure=window.figure)
        if window.figure_s and stall > window.figure_s and verdict == "ok":
            # inside a window the stall widened past the figure itself: a pass that says
            # little (late or early beyond the widened edges still fails)
            entry["judged"] = False
            entry["not_judged"] = NOT_JUDGED.format(stall_ms=f"{stall * 1000:.1f}",
                                                    figure_ms=f"{window.figure_s * 1000:.1f}",
                                                    figure=window.figure)
        if best is None or verdict == "ok":
            best = entry
        if verdict == "ok":
            break
    best["bases_tried"] = len(candidates)
    return best


def _pattern(template: str) -> re.Pattern:
    """The English `template` as a regular expression, a group per field."""
    pieces = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                              for i, p in enumerate(pieces)) + r"\Z")


_REASONS = [(template, _pattern(template)) for template in (LOOSE, NOT_JUDGED)]


def reason_in_language(text: str | None) -> str | None:
    """A `loose` or `not_judged` reason results.json holds in English, in the reader's
    language with the same numbers (a decimal comma in French) and the figure's name
    through the catalogue; anything else (another version's words) as it is."""
    if not text or language() == DEFAULT:
        return text
    for template, pattern in _REASONS:
        found = pattern.match(text)
        if found:
            values = {name: _shown_number(value) if name.endswith("_ms") else _(value)
                      for name, value in found.groupdict().items()}
            return _(template).format(**values)
    return text


def _shown_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return number(value, len(text.partition(".")[2]))


def _previous_master(adverts: list[dict], at: float) -> str | None:
    routers = [a["router"] for a in adverts if a["t"] < at and a["priority"] > 0]
    return routers[-1] if routers else None


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


def _group_first_sign(results: dict, first: float | None, router: str,
                      at: float) -> float | None:
    """A sync group moves as one: its takeover shows on whichever member announces it first.
    keepalived moves the members one after another, the LAN instance not always first
    (its first advert came up to 0.1 s after another member's, measured here); the client's
    side of that delay is the gap window's `sync group` part."""
    if not results["vrrp"].get("sync_group_vrids"):
        return first
    member = next((a["t"] for a in results["timeline"].get("member_adverts") or []
                   if a["router"] == router and a["t"] >= at and a["priority"] > 0), None)
    return min((t for t in (first, member) if t is not None), default=None)


def _window(rule, timers, seen, candidates, at):
    """The window, and the instants it counts from: a storm's, from the fault itself."""
    if rule == "attack_over" and candidates == [None]:
        return _storm_window(timers, seen), [at]
    return windows.takeover_window(rule, timers, seen), candidates


def _storm_window(timers, seen) -> windows.Window:
    """A storm's forgeries carry a router's own address: no forged advert to count from."""
    base = windows.takeover_window("attack_over", timers, seen)
    return windows.Window(
        "attack_over", base.figure, base.figure_s, N_("the fault (the attack's end)"), (),
        base.upper + (windows.Part(N_("advert interval"), timers.advert_int_s,
                                   N_("the last forgery may follow the fault's instant")),),
        note=N_("the forgeries carry a router's own address, so the capture cannot tell the "
                "last one the routers obeyed: no lower edge"), floor_s=0.0)


def _floored(window: windows.Window, stall: float) -> windows.Window:
    parts = tuple(p if p.name != "scheduling" else windows.Part(p.name, stall, p.why)
                  for p in window.upper)
    return windows.Window(window.rule, window.figure, window.figure_s, window.basis,
                          window.lower, parts, window.note, window.floor_s)


def _with_stall(seen: windows.Circumstances, stall: float) -> windows.Circumstances:
    return dataclasses.replace(seen, stall_s=stall)


def _bases(rule, fault, results, adverts, first, seen):
    """The instants the takeover may count from (absolute, since t0), most likely first."""
    at, old = fault["at_s"], fault.get("old_master")
    end = first if first is not None else fault["window_end_s"]
    if rule == "goodbye":
        return [_goodbye(fault, adverts, first)], seen
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
            return [started], dataclasses.replace(seen, started_from_log=True)
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


def _stall(latency: Latency, window: windows.Window, basis: float | None) -> float:
    """The machine's longest stall while the timer was due: between the window's edges (without
    any stall), so a late takeover does not collect the stalls of its own lateness."""
    if basis is None:
        return 0.0
    return latency.stall_during(basis + window.lower_s, basis + window.upper_s)


def _timers(results: dict, fault: dict, router: str, missing_members: int,
            adverts: list[dict] | None = None) -> windows.Timers:
    vrrp = results["vrrp"]
    priority = _priority(results, fault, router)
    if fault["kind"] == "set_priority" and router == fault["target"] and fault.get("priority"):
        priority = fault["priority"]  # raised: its timers follow the priority it now has
    else:
        priority = _checked_priority(results, fault, router, priority, adverts or [])
    interval, version = vrrp["advert_int_s"], vrrp["version"]
    speaker = _speaker_of(results, router)
    script = vrrp["routers"].get(fault["target"], {}).get("script_delay_s", 0.0)
    return windows.Timers(interval, skew_time(priority, interval, version),
                          master_down_interval(priority, interval, version), speaker,
                          vrrp.get("preempt_delay_s", 0.0), script or 0.0,
                          missing_members, ":" in vrrp["vip"], priority)


def _checked_priority(results: dict, fault: dict, router: str, configured: int,
                      adverts: list[dict]) -> int:
    """The priority `router` counted its timers with: its configured one, or the one its
    first advert after the fault carries when its health checks explain the difference
    (only for a backup that waited in steady state: STEADY_BACKUP_RULES).

    Skew_Time is the router's own priority's (RFC 5798 §6.1), and a failing check lowers
    it (keepalived's weights; both routers fail the lesson's `killall -0 keepalived` under
    the bundled speaker). Only a priority that is the configured one plus some of the
    router's check weights is believed: a speaker advertising a figure its checks cannot
    explain is judged on its configured priority, so a wrong advert cannot widen its window.
    """
    weights = results["vrrp"]["routers"].get(router, {}).get("check_weights") or []
    if not weights:
        return configured
    first = next((a["priority"] for a in adverts
                  if a["router"] == router and a["t"] >= fault["at_s"]), None)
    sums = {0}  # what some of its checks failing at once add up to (one weight at a time:
    for weight in weights:  # linear in the priorities reached, not 2^checks)
        sums |= {total + weight for total in sums}
    reachable = {min(254, max(1, configured + total)) for total in sums - {0}}
    return first if first in reachable else configured


def _speaker_of(results: dict, router: str) -> windows.SpeakerTiming:
    return windows.SPEAKERS.get(results.get("speakers", {}).get(router), windows.UNKNOWN_SPEAKER)


def _priority(results: dict, fault: dict, router: str) -> int:
    vrrp = results["vrrp"]
    gateway = fault.get("gateway")
    for g in vrrp.get("gateways", []):
        if g["instance"] == gateway or (gateway is None and g["vrid"] == vrrp["vrid"]):
            return g["priorities"][router]
    return vrrp["routers"][router]["priority"]


# rules whose basis is an advert of the old master: a sync group member has its own
GROUP_RULES = ("goodbye", "silence", "demoted")
# ... and in which the router taking over has been a backup all along, its health checks
# settled: it counts with the priority it then advertises (a starting or rejoining one set
# its timer before its first check ran)
STEADY_BACKUP_RULES = ("goodbye", "silence")


def _group_bases(rule, fault, results, adverts, first):
    """(rule, candidate bases, members unseen) for the instance whose timer runs out last.

    A sync group moves with its last member (keepalived waits for every member; the bundled
    speaker too), and each member runs its own timer: Skew_Time after a priority-0 advert
    from the old master there (a member it put in FAULT says goodbye), else the fault's
    rule (its last advert, or its last accepted one) + Master_Down_Interval. The LAN
    instance's goodbye is never replaced: without one a stop is judged missing.
    """
    lan, _ = _bases(rule, fault, results, adverts, first, None)
    members = results["vrrp"].get("sync_group_vrids") or []
    captured = results["timeline"].get("member_adverts") or []
    if not members or lan == [None]:
        return rule, lan, len(members) if not captured else 0
    timers = _timers(results, fault, fault["expected_master"], 0)
    best_rule, best, latest = rule, lan, lan[0] + _figure(rule, timers)
    missing = 0
    for vrid in members:
        mine = [a for a in captured if a["vrid"] == vrid]
        own = "goodbye" if _goodbye(fault, mine, first) is not None else (
            "silence" if rule == "goodbye" else rule)
        found, _ = _bases(own, fault, results, mine, first, None)
        if found[0] is None:
            missing += 1  # not seen: the window adds an advert interval for it
        elif found[0] + _figure(own, timers) > latest:
            best_rule, best, latest = own, found, found[0] + _figure(own, timers)
    return best_rule, best, missing


def _figure(rule: str, timers: windows.Timers) -> float:
    return timers.skew_s if rule == "goodbye" else timers.mdi_s


def _goodbye(fault, adverts, first) -> float | None:
    """The old master's priority-0 advert after the fault (before the takeover), if any."""
    at, old = fault["at_s"], fault.get("old_master")
    end = first if first is not None else fault["window_end_s"]
    return next((a["t"] for a in adverts if a["router"] == old and a["priority"] == 0
                 and at <= a["t"] < end), None)


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
    extra = ()
    if fault["kind"] == "flap":
        # between flaps any router may take over, each after its own Master_Down_Interval,
        # and a returning link reaches its speaker late (linkwatch)
        from_fault = max([from_fault] + [r.get("master_down_interval_s") or 0.0
                                         for r in results["vrrp"]["routers"].values()])
        extra = (windows.Part(N_("carrier"), windows.CARRIER_S, N_("a flapping link's return "
                              "reaches its speaker within a second (linkwatch's rate limit)")),)
    if results["vrrp"].get("sync_group_vrids") and timing is not None:
        speaker = _speaker_of(results, fault["expected_master"])
        extra += (windows.Part("sync group", speaker.sync_lag_s, speaker.sync_lag_why),)
    stall = latency.stall_during(at, fault["window_end_s"])
    return windows.gap_window(from_fault, results["probe"]["interval_s"], stall, rule, extra)


def _latency(results: dict) -> Latency:
    doc = results.get("latency") or {}
    return Latency(tuple(tuple(s) for s in doc.get("stalls", [])), doc.get("samples", 0),
                   doc.get("p99_s", 0.0), doc.get("max_s", 0.0))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
