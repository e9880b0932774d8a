"""The textbook's verification steps, and each fault's expectations, as named checks.

Pure: reads only the results document (snapshots, faults, probes, evidence), so
the same checks can be re-run on an old results.json. Each check is
`{"name", "ok", "detail"}`; the detail says what was seen, in the lesson's words.
The words are the chosen language's (vrrplab.i18n): results.json holds them in
English, and the summary builds them again in the reader's language.
"""

from __future__ import annotations

from vrrplab.faults.catalogue import ATTACK_KINDS, KINDS
from vrrplab.i18n import _, ngettext, number
from vrrplab.vrrp.packet import VMAC_PREFIX, virtual_mac


def check(name: str, ok: bool, detail: str, judged: bool = True) -> dict:
    """A named check; `judged` false when the machine was too busy to judge it (ok, said so)."""
    found = {"name": name, "ok": bool(ok), "detail": detail}
    if not judged:
        found["judged"] = False
    return found


def build_checks(results: dict) -> list[dict]:
    checks = [check(_("the run completed"), False, err) for err in results["errors"]]
    snapshots = {s["label"]: s for s in results["snapshots"]}
    vip = results["vrrp"]["vip"]
    vmac = (virtual_mac(results["vrrp"]["vrid"], 6 if ":" in vip else 4)
            if results["vrrp"].get("use_vmac") else None)
    if "converge" in snapshots:
        first = snapshots["converge"]["expected_master"]
        checks += _steady_state_checks(snapshots["converge"], vip, "", vmac)
        checks.append(_log_check(results, "converge", first, ""))
        checks.append(_client_reaches_vip(results, vip))
    if results.get("auth_mismatch"):
        checks.append(_auth_mismatch_check(results))
    cut = _cut_short(results)
    for fault in results["faults"]:
        if fault["name"] == cut:
            checks.append(_cut_short_check(fault))
            continue
        checks += _fault_checks(fault, results, fault.get("vip", vip))
        if fault["kind"] in ATTACK_KINDS:
            checks += _attack_checks(fault, results)
        # during repeated elections any snapshot is a moving target: nothing to check
        if fault["name"] in snapshots and not fault.get("unstable"):
            checks += _steady_state_checks(snapshots[fault["name"]], vip, _prefix(fault["name"]),
                                            vmac)
    if len(results["vrrp"].get("gateways", [])) > 1:
        checks += _load_sharing_checks(results, snapshots, vmac)
    return checks


def _cut_short(results: dict) -> str | None:
    """The fault an interruption cut short: the last one, when the run stopped before
    its phase was observed (no snapshot of it). Its checks would judge a phase that did
    not happen: they are not judged."""
    if not results.get("interrupted") or not results["faults"]:
        return None
    last = results["faults"][-1]["name"]
    return None if any(s["label"] == last for s in results["snapshots"]) else last


def _cut_short_check(fault: dict) -> dict:
    return check(_prefix(fault["name"]) + _("the fault's outcome"), True,
                 _("not judged: the run was interrupted before this fault's phase ended"),
                 judged=False)


def _load_sharing_checks(results: dict, snapshots: dict, vmac: str | None) -> list[dict]:
    """Two gateways or more: each one's VIP where expected, and a fault moves only its own."""
    checks = []
    main = results["vrrp"]["gateways"][0]["instance"]
    labels = ["converge"] + [f["name"] for f in results["faults"]]
    for label in labels:
        snap = snapshots.get(label)
        if snap is None or snap.get("expected_master") is None:
            continue
        prefix = "" if label == "converge" else _prefix(label)
        for name, gw in snap.get("gateways", {}).items():
            if name != main and gw.get("expected_master"):
                view = {**snap, "expected_master": gw["expected_master"],
                        "expected_holders": [gw["expected_master"]], "client_arp": gw["client_arp"]}
                gw_vmac = None if vmac is None else vmac[:-2] + f"{_vrid(results, name):02x}"
                checks += _steady_state_checks(view, gw["vip"], prefix + _prefix(name), gw_vmac)
    for fault in results["faults"]:
        for name, gw in fault.get("gateways", {}).items():
            checks.append(_gateway_fault_check(fault["name"], name, gw))
    return checks


def _vrid(results: dict, instance: str) -> int:
    return next(g["vrid"] for g in results["vrrp"]["gateways"] if g["instance"] == instance)


def _gateway_fault_check(fault: str, name: str, gw: dict) -> dict:
    """A gateway the fault did not concern keeps its master and loses nothing."""
    before, after = gw["expected_before"], gw["expected_master"]
    loss = ngettext("{client} lost {n} probes to {vip}, longest gap {gap}",
                    "{client} lost {n} probes to {vip}, longest gap {gap}",
                    gw["lost_probes"]).format(client=gw["client"], n=gw["lost_probes"],
                                              vip=gw["vip"], gap=_s(gw["data_gap_s"]))
    if before == after:
        return check(_("{fault}: {name} ({vip}) stays on {after}, its client untouched")
                     .format(fault=fault, name=name, vip=gw["vip"], after=after),
                     gw["settled_master"] in (after, None) and gw["master_changes"] == 0
                     and gw["lost_probes"] == 0,
                     _("{changes} on VRID {vrid}; {loss}").format(
                         changes=_master_changes(gw["master_changes"]), vrid=gw["vrid"],
                         loss=loss))
    return check(_("{fault}: {name} ({vip}) moves from {before} to {after}")
                 .format(fault=fault, name=name, vip=gw["vip"], before=before, after=after),
                 gw["settled_master"] == after,
                 _("the last advert for VRID {vrid} came from {router}; {loss}").format(
                     vrid=gw["vrid"], router=gw["settled_master"] or _("nobody"), loss=loss))


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
        kind = (_("the VRRP virtual MAC, as the textbook says (use_vmac)") if owner
                else _("not the virtual MAC {vmac} that use_vmac should give").format(vmac=vmac))
    elif arp and arp.startswith(VMAC_PREFIX):
        kind, owner = _("a VRRP virtual MAC"), owner or master
    elif owner:
        kind = (_("{owner}'s own MAC: without use_vmac keepalived answers with the router's "
                  "MAC, not the textbook's {vmac}").format(owner=owner, vmac=f"{VMAC_PREFIX}0a")
                if ":" not in vip else
                _("{owner}'s own MAC, from its unsolicited Neighbor Advertisements")
                .format(owner=owner))
    else:
        kind = _("not the MAC of {routers}").format(routers=_or(expected))
    arp_title = master if len(expected) == 1 else _or(expected)
    if len(expected) == 1:
        where = _("{prefix}VIP on {master}'s interface only (ip addr show)").format(
            prefix=prefix, master=master)
    else:
        where = _("{prefix}VIP on {routers} at once (duplicate VIP, expected here)").format(
            prefix=prefix, routers=_and(expected))
    entry = (_("{prefix}client's neighbour (NDP) entry for the VIP points to {routers}")
             if ":" in vip else _("{prefix}client's ARP entry for the VIP points to {routers}"))
    return [
        check(where, sorted(holders) == sorted(expected), _vip_seen(vip, holders, snap)),
        check(entry.format(prefix=prefix, routers=arp_title),
              owner is not None, _("{vip} is at {mac}: {kind}").format(
                  vip=vip, mac=arp or _("no entry"), kind=kind)),
    ]


def _vip_seen(vip: str, holders: list[str], snap: dict) -> str:
    return _("{vip} is on {holders}; checked {routers}").format(
        vip=vip, holders=", ".join(holders) or _("no router"), routers=", ".join(snap["vips"]))


def _nobody_master_checks(snap: dict, vip: str, prefix: str) -> list[dict]:
    """A forged master silenced the routers: none MASTER, the VIP on none."""
    holders = [r for r, addrs in snap["vips"].items() if vip in addrs]
    masters = [r for r, state in snap["states"].items() if state == "MASTER"]
    states = ", ".join(f"{r} {state}" for r, state in snap["states"].items())
    return [
        check(_("{prefix}no router is MASTER (they obey the forged master)").format(prefix=prefix),
              not masters, states),
        check(_("{prefix}VIP on no router (ip addr show)").format(prefix=prefix), not holders,
              _vip_seen(vip, holders, snap)),
    ]


def _auth_mismatch_check(results: dict) -> dict:
    """Different passwords: some router's log must say it dropped adverts for it."""
    lines = {r: line for r, line in results.get("auth_evidence", {}).items() if line}
    detail = "; ".join(f"{r}: {line}" for r, line in lines.items()) or _("no router logged it")
    return check(_("a router's log proves the adverts are dropped for the password"),
                 bool(lines), detail)


def _client_reaches_vip(results: dict, vip: str) -> dict:
    probes = results["probes"].get(vip, {"sent": [], "recv": []})
    first_fault = results["faults"][0]["at_s"] if results["faults"] else float("inf")
    pairs = [(s, r) for s, r in zip(probes["sent"], probes["recv"]) if s < first_fault]
    answered = sum(1 for _sent, r in pairs if r is not None)
    return check(_("client reaches the VIP (ping {vip})").format(vip=vip),
                 answered > 0, ngettext("{answered} of {n} probes answered before the first fault",
                                        "{answered} of {n} probes answered before the first fault",
                                        answered).format(answered=answered, n=len(pairs)))


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
        checks = [check(_("{fault}: no failover, {router} stays master").format(
                            fault=name, router=expected),
                        set(seen) <= {expected}, _advertising(seen))]
    elif fault["kind"] == "flap":
        # many switches: what counts is who is master once the link stays up
        checks = [check(_("{fault}: {router} is master once the flapping stops").format(
                            fault=name, router=expected),
                        fault.get("settled_master") == expected,
                        _("{changes} on the wire; the last advert came from {router}").format(
                            changes=_master_changes(fault.get("master_changes", 0)),
                            router=fault.get("settled_master") or _("nobody"))),
                  _takeover_check(fault)]
    elif fault.get("takeover", True):
        checks = [check(_("{fault}: {router} becomes master").format(fault=name, router=expected),
                        fault["new_master"] == expected,
                        _("first advert after the fault came from {router}").format(
                            router=fault["new_master"] or _("nobody"))),
                  _takeover_check(fault)]
    else:
        seen = fault.get("masters_seen", [])
        checks = [check(_("{fault}: no failover, {router} stays master").format(
                            fault=name, router=expected),
                        seen == [expected], _advertising(seen))]
    if "degraded_priority" in fault:
        checks.append(_degraded_priority_check(fault))
    gap = fault["data_gap_s"]
    gap_limit = fault["gap_window"]["upper_s"]
    checks.append(check(
        _("{fault}: ping to the VIP resumes by itself with only a short loss").format(fault=name),
        gap is not None and gap <= gap_limit,
        _("longest gap {gap} ({lost}, {late}); {window}").format(
            gap=_s(gap), lost=_probes_lost(fault["lost_probes"]),
            late=_answered_late(fault.get("delayed_probes", 0)), window=_gap_window(fault))))
    for target, impact in fault["per_target"].items():
        if target != vip and fault.get("upstream_cut"):
            checks.append(_stays_cut_check(fault, target, impact, results["probe"]["interval_s"]))
        elif target != vip:
            target_gap = impact["data_gap_s"]
            checks.append(check(
                _("{fault}: traffic through the gateway to {target} recovers as fast").format(
                    fault=name, target=target),
                target_gap is not None and target_gap <= gap_limit,
                _("longest gap {gap}, {lost}; {window}").format(
                    gap=_s(target_gap), lost=_probes_lost(impact["lost_probes"]),
                    window=_gap_window(fault))))
    checks.append(_log_check(results, name, expected, _prefix(name), _log_expectation(fault)))
    return checks


def _advertising(seen: list[str]) -> str:
    return _("routers advertising after the fault: {routers}").format(
        routers=", ".join(seen) or _("none"))


def _stays_cut_check(fault: dict, target: str, impact: dict, probe_interval: float) -> dict:
    """No failover after an upstream cut: the master keeps the role and forwards into the cut,
    so the client loses what lies beyond (the lesson's point, not a flaw of the lab). A reply
    later than the fault's own command plus one probe in flight means the cut leaked."""
    last = impact.get("last_reply_s")
    allowed = (fault.get("applied_s") or 0.0) + probe_interval
    last_reply = (_("the last reply never came") if last is None else
                  _("the last reply came {delay} after the fault").format(delay=_s(last)))
    return check(_("{fault}: traffic through the gateway to {target} stays cut ({router} keeps "
                   "the role with no path upstream)").format(
                       fault=fault["name"], target=target, router=fault["expected_master"]),
                 impact["lost_probes"] > 0 and (last is None or last <= allowed),
                 _("{lost}; {last_reply} (the cut was in place {allowed} s after it, one probe "
                   "in flight)").format(lost=_probes_lost(impact["lost_probes"]),
                                        last_reply=last_reply, allowed=number(allowed, 3)))


def _silenced_checks(fault: dict, results: dict) -> list[dict]:
    """expect_master: none - the routers fall silent and the client loses its gateway."""
    name, interval = fault["name"], results["vrrp"]["advert_int_s"]
    last = fault.get("last_router_advert_s")
    quiet = fault["window_end_s"] - fault["at_s"] - (last or 0.0)
    lost, answered = fault["lost_probes"], fault.get("answered_after_s")
    last_reply = fault.get("last_reply_s")
    return [
        check(_("{fault}: every router stops advertising").format(fault=name),
              quiet >= 2 * interval,
              _("the routers' last advert came {delay} after the fault, then {quiet} s of "
                "silence until the window's end").format(delay=_s(last), quiet=number(quiet, 3))),
        check(_("{fault}: the client loses its gateway (no router holds the VIP)").format(
                  fault=name),
              lost > 0 or answered is None,
              _("{lost}; {last_reply}").format(
                  lost=ngettext("{n} probes to the VIP lost", "{n} probes to the VIP lost",
                                lost).format(n=lost),
                  last_reply=_("no reply in the window") if answered is None
                  else _("the last reply came {delay} after the fault").format(
                      delay=_s(last_reply)))),
    ]


def _elections_check(fault: dict) -> dict:
    """unstable: true - repeated elections instead of one takeover."""
    changes = fault.get("master_changes", 0)
    among = ", ".join(fault.get("masters_seen", [])) or _("no router")
    return check(_("{fault}: repeated elections (changes of master on the wire)").format(
                     fault=fault["name"]),
                 changes >= 2,
                 _("{changes} among {routers}; {lost}, longest gap {gap}").format(
                     changes=_master_changes(changes), routers=among,
                     lost=ngettext("{n} probes to the VIP lost", "{n} probes to the VIP lost",
                                   fault["lost_probes"]).format(n=fault["lost_probes"]),
                     gap=_s(fault["data_gap_s"])))


def _attack_over_checks(fault: dict, results: dict, vip: str) -> list[dict]:
    """stop_attack: the expected master returns (or stays), the client's traffic with it."""
    name, expected = fault["name"], fault["expected_master"]
    checks = [check(_("{fault}: {router} is master once the attack stops").format(
                        fault=name, router=expected),
                    fault.get("settled_master") == expected,
                    _("the last advert came from {router}").format(
                        router=fault.get("settled_master") or _("nobody")))]
    if fault.get("takeover", True):
        checks.append(_takeover_check(fault))
    else:
        seen = fault.get("masters_seen", [])
        checks.append(check(_("{fault}: no failover, {router} stays master").format(
                                fault=name, router=expected),
                            seen == [expected], _advertising(seen)))
    gap_limit = fault["gap_window"]["upper_s"]
    for target, impact in fault["per_target"].items():
        what = (_("{fault}: ping to the VIP is answered again within the bound") if target == vip
                else _("{fault}: traffic through the gateway to {target} is answered again "
                       "within the bound"))
        after = impact.get("answered_after_s")
        checks.append(check(what.format(fault=name, target=target),
                            after is not None and after <= gap_limit,
                            _("first reply {delay} after the attack stopped ({lost}); {window}")
                            .format(delay=_s(after), lost=_probes_lost(impact["lost_probes"]),
                                    window=_gap_window(fault))))
    checks.append(_log_check(results, name, expected, _prefix(name), _log_expectation(fault)))
    return checks


def _attack_checks(fault: dict, results: dict) -> list[dict]:
    """The attack really ran (so a guarded pass means something), and what it read."""
    name, attack = fault["name"], fault.get("attack") or {}
    if fault["kind"] == "zero_storm":
        spoofed = attack.get("forged_src")
        title = (_("{fault}: forged priority-0 adverts in {address}'s name are on the wire")
                 if spoofed else
                 _("{fault}: forged priority-0 adverts in the master's name are on the wire"))
        zero = fault.get("zero_adverts", 0)
        checks = [check(title.format(fault=name, address=spoofed), zero >= 2,
                        ngettext("{n} priority-0 adverts seen by the client (a real goodbye is "
                                 "one)", "{n} priority-0 adverts seen by the client (a real "
                                 "goodbye is one)", zero).format(n=zero))]
    else:
        foreign = fault.get("foreign_adverts", {})
        count = foreign.get("count", 0)
        checks = [check(_("{fault}: the attacker's forged adverts are on the wire").format(
                            fault=name),
                        count > 0,
                        ngettext("{n} adverts from {sources} with priority {priorities}",
                                 "{n} adverts from {sources} with priority {priorities}",
                                 count).format(
                            n=count,
                            sources=", ".join(foreign.get("sources", []))
                            or _("no foreign address"),
                            priorities=", ".join(map(str, foreign.get("priorities", []))) or "-"))]
    on_wire = results["vrrp"].get("auth_pass_on_wire")
    if on_wire:
        read = attack.get("password_read")
        checks.append(check(
            _("{fault}: the attacker read the VRRPv2 password off the wire").format(fault=name),
            read == on_wire,
            _("it read {read!r} from {source}; the routers' auth_pass is {on_wire!r} (PASS is "
              "sent in clear)").format(read=read, source=attack.get("sniffed_from")
                                       or _("no advert"), on_wire=on_wire)))
    return checks


def _degraded_priority_check(fault: dict) -> dict:
    """The failing health check shows on the wire: the target advertises base + weight."""
    target, expected = fault["target"], fault["degraded_priority"]
    seen = fault["priorities_seen"].get(target, [])
    what = (_("{fault}: {router} now advertises priority {priority}")
            if fault["kind"] == "set_priority"
            else _("{fault}: {router}'s failing check lowers its priority to {priority}"))
    return check(what.format(fault=fault["name"], router=target, priority=expected),
                 expected in seen,
                 _("{router} advertised priorities {seen} after the fault").format(
                     router=target, seen=seen or _("none")))


def _takeover_check(fault: dict) -> dict:
    """Inside its two-sided window (vrrplab.analysis.timing): not late, and not early either."""
    name, expected, timing = fault["name"], fault["expected_master"], fault.get("timing")
    if timing is None:  # a kind with no takeover figure: only who is master counts
        return check(_("{fault}: takeover within the RFC bound").format(fault=name),
                     fault["takeover_s"] is not None,
                     _("{delay} from the fault to {router}'s first advert").format(
                         delay=_s(fault["takeover_s"]), router=expected))
    measured = timing["measured_s"]
    window = _("RFC {figure} {figure_s} s, window {lower}-{upper} s").format(
        figure=_stored(timing["figure"]), figure_s=number(timing["figure_s"], 3),
        lower=number(timing["lower_s"], 3), upper=number(timing["upper_s"], 3))
    basis = _stored(timing["basis"])
    detail = _("{delay} from {basis} to {router}'s first advert (or gratuitous ARP); {window}"
               ).format(delay=_s(measured), basis=basis, router=expected, window=window)
    if timing.get("configured_priority") is not None:
        detail += " " + _("({router}'s timers from priority {priority}, as it advertised: its "
                          "failing health check took it from {configured})").format(
            router=expected, priority=timing["priority"],
            configured=timing["configured_priority"])
    title = _("{fault}: takeover within the RFC window").format(fault=name)
    if not timing["judged"]:
        return check(title, True, _("not judged: {why}; {detail}").format(
            why=timing["not_judged"], detail=detail), judged=False)
    verdict = timing["verdict"]
    why = {"early": _(": earlier than the RFC allows, the backup did not wait"),
           "late": _(": later than the window"), "ok": "",
           "missing": _(": no {basis} on the wire to count from").format(basis=basis)
           if timing["basis_at_s"] is None else _(": no takeover")}[verdict]
    loose = f" ({timing['loose']})" if timing.get("loose") else ""
    return check(title, verdict == "ok", detail + why + loose)


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
    names = {"stays": _("{prefix}{router}'s log shows no change of state (it stays MASTER)"),
             "enters_or_stays": _("{prefix}{router}'s log shows it MASTER (entering it, or "
                                  "never leaving it)"),
             "enters": _("{prefix}{router}'s log shows Entering MASTER STATE")}
    title = names[expectation].format(prefix=prefix, router=router)
    found = next((p for p in results.get("phase_evidence") or [] if p["phase"] == phase), None)
    if found is None or router not in found["routers"]:
        return check(title, False, _("no log read for {router} in phase {phase}").format(
            router=router, phase=phase))
    mine = found["routers"][router]
    window = found["window_s"]
    where = _("{log} bytes {first}-{last}, {start}-{end} since the start").format(
        log=mine["log"], first=mine["bytes"][0], last=mine["bytes"][1],
        start=number(window[0], 3), end=_s(window[1]))
    states = mine["states"]
    if expectation == "stays":
        left = [line for state, line in states if state != "MASTER"]
        return _windowed(check(title, not left,
            f"{left[0]} ({where})" if left
            else _("no state change logged ({where})").format(where=where)), window)
    if expectation == "enters_or_stays":
        detail = (f"{states[-1][1]} ({where})" if states
                  else _("no state change logged: it stayed as it was ({where})").format(
                      where=where))
        return _windowed(check(title, not states or states[-1][0] == "MASTER", detail), window)
    entered = [line for state, line in states if state == "MASTER"]
    return _windowed(check(title, bool(entered),
                           f"{entered[-1]} ({where})" if entered
                           else _("no such line in this phase ({where})").format(where=where)),
                     window)


def _windowed(found: dict, window: list) -> dict:
    """Record where the evidence of a check was taken from (seconds since t0)."""
    return {**found, "window_s": window}


def _gap_window(fault: dict) -> str:
    window = fault["gap_window"]
    return _("window 0-{upper} s (the takeover's upper edge seen from the fault, + a probe "
             "interval each side)").format(upper=number(window["upper_s"], 3))


def _s(value: float | None) -> str:
    return _("never") if value is None else _("{seconds} s").format(seconds=number(value, 3))


def _stored(words: str | None) -> str | None:
    """A phrase results.json holds in English (windows.BASIS, a figure's name), in the
    reader's language when the catalogue has it (marked N_ where it is written)."""
    return _(words) if words else words


def _prefix(phase: str) -> str:
    """A check of a fault's phase (or a gateway) begins with its name: "stop-r1: "."""
    return _("{phase}: ").format(phase=phase)


def _probes_lost(n: int) -> str:
    # TRANSLATORS: English says "probes" whatever the count (the checks' English is kept
    # byte for byte); French says "1 sonde perdue", "2 sondes perdues"
    return ngettext("{n} probes lost", "{n} probes lost", n).format(n=n)


def _answered_late(n: int) -> str:
    return ngettext("{n} answered late", "{n} answered late", n).format(n=n)


def _master_changes(n: int) -> str:
    return ngettext("{n} changes of master", "{n} changes of master", n).format(n=n)


def _or(routers) -> str:
    # TRANSLATORS: between router names: "r1 or r2"
    return _(" or ").join(routers)


def _and(routers) -> str:
    # TRANSLATORS: between router names: "r1 and r2"
    return _(" and ").join(routers)
