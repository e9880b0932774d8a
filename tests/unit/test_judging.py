"""The judging code on hand-built results: windows, timing and checks, each rule proven
by known-bad input that it fails as well as known-good input that it passes.

Every number below comes from the RFC formulas (`vrrplab.vrrp.timers`) and the named
parts of `vrrplab.windows` (their sizes read from the module, so a re-measured part
moves the expectation with it); no blanket margins. The lab: r1 (priority 120) is
master, r2 (priority 100) its backup, VRRPv3 at 1 s, adverts every second until the
fault at t=5.0 s (seconds since t0, as in results.json).
"""

from __future__ import annotations

import pytest

from vrrplab import checks, timing, windows
from vrrplab.latency import NO_LATENCY, Latency
from vrrplab.vrrp.timers import master_down_interval, skew_time

INT = 1.0
SKEW = skew_time(100, INT, 3)  # r2's: (256 - 100) * 1 / 256 = 0.609375 s
MDI = master_down_interval(100, INT, 3)  # 3 * 1 + 0.609375 = 3.609375 s
MDI_R1 = master_down_interval(120, INT, 3)  # r1 returning: 3 + 136/256
KA = windows.SPEAKERS["keepalived"]
BUNDLED = windows.SPEAKERS["bundled"]
CAP = windows.CAPTURE_S
AT = 5.0
PROBE = 0.01
EPS = 5e-5  # half a tenth of a millisecond: inside every named part, beyond float noise


def near(value: float) -> object:
    return pytest.approx(value, abs=1e-6)


# --- a results document, by hand ---------------------------------------------------------

def adv(t: float, router: str, priority: int, vrid: int = 10) -> dict:
    return {"t": t, "router": router, "vrid": vrid, "priority": priority}


def r1_adverts(until: float = AT, priority: int = 120) -> list[dict]:
    """r1's adverts every second from t=1 up to (not including) `until`."""
    return [adv(float(t), "r1", priority) for t in range(1, int(until) + 1) if t < until]


def fault(kind: str, target: str = "r1", expected: str | None = "r2", old: str | None = "r1",
          **extra) -> dict:
    base = {"name": f"{kind}-{target}", "kind": kind, "target": target,
            "expected_master": expected, "old_master": old, "at_s": AT,
            "window_end_s": AT + 10.0, "applied_s": 0.0, "takeover": True, "unstable": False,
            "bound_s": MDI, "priority": None,
            # what build_checks reads besides the timing
            "new_master": expected, "data_gap_s": 0.1, "lost_probes": 10, "delayed_probes": 0,
            "per_target": {}}
    return {**base, **extra}


def document(faults: list[dict], adverts: list[dict], *, speakers: dict | None = None,
             starts: dict | None = None, stalls=(), vip: str = "192.168.1.1",
             preempt_delay: float = 0.0, sync=(), gateways=None, script: float = 0.0,
             phases=None, version: int = 3) -> dict:
    vrrp = {"version": version, "advert_int_s": INT, "vrid": 10, "vip": vip,
            "preempt_delay_s": preempt_delay, "sync_group_vrids": list(sync),
            "routers": {"r1": {"priority": 120, "script_delay_s": script},
                        "r2": {"priority": 100, "script_delay_s": 0.0}}}
    if gateways is not None:
        vrrp["gateways"] = gateways
    return {"errors": [], "snapshots": [], "probes": {}, "faults": faults, "vrrp": vrrp,
            "speakers": speakers if speakers is not None else {"r1": "keepalived",
                                                               "r2": "keepalived"},
            "speaker_starts": starts or {},
            "timeline": {"adverts": sorted(adverts, key=lambda a: a["t"])},
            "latency": {"stalls": [list(s) for s in stalls], "samples": 0, "p99_s": 0.0,
                        "max_s": 0.0},
            "probe": {"interval_s": PROBE}, "phase_evidence": phases or []}


def timed(doc: dict, index: int = 0) -> dict | None:
    timing.annotate(doc)
    return doc["faults"][index]["timing"]


def named(doc: dict) -> dict[str, dict]:
    """annotate, then build_checks: the checks by name."""
    timing.annotate(doc)
    return {c["name"]: c for c in checks.build_checks(doc)}


def goodbye_doc(after_zero: float | None, zero_at: float | None = AT + 0.3, **kw) -> dict:
    """stop r1 at t=5.0; its priority-0 advert at `zero_at`; r2 first heard `after_zero`
    later (adverts every second from then on)."""
    adverts = r1_adverts()
    if zero_at is not None:
        adverts.append(adv(zero_at, "r1", 0))
    if after_zero is not None:
        first = (zero_at if zero_at is not None else AT) + after_zero
        adverts += [adv(first + i, "r2", 100) for i in range(3)]
    return document([fault("stop")], adverts, **kw)


GOODBYE_LOWER = SKEW - CAP
GOODBYE_UPPER = SKEW + KA.reaction_s


# --- windows: the rules ------------------------------------------------------------------

def test_every_fault_kind_has_its_rule():
    assert windows.RULES == {
        "stop": "goodbye",
        "crash": "silence", "kill": "silence", "freeze": "silence", "link_down": "silence",
        "block_vrrp": "silence",
        "cut_upstream": "demoted",
        "start": "start", "link_up": "rejoin",
        "restore_upstream": "promoted",
        "thaw": "next_advert", "unblock_vrrp": "next_advert",
        "stop_attack": "attack_over",
    }
    for kind, rule in windows.RULES.items():
        assert windows.rule_of(kind, "r1", "r2") == rule
        assert rule in windows.BASIS
    for kind in ("flap", "guard_vrrp", "rogue_router", "zero_storm", "malformed", "nonsense"):
        assert windows.rule_of(kind, "r1", "r2") is None


def test_set_priority_is_promoted_when_it_raises_the_expected_master_else_demoted():
    assert windows.rule_of("set_priority", "r1", "r1") == "promoted"  # raised back: r1 takes over
    assert windows.rule_of("set_priority", "r1", "r2") == "demoted"  # r1 lowered: r2 takes over
    assert windows.rule_of("set_priority", "r1", None) == "demoted"


def test_basis_in_words():
    assert windows.BASIS == {
        "goodbye": "the old master's priority-0 advert",
        "silence": "the old master's last advert",
        "demoted": "the old master's last advert at a priority the backup accepts",
        "start": "the daemon's start",
        "rejoin": "the fault (link up)",
        "promoted": "the fault",
        "next_advert": "the fault",
        "attack_over": "the attacker's last forged advert",
    }


def timers(speaker=KA, **kw) -> windows.Timers:
    return windows.Timers(INT, SKEW, MDI, speaker, **kw)


def parts(parts_: tuple) -> dict[str, float]:
    return {p.name: p.s for p in parts_}


def test_goodbye_window_is_skew_time_minus_capture_plus_reaction_and_stall():
    w = windows.takeover_window("goodbye", timers(), windows.Circumstances(stall_s=0.002))
    assert (w.rule, w.figure, w.basis) == ("goodbye", "Skew_Time", windows.BASIS["goodbye"])
    assert w.figure_s == near(0.609375)
    assert w.lower_s == near(0.609375 - 0.0001)
    assert w.upper_s == near(0.609375 + KA.reaction_s + 0.002)
    assert parts(w.lower) == {"capture": CAP}
    assert parts(w.upper) == {"reaction": KA.reaction_s, "scheduling": 0.002}
    assert w.note is None and w.floor_s is None
    # the edges belong to the window; a hair beyond either is out
    assert w.verdict(w.lower_s) == "ok" and w.verdict(w.upper_s) == "ok"
    assert w.verdict(w.lower_s - EPS) == "early"
    assert w.verdict(w.upper_s + EPS) == "late"
    assert w.verdict(None) == "missing"


def test_silence_and_demoted_are_master_down_interval_and_a_sync_group_widens_only_them():
    for rule in ("silence", "demoted"):
        w = windows.takeover_window(rule, timers(), windows.Circumstances())
        assert (w.figure, w.figure_s) == ("Master_Down_Interval", near(MDI))
        assert w.lower_s == near(MDI - CAP) and w.upper_s == near(MDI + KA.reaction_s)
        grouped = windows.takeover_window(rule, timers(uncaptured_sync_members=2),
                                          windows.Circumstances())
        assert parts(grouped.upper)["sync group"] == INT  # one interval, not one per member
        assert grouped.upper_s == near(MDI + KA.reaction_s + INT)
        assert grouped.lower_s == near(MDI - CAP)
    for rule in ("goodbye", "promoted", "next_advert", "start", "rejoin", "attack_over"):
        w = windows.takeover_window(rule, timers(uncaptured_sync_members=1), windows.Circumstances())
        assert "sync group" not in parts(w.upper), rule


def test_ipv6_adds_the_speakers_ipv6_part_to_the_upper_edge_only():
    w4 = windows.takeover_window("silence", timers(), windows.Circumstances())
    w6 = windows.takeover_window("silence", timers(ipv6=True), windows.Circumstances())
    assert parts(w6.upper)["IPv6"] == KA.ipv6_s
    assert w6.upper_s - w4.upper_s == near(KA.ipv6_s) and w6.lower_s == w4.lower_s


def test_extra_parts_are_counted():
    extra = windows.Part("something", 0.25, "measured")
    w = windows.takeover_window("silence", timers(), windows.Circumstances(extra=(extra,)))
    assert w.upper_s == near(MDI + KA.reaction_s + 0.25)


def test_promoted_counts_from_the_fault_and_the_last_reset_opens_one_interval_below():
    seen = windows.Circumstances(stall_s=0.003, applied_s=0.02)
    w = windows.takeover_window("promoted", timers(script_delay_s=2.5), seen)
    assert (w.figure, w.basis) == ("Master_Down_Interval", "the fault")
    assert parts(w.lower) == {"last reset": INT}
    assert w.lower_s == near(MDI - INT)
    assert parts(w.upper) == {"health check": 2.5, "applied": 0.02,
                              "reaction": KA.reaction_s, "scheduling": 0.003}
    assert w.upper_s == near(MDI + 2.5 + 0.02 + KA.reaction_s + 0.003)


def test_next_advert_has_no_lower_edge_and_one_interval_above():
    w = windows.takeover_window("next_advert", timers(), windows.Circumstances(applied_s=0.04))
    assert (w.figure, w.figure_s) == ("next advert", 0.0)
    assert w.lower == () and w.lower_s == 0.0
    assert w.upper_s == near(INT + 0.04 + KA.reaction_s)
    assert "no lower edge" in w.note
    assert w.verdict(0.0) == "ok"
    assert w.verdict(w.upper_s + EPS) == "late"


def test_attack_over_is_master_down_interval_from_the_last_forgery():
    w = windows.takeover_window("attack_over", timers(), windows.Circumstances())
    assert (w.figure, w.basis) == ("Master_Down_Interval", windows.BASIS["attack_over"])
    assert w.lower_s == near(MDI - CAP) and w.upper_s == near(MDI + KA.reaction_s)


def test_start_from_the_fault_adds_the_start_up_part_from_the_log_does_not():
    fault_based = windows.takeover_window("start", timers(), windows.Circumstances())
    assert fault_based.basis == "the fault (systemctl start)"
    assert parts(fault_based.upper) == {"reaction": KA.reaction_s, "scheduling": 0.0,
                                        "start-up": KA.start_up_s}
    assert fault_based.figure == "Master_Down_Interval"
    assert fault_based.lower_s == near(MDI - CAP)
    assert fault_based.upper_s == near(MDI + KA.reaction_s + KA.start_up_s)
    logged = windows.takeover_window("start", timers(BUNDLED),
                                     windows.Circumstances(started_from_log=True))
    assert logged.basis == "the daemon's start (its log)"
    assert "start-up" not in parts(logged.upper)
    assert logged.upper_s == near(MDI + BUNDLED.reaction_s)
    assert logged.note is None


def test_preempt_delay_widens_both_edges_by_one_advert_interval():
    pd = 5.0
    w = windows.takeover_window("start", timers(preempt_delay_s=pd),
                                windows.Circumstances(started_from_log=True))
    assert w.figure == "Master_Down_Interval + preempt_delay"
    assert w.figure_s == near(MDI + pd)
    assert w.lower_s == near(MDI + pd - CAP - INT)
    assert w.upper_s == near(MDI + pd + KA.reaction_s + INT)
    assert parts(w.lower)["preempt_delay"] == INT and parts(w.upper)["preempt_delay"] == INT
    assert "preempt_delay" in w.note


def test_rejoin_counts_from_the_link_and_adds_the_command():
    w = windows.takeover_window("rejoin", timers(), windows.Circumstances(applied_s=0.03,
                                                                            started_from_log=True))
    assert w.basis == windows.BASIS["rejoin"]
    assert parts(w.upper) == {"reaction": KA.reaction_s, "scheduling": 0.0, "applied": 0.03,
                              "carrier": windows.CARRIER_S}
    assert w.upper_s == near(MDI + KA.reaction_s + 0.03 + windows.CARRIER_S)
    assert w.lower_s == near(MDI - CAP)


def test_an_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="no timing rule 'nonsense'"):
        windows.takeover_window("nonsense", timers(), windows.Circumstances())


def test_the_lower_edge_never_goes_below_zero_and_a_floor_overrides_it():
    w = windows.Window("x", "f", 0.05, "b", (windows.Part("big", 0.2, ""),))
    assert w.lower_s == 0.0
    assert w.verdict(0.0) == "ok"
    w = windows.Window("x", "f", 1.0, "b", (windows.Part("small", 0.2, ""),), floor_s=0.1)
    assert w.lower_s == 0.1 and w.verdict(0.1 - EPS) == "early"


def test_window_text_and_dict():
    w = windows.takeover_window("goodbye", timers(), windows.Circumstances())
    assert w.text() == (f"Skew_Time 0.609 s, window {SKEW - CAP:.3f}-"
                        f"{SKEW + KA.reaction_s:.3f} s")
    d = w.to_dict()
    assert d == {"rule": "goodbye", "figure": "Skew_Time", "figure_s": 0.609375,
                 "basis": windows.BASIS["goodbye"], "lower_s": round(SKEW - CAP, 6),
                 "upper_s": round(SKEW + KA.reaction_s, 6),
                 "lower_parts": [{"part": "capture", "s": CAP, "why": w.lower[0].why}],
                 "upper_parts": [p.to_dict() for p in w.upper], "note": None}
    assert windows.Part("p", 0.1234567, "why").to_dict() == {"part": "p", "s": 0.123457,
                                                            "why": "why"}


def test_gap_window_upper_edge_is_the_takeover_plus_its_named_parts():
    w = windows.gap_window(0.62, PROBE, 0.004, "goodbye")
    assert (w.rule, w.floor_s, w.lower_s, w.lower) == ("goodbye", 0.0, 0.0, ())
    assert w.figure_s == 0.62 and w.basis == "the last reply before the fault"
    assert parts(w.upper) == {"last reply": PROBE, "next probe": PROBE,
                              "path switch": windows.PATH_SWITCH_S, "scheduling": 0.004}
    upper = 0.62 + 2 * PROBE + windows.PATH_SWITCH_S + 0.004
    assert w.upper_s == near(upper)
    assert w.verdict(upper + EPS) == "late" and w.verdict(upper - EPS) == "ok"
    assert w.verdict(0.0) == "ok"  # no gap at all is fine
    assert "no lower edge" in w.note
    assert windows.gap_window(0.62, PROBE, 0.0, None).rule == "gap"


# --- timing: which instant, which figure -------------------------------------------------

def test_goodbye_is_measured_from_the_priority_zero_advert_not_from_the_fault():
    t = timed(goodbye_doc(SKEW + 0.002))
    assert t["rule"] == "goodbye" and t["verdict"] == "ok" and t["judged"] is True
    assert t["basis_at_s"] == near(AT + 0.3)
    assert t["measured_s"] == near(SKEW + 0.002)  # from the fault it would be 0.3 s more
    assert t["lower_s"] == near(GOODBYE_LOWER) and t["upper_s"] == near(GOODBYE_UPPER)
    assert t["bases_tried"] == 1 and t["stall_s"] == 0.0
    assert "not_judged" not in t


def test_a_backup_that_did_not_wait_is_early_and_fails():
    doc = goodbye_doc(GOODBYE_LOWER - EPS)
    found = named(doc)["stop-r1: takeover within the RFC window"]
    assert doc["faults"][0]["timing"]["verdict"] == "early"
    assert not found["ok"]
    assert "earlier than the RFC allows" in found["detail"]
    assert found["detail"].startswith(f"{GOODBYE_LOWER - EPS:.3f} s from the old master's "
                                      f"priority-0 advert to r2's first advert; RFC Skew_Time")
    assert timed(goodbye_doc(GOODBYE_LOWER + EPS))["verdict"] == "ok"


def test_a_backup_that_waited_too_long_is_late_and_fails():
    doc = goodbye_doc(GOODBYE_UPPER + EPS)
    found = named(doc)["stop-r1: takeover within the RFC window"]
    assert doc["faults"][0]["timing"]["verdict"] == "late" and not found["ok"]
    assert "later than the window" in found["detail"]
    assert timed(goodbye_doc(GOODBYE_UPPER - EPS))["verdict"] == "ok"


def test_no_priority_zero_advert_is_a_missing_basis_and_fails():
    doc = goodbye_doc(SKEW, zero_at=None)
    found = named(doc)["stop-r1: takeover within the RFC window"]
    t = doc["faults"][0]["timing"]
    assert (t["verdict"], t["basis_at_s"], t["measured_s"]) == ("missing", None, None)
    assert not found["ok"]
    assert found["detail"].endswith(": no the old master's priority-0 advert on the wire "
                                    "to count from")
    assert found["detail"].startswith("never from the old master's priority-0 advert")


def test_no_takeover_at_all_is_missing_and_says_so():
    doc = goodbye_doc(None)
    found = named(doc)["stop-r1: takeover within the RFC window"]
    assert doc["faults"][0]["timing"]["verdict"] == "missing"
    assert doc["faults"][0]["timing"]["basis_at_s"] == near(AT + 0.3)
    assert not found["ok"] and found["detail"].endswith(": no takeover")


def test_the_goodbye_must_be_the_old_masters_after_the_fault_and_before_the_takeover():
    adverts = r1_adverts() + [adv(AT - 0.5, "r1", 0), adv(AT + 0.2, "r2", 0),
                              adv(AT + 0.3 + SKEW, "r2", 100), adv(AT + 1.0, "r1", 0)]
    t = timed(document([fault("stop")], adverts))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None
    # the first of two goodbyes counts
    adverts = r1_adverts() + [adv(AT, "r1", 0), adv(AT + 0.1, "r1", 0),
                              adv(AT + SKEW, "r2", 100)]
    t = timed(document([fault("stop")], adverts))
    assert t["basis_at_s"] == near(AT) and t["verdict"] == "ok"


def test_the_takeover_is_the_expected_masters_first_advert_after_the_fault():
    adverts = r1_adverts() + [adv(AT - 0.2, "r2", 100), adv(AT + 0.3, "r1", 0),
                              adv(AT + 0.31, "r2", 0), adv(AT + 0.3 + SKEW, "r2", 100)]
    t = timed(document([fault("stop")], adverts))
    assert t["measured_s"] == near(SKEW) and t["verdict"] == "ok"
    # at the fault's own instant counts
    adverts = r1_adverts() + [adv(AT - SKEW, "r1", 0), adv(AT, "r2", 100)]
    t = timed(document([fault("stop")], adverts, ))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None  # the goodbye came before


def test_silence_is_measured_from_the_old_masters_last_advert_not_from_the_fault():
    # r1 crashes at 5.0; its last advert was at 4.0: r2 waits its MDI from then
    adverts = r1_adverts() + [adv(4.0 + MDI + 0.002, "r2", 100)]
    t = timed(document([fault("crash")], adverts))
    assert t["rule"] == "silence" and t["figure"] == "Master_Down_Interval"
    assert t["basis_at_s"] == near(4.0)
    assert t["measured_s"] == near(MDI + 0.002) and t["verdict"] == "ok"
    assert t["lower_s"] == near(MDI - CAP) and t["upper_s"] == near(MDI + KA.reaction_s)
    # a backup that counted from the fault would be late; one that did not wait, early
    late = timed(document([fault("crash")], r1_adverts() + [adv(AT + MDI, "r2", 100)]))
    assert late["verdict"] == "late"
    early = timed(document([fault("crash")], r1_adverts() + [adv(4.0 + MDI - CAP - EPS,
                                                                  "r2", 100)]))
    assert early["verdict"] == "early"
    nothing = timed(document([fault("crash")], [adv(AT + MDI, "r2", 100)]))
    assert nothing["verdict"] == "missing" and nothing["basis_at_s"] is None


def test_silence_counts_adverts_sent_while_the_fault_was_applied():
    # a link going down: r1's advert at 5.02 went out while `ip link` ran
    adverts = r1_adverts() + [adv(AT + 0.02, "r1", 120), adv(AT + 0.02 + MDI, "r2", 100)]
    t = timed(document([fault("link_down", applied_s=0.05)], adverts))
    assert t["basis_at_s"] == near(AT + 0.02) and t["verdict"] == "ok"
    assert t["bases_tried"] == 2
    # or the backup did not hear it: then the one before the fault
    adverts = r1_adverts() + [adv(AT + 0.02, "r1", 120), adv(4.0 + MDI, "r2", 100)]
    t = timed(document([fault("link_down", applied_s=0.05)], adverts))
    assert t["basis_at_s"] == near(4.0) and t["verdict"] == "ok"
    # a goodbye is no advert the backup waits on
    adverts = r1_adverts() + [adv(AT + 0.01, "r1", 0), adv(4.0 + MDI, "r2", 100)]
    t = timed(document([fault("crash")], adverts))
    assert t["basis_at_s"] == near(4.0) and t["bases_tried"] == 1


def test_block_vrrp_counts_only_adverts_until_the_rule_is_in_place():
    # r1 goes on advertising (the capture hears it); the rule took 0.1 s to apply
    adverts = r1_adverts() + [adv(AT + 0.05, "r1", 120)] + \
        [adv(AT + 0.05 + i, "r1", 120) for i in range(1, 6)]
    on_time = adverts + [adv(AT + 0.05 + MDI, "r2", 100)]
    t = timed(document([fault("block_vrrp", applied_s=0.1)], on_time))
    assert t["basis_at_s"] == near(AT + 0.05) and t["verdict"] == "ok" and t["bases_tried"] == 2
    from_before = adverts + [adv(4.0 + MDI, "r2", 100)]
    t = timed(document([fault("block_vrrp", applied_s=0.1)], from_before))
    assert t["basis_at_s"] == near(4.0) and t["verdict"] == "ok" and t["bases_tried"] == 2
    # an advert after the rule is in place is no basis: counted from it, this is on time,
    # from the adverts the backup heard it is late
    after_rule = adverts + [adv(AT + 1.05 + MDI, "r2", 100)]
    t = timed(document([fault("block_vrrp", applied_s=0.1)], after_rule))
    assert t["verdict"] == "late" and t["basis_at_s"] == near(AT + 0.05)
    assert t["bases_tried"] == 2
    # the rule applied at once: only the advert before the fault
    t = timed(document([fault("block_vrrp", applied_s=0.0)], from_before))
    assert t["basis_at_s"] == near(4.0) and t["bases_tried"] == 1


def test_demoted_counts_from_the_last_advert_at_a_priority_the_backup_accepts():
    # r1's upstream is cut at 5.0: it advertises 100 (as much as r2: still accepted), then 90
    adverts = r1_adverts() + [adv(AT + 0.1, "r1", 100), adv(AT + 1.1, "r1", 90),
                              adv(AT + 2.1, "r1", 90), adv(AT + 0.1 + MDI, "r2", 100)]
    t = timed(document([fault("cut_upstream")], adverts))
    assert t["rule"] == "demoted"
    assert t["basis_at_s"] == near(AT + 0.1) and t["verdict"] == "ok"
    assert t["measured_s"] == near(MDI)
    # (counted from the last advert of any priority, 7.1, that would be early); a backup
    # that did not wait its interval after the accepted one is
    early = adverts[:-1] + [adv(AT + 0.1 + MDI - 0.2, "r2", 100)]
    assert timed(document([fault("cut_upstream")], early))["verdict"] == "early"
    # set_priority lowering the master is judged the same way
    lowered = [a for a in adverts if a["priority"] != 100 or a["router"] != "r1"]
    lowered.append(adv(4.0 + MDI, "r2", 100))
    t = timed(document([fault("set_priority", priority=90)], lowered))
    assert t["rule"] == "demoted" and t["basis_at_s"] == near(4.0) and t["verdict"] == "ok"
    # no advert the backup accepted: nothing to count from
    t = timed(document([fault("cut_upstream")], [adv(1.0, "r1", 90), adv(AT + MDI, "r2", 100)]))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None


def test_start_counts_from_the_bundled_speakers_logged_start():
    # r1 returns at 5.0 (bundled); its log says it started at 5.15; r1 preempts r2
    speakers = {"r1": "bundled", "r2": "bundled"}
    starts = {"r1": [0.5, AT + 0.15, AT + 3.0]}  # an earlier start and a later one: not it
    adverts = [adv(float(t), "r2", 100) for t in range(1, 10)]
    adverts.append(adv(AT + 0.15 + MDI_R1 + 0.001, "r1", 120))
    t = timed(document([fault("start", expected="r1", old="r2")], adverts,
                       speakers=speakers, starts=starts))
    assert t["rule"] == "start" and t["basis"] == "the daemon's start (its log)"
    assert t["basis_at_s"] == near(AT + 0.15)
    assert t["measured_s"] == near(MDI_R1 + 0.001) and t["verdict"] == "ok"
    assert t["figure_s"] == near(MDI_R1)  # r1's own priority, 120
    assert t["upper_s"] == near(MDI_R1 + BUNDLED.reaction_s)
    assert [p["part"] for p in t["upper_parts"]] == ["reaction", "scheduling"]
    # counted from the fault it would have been late
    assert MDI_R1 + 0.15 > t["upper_s"]


def test_start_of_keepalived_counts_from_the_fault_plus_its_start_up():
    adverts = [adv(float(t), "r2", 100) for t in range(1, 10)]
    adverts.append(adv(AT + 0.05 + MDI_R1, "r1", 120))
    t = timed(document([fault("start", expected="r1", old="r2")], adverts,
                       starts={"r2": [AT + 0.01]}))  # another router's start: not r1's
    assert t["basis"] == "the fault (systemctl start)" and t["basis_at_s"] == near(AT)
    assert t["measured_s"] == near(0.05 + MDI_R1) and t["verdict"] == "ok"
    assert t["upper_s"] == near(MDI_R1 + KA.reaction_s + KA.start_up_s)
    assert t["lower_s"] == near(MDI_R1 - CAP)
    too_late = adverts[:-1] + [adv(AT + MDI_R1 + KA.reaction_s + KA.start_up_s + EPS,
                                   "r1", 120)]
    assert timed(document([fault("start", expected="r1", old="r2")], too_late))["verdict"] \
        == "late"


def test_preempt_delay_in_a_run():
    pd = 3.0
    adverts = [adv(float(t), "r2", 100) for t in range(1, 15)]
    # the delay armed at r2's first advert after the start, up to an interval late
    adverts.append(adv(AT + MDI_R1 + pd + INT, "r1", 120))
    t = timed(document([fault("start", expected="r1", old="r2")], adverts, preempt_delay=pd,
                       starts={"r1": [AT]}, speakers={"r1": "bundled", "r2": "bundled"}))
    assert t["figure"] == "Master_Down_Interval + preempt_delay"
    assert t["lower_s"] == near(MDI_R1 + pd - CAP - INT)
    assert t["upper_s"] == near(MDI_R1 + pd + BUNDLED.reaction_s + INT)
    assert t["verdict"] == "ok"
    adverts[-1] = adv(AT + MDI_R1 + pd - INT - CAP - EPS, "r1", 120)
    t = timed(document([fault("start", expected="r1", old="r2")], adverts, preempt_delay=pd,
                       starts={"r1": [AT]}, speakers={"r1": "bundled", "r2": "bundled"}))
    assert t["verdict"] == "early"


def test_rejoin_promoted_and_next_advert_count_from_the_fault():
    r2_adverts = [adv(float(t), "r2", 100) for t in range(1, 15)]
    # link_up: r1's link returns at 5.0, the command took 20 ms
    t = timed(document([fault("link_up", expected="r1", old="r2", applied_s=0.02)],
                       r2_adverts + [adv(AT + MDI_R1 + 0.02, "r1", 120)]))
    assert (t["rule"], t["basis_at_s"], t["verdict"]) == ("rejoin", near(AT), "ok")
    assert t["upper_s"] == near(MDI_R1 + KA.reaction_s + 0.02 + windows.CARRIER_S)
    # restore_upstream: r1's timer was last reset up to an interval before the fault
    t = timed(document([fault("restore_upstream", expected="r1", old="r2")],
                       r2_adverts + [adv(AT + MDI_R1 - INT + EPS, "r1", 120)]))
    assert (t["rule"], t["basis_at_s"], t["verdict"]) == ("promoted", near(AT), "ok")
    assert t["lower_s"] == near(MDI_R1 - INT)
    t = timed(document([fault("restore_upstream", expected="r1", old="r2")],
                       r2_adverts + [adv(AT + MDI_R1 - INT - EPS, "r1", 120)]))
    assert t["verdict"] == "early"
    # thaw: r1 never left MASTER; heard again at its next advert
    frozen = r1_adverts(4.0)
    t = timed(document([fault("thaw", expected="r1", old="r1")], frozen + [adv(AT + 0.3, "r1", 120)]))
    assert (t["rule"], t["lower_s"], t["verdict"]) == ("next_advert", 0.0, "ok")
    assert t["upper_s"] == near(INT + KA.reaction_s)
    t = timed(document([fault("thaw", expected="r1", old="r1")],
                       frozen + [adv(AT + INT + KA.reaction_s + EPS, "r1", 120)]))
    assert t["verdict"] == "late"


def test_set_priority_raising_a_backup_uses_its_new_priority():
    # r2 (100) raised to 200 at 5.0: its Master_Down_Interval is now 3 + 56/256
    mdi_200 = master_down_interval(200, INT, 3)
    adverts = r1_adverts(15.0) + [adv(AT + mdi_200 - 0.5, "r2", 200)]
    t = timed(document([fault("set_priority", target="r2", expected="r2", priority=200)],
                       adverts))
    assert t["rule"] == "promoted" and t["figure_s"] == near(mdi_200)
    assert t["lower_s"] == near(mdi_200 - INT) and t["verdict"] == "ok"
    # lowering r1 leaves r2's timers as configured
    t = timed(document([fault("set_priority", target="r1", expected="r2", priority=90)],
                       r1_adverts() + [adv(4.0 + MDI, "r2", 100)]))
    assert t["figure_s"] == near(MDI)


def test_attack_over_counts_from_the_attackers_last_forgery():
    adverts = r1_adverts(3.0) + [adv(3.0 + 0.5 * i, "mallory", 255) for i in range(4)]
    adverts.append(adv(4.5 + MDI_R1 + 0.001, "r1", 120))
    t = timed(document([fault("stop_attack", target="mallory", expected="r1", old="mallory")],
                       adverts))
    assert t["rule"] == "attack_over" and t["basis_at_s"] == near(4.5)
    assert t["measured_s"] == near(MDI_R1 + 0.001) and t["verdict"] == "ok"
    # a forgery after r1's first advert is not the one the routers obeyed
    later = adverts + [adv(4.5 + MDI_R1 + 0.5, "mallory", 255)]
    assert timed(document([fault("stop_attack", target="mallory", expected="r1",
                                 old="mallory")], later))["basis_at_s"] == near(4.5)


def test_a_storm_without_forged_sources_is_measured_from_the_fault_with_no_lower_edge():
    # the forgeries carry r1's own address: no foreign advert to count from
    adverts = r1_adverts(4.0) + [adv(4.2, "r1", 0), adv(4.9, "r1", 0), adv(AT + 0.4, "r1", 120)]
    t = timed(document([fault("stop_attack", target="mallory", expected="r1", old="r1")],
                       adverts))
    assert t["basis"] == "the fault (the attack's end)"
    assert t["basis_at_s"] == near(AT) and t["measured_s"] == near(0.4)
    assert t["lower_s"] == 0.0 and t["verdict"] == "ok"
    assert t["upper_s"] == near(MDI_R1 + KA.reaction_s + INT)
    assert "no lower edge" in t["note"]
    late = adverts[:-1] + [adv(AT + MDI_R1 + KA.reaction_s + INT + EPS, "r1", 120)]
    assert timed(document([fault("stop_attack", target="mallory", expected="r1", old="r1")],
                          late))["verdict"] == "late"


def test_a_stall_widens_the_upper_edge_by_exactly_its_size():
    stall = KA.reaction_s + 0.02
    late = SKEW + KA.reaction_s + 0.01  # beyond the quiet window, inside the stalled one
    due = AT + 0.3 + SKEW  # r2's timer ran out then; the machine stalled across it
    quiet = timed(goodbye_doc(late))
    assert quiet["verdict"] == "late" and quiet["stall_s"] == 0.0
    busy = timed(goodbye_doc(late, stalls=[(due - 0.001, due - 0.001 + stall)]))
    assert busy["verdict"] == "ok" and busy["judged"] is True
    assert busy["stall_s"] == near(stall)
    assert busy["upper_s"] - quiet["upper_s"] == near(stall)
    assert busy["lower_s"] == quiet["lower_s"]
    sched = next(p for p in busy["upper_parts"] if p["part"] == "scheduling")
    assert sched["s"] == near(stall)


def test_a_stall_outside_the_wait_does_not_count():
    # before the backup's timer could be due (basis + lower edge), or after the takeover
    late = SKEW + KA.reaction_s + 0.01
    before = timed(goodbye_doc(late, stalls=[(AT + 0.3, AT + 0.3 + SKEW - CAP - 0.01)]))
    after = timed(goodbye_doc(late, stalls=[(AT + 0.3 + late + 0.001, AT + 2.0)]))
    assert before["stall_s"] == 0.0 and after["stall_s"] == 0.0
    assert before["verdict"] == after["verdict"] == "late"


def test_a_start_counts_a_stall_from_the_start_itself():
    adverts = [adv(float(t), "r2", 100) for t in range(1, 10)]
    adverts.append(adv(AT + MDI_R1 + 0.05, "r1", 120))
    doc = document([fault("start", expected="r1", old="r2")], adverts,
                   starts={"r1": [AT]}, stalls=[(AT + 0.1, AT + 0.2)],
                   speakers={"r1": "bundled", "r2": "bundled"})
    t = timed(doc)
    assert t["stall_s"] == near(0.1) and t["verdict"] == "ok"


def test_a_stall_bigger_than_the_figure_is_not_judged_and_says_so():
    stall = 0.7  # longer than Skew_Time itself
    doc = goodbye_doc(SKEW + 0.9, stalls=[(AT + 0.3 + 0.5, AT + 0.3 + 0.5 + stall)])
    found = named(doc)["stop-r1: takeover within the RFC window"]
    t = doc["faults"][0]["timing"]
    assert t["judged"] is False and t["stall_s"] == near(stall)
    assert t["not_judged"] == ("scheduling latency 700.0 ms at the timer's expiry exceeds "
                               "the 609.4 ms Skew_Time")
    assert found["ok"] is True and found["judged"] is False
    assert found["detail"].startswith("not judged: scheduling latency 700.0 ms")
    # exactly the figure is still judged
    doc = goodbye_doc(SKEW + 0.9, stalls=[(AT + 0.3 + 0.5, AT + 0.3 + 0.5 + SKEW)])
    found = named(doc)["stop-r1: takeover within the RFC window"]
    assert doc["faults"][0]["timing"]["judged"] is True and "judged" not in found
    assert not found["ok"]  # 0.9 s over Skew_Time, more than the stall explains


def test_no_timing_for_faults_without_a_takeover_to_time():
    doc = document([fault("stop", expected=None), fault("stop", unstable=True),
                    fault("stop", takeover=False), fault("flap")], r1_adverts())
    timing.annotate(doc)
    assert [f["timing"] for f in doc["faults"]] == [None, None, None, None]
    # the gap window then falls back on the kind's RFC bound
    for f in doc["faults"]:
        assert f["gap_window"]["figure_s"] == near(MDI) and f["gap_window"]["rule"] == "gap"


def test_gap_window_is_the_takeover_upper_edge_seen_from_the_fault():
    doc = goodbye_doc(SKEW)
    t = timed(doc)
    gap = doc["faults"][0]["gap_window"]
    from_fault = 0.3 + GOODBYE_UPPER  # the goodbye came 0.3 s after the fault
    assert gap["figure_s"] == near(from_fault) and gap["rule"] == "goodbye"
    assert gap["upper_s"] == near(from_fault + 2 * PROBE + windows.PATH_SWITCH_S)
    assert t["verdict"] == "ok"


def test_a_gap_just_over_the_window_fails_just_under_passes():
    upper = 0.3 + GOODBYE_UPPER + 2 * PROBE + windows.PATH_SWITCH_S
    name = "stop-r1: ping to the VIP resumes by itself with only a short loss"
    upstream = "stop-r1: traffic through the gateway to 203.0.113.100 recovers as fast"

    def gap_checks(gap):
        doc = goodbye_doc(SKEW)
        doc["faults"][0].update(data_gap_s=gap, per_target={
            "192.168.1.1": {"data_gap_s": gap, "lost_probes": 3},
            "203.0.113.100": {"data_gap_s": gap, "lost_probes": 3}})
        return named(doc)

    over, under = gap_checks(upper + EPS), gap_checks(upper - EPS)
    assert not over[name]["ok"] and not over[upstream]["ok"]
    assert under[name]["ok"] and under[upstream]["ok"]
    assert f"window 0-{upper:.3f} s" in under[name]["detail"]
    never = gap_checks(None)
    assert not never[name]["ok"] and "longest gap never" in never[name]["detail"]
    assert not never[upstream]["ok"]
    # the VIP's own entry in per_target is not checked twice
    assert sum(1 for n in under if "recovers as fast" in n) == 1


def test_a_stall_during_the_outage_widens_the_gap_window():
    doc = goodbye_doc(SKEW, stalls=[(AT + 2.0, AT + 2.05)])
    timing.annotate(doc)
    assert doc["faults"][0]["gap_window"]["upper_s"] == near(
        0.3 + GOODBYE_UPPER + 2 * PROBE + windows.PATH_SWITCH_S + 0.05)
    doc = goodbye_doc(SKEW, stalls=[(AT + 10.5, AT + 11.0)])  # after the window's end
    timing.annotate(doc)
    assert doc["faults"][0]["gap_window"]["upper_s"] == near(
        0.3 + GOODBYE_UPPER + 2 * PROBE + windows.PATH_SWITCH_S)


def test_gateway_adverts_and_priorities_follow_the_faults_gateway():
    # two gateways: VI_B (VRID 11) has r1 at 100 and r2 at 120; stop r2 there
    gateways = [{"instance": "VI_A", "vrid": 10, "priorities": {"r1": 120, "r2": 100}},
                {"instance": "VI_B", "vrid": 11, "priorities": {"r1": 90, "r2": 120}}]
    adverts = r1_adverts(15.0) + [adv(float(t), "r2", 120, vrid=11) for t in range(1, 5)]
    adverts += [adv(AT + 0.3, "r2", 0, vrid=11)]
    skew_90 = skew_time(90, INT, 3)
    adverts += [adv(AT + 0.3 + skew_90, "r1", 90, vrid=11)]
    f = fault("stop", target="r2", expected="r1", old="r2", gateway="VI_B")
    t = timed(document([f], adverts, gateways=gateways))
    assert t["figure_s"] == near(skew_90) and t["measured_s"] == near(skew_90)
    assert t["verdict"] == "ok"
    # without a gateway named, the main VRID's priorities
    f = fault("stop")
    t = timed(document([f], goodbye_doc(SKEW)["timeline"]["adverts"], gateways=gateways))
    assert t["figure_s"] == near(SKEW) and t["verdict"] == "ok"


def test_uncaptured_sync_members_ipv6_and_unknown_speakers_in_a_run():
    adverts = r1_adverts() + [adv(4.0 + MDI + KA.reaction_s + 0.5, "r2", 100)]
    plain = timed(document([fault("crash")], adverts))
    assert plain["verdict"] == "late"
    grouped = timed(document([fault("crash")], adverts, sync=[10, 20]))  # 20 not captured
    assert grouped["upper_s"] == near(MDI + KA.reaction_s + INT) and grouped["verdict"] == "ok"
    captured = timed(document([fault("crash")], adverts + [adv(1.5, "r1", 120, vrid=20)],
                              sync=[10, 20]))
    assert captured["upper_s"] == near(MDI + KA.reaction_s)
    six = timed(document([fault("crash")], adverts, vip="2001:db8:1::1"))
    assert six["upper_s"] == near(MDI + KA.reaction_s + KA.ipv6_s)
    for speakers in ({"r1": "keepalived", "r2": "frr"}, {}):
        other = timed(document([fault("crash")], adverts, speakers=speakers))
        assert other["upper_s"] == near(MDI + windows.UNKNOWN_SPEAKER.reaction_s)
    bundled = timed(document([fault("crash")], adverts,
                             speakers={"r1": "keepalived", "r2": "bundled"}))
    assert bundled["upper_s"] == near(MDI + BUNDLED.reaction_s)


def test_vrrp_v2_skew_time_does_not_scale():
    t = timed(goodbye_doc(skew_time(100, INT, 2), version=2))
    assert t["figure_s"] == near((256 - 100) / 256) and t["verdict"] == "ok"


def test_health_check_delay_of_the_target_widens_promoted():
    adverts = [adv(float(t), "r2", 100) for t in range(1, 15)]
    adverts.append(adv(AT + MDI_R1 + 1.5, "r1", 120))
    f = fault("restore_upstream", expected="r1", old="r2", applied_s=0.01)
    t = timed(document([f], adverts, script=2.0))
    assert t["upper_s"] == near(MDI_R1 + 2.0 + 0.01 + KA.reaction_s) and t["verdict"] == "ok"
    t = timed(document([fault("restore_upstream", expected="r1", old="r2")], adverts))
    assert t["verdict"] == "late"


def test_annotate_reads_the_latency_document():
    assert timing._latency({}) == NO_LATENCY
    lat = timing._latency({"latency": {"stalls": [[1.0, 2.0]], "samples": 5, "p99_s": 0.1,
                                       "max_s": 1.0}})
    assert lat == Latency(((1.0, 2.0),), 5, 0.1, 1.0)


# --- checks: the takeover check's words, the log per phase -------------------------------

def takeover_fault(**timing_) -> dict:
    base = {"rule": "goodbye", "figure": "Skew_Time", "figure_s": SKEW, "lower_s": 0.6093,
            "upper_s": 0.6194, "basis": "the old master's priority-0 advert", "basis_at_s": 5.3,
            "measured_s": 0.61, "verdict": "ok", "judged": True}
    return {"name": "f", "expected_master": "r2", "takeover_s": 0.91, "timing": {**base, **timing_}}


def test_takeover_check_words():
    ok = checks._takeover_check(takeover_fault())
    assert ok == {"name": "f: takeover within the RFC window", "ok": True,
                  "detail": "0.610 s from the old master's priority-0 advert to r2's first "
                            "advert; RFC Skew_Time 0.609 s, window 0.609-0.619 s"}
    early = checks._takeover_check(takeover_fault(verdict="early", measured_s=0.1))
    assert not early["ok"] and early["detail"].endswith(
        ": earlier than the RFC allows, the backup did not wait")
    late = checks._takeover_check(takeover_fault(verdict="late"))
    assert not late["ok"] and late["detail"].endswith("window 0.609-0.619 s: later than the window")
    unjudged = checks._takeover_check(takeover_fault(verdict="late", judged=False,
                                                     not_judged="busy"))
    assert unjudged == {"name": "f: takeover within the RFC window", "ok": True,
                        "detail": "not judged: busy; 0.610 s from the old master's priority-0 "
                                  "advert to r2's first advert; RFC Skew_Time 0.609 s, window "
                                  "0.609-0.619 s", "judged": False}


def test_a_kind_without_timing_only_needs_a_takeover():
    f = {"name": "f", "expected_master": "r2", "takeover_s": 0.91, "timing": None}
    assert checks._takeover_check(f) == {"name": "f: takeover within the RFC bound", "ok": True,
                                         "detail": "0.910 s from the fault to r2's first advert"}
    assert not checks._takeover_check({**f, "takeover_s": None})["ok"]


def test_check_records_judged_only_when_false():
    assert checks.check("n", 1, "d") == {"name": "n", "ok": True, "detail": "d"}
    assert checks.check("n", 0, "d", judged=False) == {"name": "n", "ok": False, "detail": "d",
                                                       "judged": False}


def evidence(phase: str, window: list, states: dict[str, list]) -> dict:
    return {"phase": phase, "instance": None, "window_s": window,
            "routers": {r: {"log": f"{r}.log", "bytes": [10 * i, 10 * i + 9], "states": s}
                        for i, (r, s) in enumerate(states.items())}}


MASTER_LINE = ["MASTER", "(VI_LAN) Entering MASTER STATE"]
BACKUP_LINE = ["BACKUP", "(VI_LAN) Entering BACKUP STATE"]


def test_a_master_line_of_an_earlier_phase_does_not_prove_a_later_fault():
    phases = [evidence("converge", [0.0, AT], {"r1": [MASTER_LINE], "r2": [MASTER_LINE]}),
              evidence("stop-r1", [AT, 15.0], {"r1": [], "r2": []})]
    found = checks._log_check({"phase_evidence": phases}, "stop-r1", "r2", "stop-r1: ")
    assert found["name"] == "stop-r1: r2's log shows Entering MASTER STATE"
    assert not found["ok"]
    assert found["detail"] == "no such line in this phase (r2.log bytes 10-19, 5.000-15.000 s " \
                              "since the start)"
    assert found["window_s"] == [AT, 15.0]
    phases[1] = evidence("stop-r1", [AT, 15.0], {"r1": [], "r2": [BACKUP_LINE, MASTER_LINE]})
    found = checks._log_check({"phase_evidence": phases}, "stop-r1", "r2", "stop-r1: ")
    assert found["ok"] and found["window_s"] == [AT, 15.0]
    assert found["detail"] == "(VI_LAN) Entering MASTER STATE (r2.log bytes 10-19, " \
                              "5.000-15.000 s since the start)"


def test_a_master_that_should_stay_fails_when_it_left_master_in_its_window():
    phases = [evidence("converge", [0.0, AT], {"r1": [BACKUP_LINE, MASTER_LINE]}),
              evidence("thaw-r1", [AT, 9.0], {"r1": [BACKUP_LINE, MASTER_LINE]})]
    found = checks._log_check({"phase_evidence": phases}, "thaw-r1", "r1", "thaw-r1: ", "stays")
    assert found["name"] == "thaw-r1: r1's log shows no change of state (it stays MASTER)"
    assert not found["ok"] and found["window_s"] == [AT, 9.0]
    assert found["detail"] == "(VI_LAN) Entering BACKUP STATE (r1.log bytes 0-9, " \
                              "5.000-9.000 s since the start)"
    phases[1] = evidence("thaw-r1", [AT, 9.0], {"r1": [MASTER_LINE]})
    found = checks._log_check({"phase_evidence": phases}, "thaw-r1", "r1", "thaw-r1: ", "stays")
    assert found["ok"] and found["window_s"] == [AT, 9.0]
    phases[1] = evidence("thaw-r1", [AT, 9.0], {"r1": []})
    found = checks._log_check({"phase_evidence": phases}, "thaw-r1", "r1", "thaw-r1: ", "stays")
    assert found["ok"] and found["detail"] == "no state change logged (r1.log bytes 0-9, " \
                                              "5.000-9.000 s since the start)"


def test_no_log_for_the_phase_or_the_router_fails():
    for doc in ({}, {"phase_evidence": None},
                {"phase_evidence": [evidence("converge", [0.0, AT], {"r2": [MASTER_LINE]})]},
                {"phase_evidence": [evidence("stop-r1", [AT, 9.0], {"r1": [MASTER_LINE]})]}):
        found = checks._log_check(doc, "stop-r1", "r2", "stop-r1: ")
        assert found == {"name": "stop-r1: r2's log shows Entering MASTER STATE", "ok": False,
                         "detail": "no log read for r2 in phase stop-r1"}


def test_log_expectations_by_kind():
    assert checks._log_expectation({"kind": "stop"}) == "enters"
    assert checks._log_expectation({"kind": "stop", "takeover": False}) == "stays"
    assert checks._log_expectation({"kind": "stop", "takeover": True}) == "enters"
    for kind in ("thaw", "unblock_vrrp"):
        assert checks._log_expectation({"kind": kind}) == "stays"
    for old in ("r1", "mallory"):  # a master the forgeries moved or not
        assert checks._log_expectation({"kind": "stop_attack", "old_master": old,
                                        "expected_master": "r1"}) == "enters_or_stays"
    assert checks._log_expectation({"kind": "crash", "old_master": "r1",
                                    "expected_master": "r1"}) == "enters"


def test_every_log_check_of_a_run_records_its_phases_window():
    phases = [evidence("converge", [0.0, AT], {"r1": [MASTER_LINE], "r2": []}),
              evidence("stop-r1", [AT, 15.0], {"r1": [], "r2": [MASTER_LINE]}),
              evidence("thaw-r2", [15.0, 20.0], {"r1": [], "r2": [MASTER_LINE]})]
    doc = goodbye_doc(SKEW, phases=phases)
    doc["snapshots"] = [{"label": "converge", "expected_master": "r1",
                         "vips": {"r1": ["192.168.1.1"], "r2": []}, "client_arp": "m1",
                         "macs": {"r1": "m1", "r2": "m2"}, "states": {}}]
    doc["probes"] = {"192.168.1.1": {"sent": [1.0, 2.0], "recv": [1.001, None]}}
    thaw = fault("thaw", target="r2", expected="r2", old="r2", at_s=15.0)
    thaw["name"] = "thaw-r2"
    doc["faults"].append(thaw)
    doc["timeline"]["adverts"].append(adv(15.5, "r2", 100))
    found = named(doc)
    logs = {n: c for n, c in found.items() if "'s log shows" in n}
    assert logs["r1's log shows Entering MASTER STATE"]["window_s"] == [0.0, AT]
    assert logs["r1's log shows Entering MASTER STATE"]["ok"]
    assert logs["stop-r1: r2's log shows Entering MASTER STATE"]["window_s"] == [AT, 15.0]
    assert logs["stop-r1: r2's log shows Entering MASTER STATE"]["ok"]
    stays = logs["thaw-r2: r2's log shows no change of state (it stays MASTER)"]
    assert stays["window_s"] == [15.0, 20.0] and stays["ok"]
    assert len(logs) == 3
    assert found["client reaches the VIP (ping 192.168.1.1)"]["detail"] == \
        "1 of 2 probes answered before the first fault"


def test_an_upstream_cut_without_failover_must_stay_cut():
    f = {"name": "cut-r1", "expected_master": "r1", "applied_s": 0.02}
    allowed = 0.02 + PROBE
    ok = checks._stays_cut_check(f, "203.0.113.100", {"lost_probes": 40,
                                                      "last_reply_s": allowed}, PROBE)
    assert ok["ok"] and ok["name"] == ("cut-r1: traffic through the gateway to 203.0.113.100 "
                                       "stays cut (r1 keeps the role with no path upstream)")
    assert ok["detail"] == ("40 probes lost; the last reply came 0.030 s after the fault "
                            "(the cut was in place 0.030 s after it, one probe in flight)")
    leaked = checks._stays_cut_check(f, "t", {"lost_probes": 40,
                                              "last_reply_s": allowed + EPS}, PROBE)
    assert not leaked["ok"]
    never = checks._stays_cut_check({**f, "applied_s": None}, "t",
                                    {"lost_probes": 1, "last_reply_s": None}, PROBE)
    assert never["ok"] and "the last reply never came (the cut was in place 0.010 s" in \
        never["detail"]
    assert not checks._stays_cut_check(f, "t", {"lost_probes": 0}, PROBE)["ok"]
    # in a run: the upstream target of an un-failed-over cut gets this check, not "recovers"
    doc = document([fault("cut_upstream", expected="r1", old="r1", takeover=False,
                          upstream_cut=True, per_target={
                              "192.168.1.1": {"data_gap_s": 0.0, "lost_probes": 0},
                              "203.0.113.100": {"data_gap_s": None, "lost_probes": 9}})],
                   r1_adverts(12.0))
    names = named(doc)
    assert names["cut_upstream-r1: traffic through the gateway to 203.0.113.100 stays cut "
                 "(r1 keeps the role with no path upstream)"]["ok"]
    assert not any("recovers as fast" in n for n in names)


def test_an_advert_at_the_faults_instant_was_sent_during_it_and_priority_one_counts():
    # r1 advertised (priority 1, the lowest real one) exactly at the fault, and at 4.0
    adverts = r1_adverts() + [adv(AT, "r1", 1), adv(4.0 + MDI, "r2", 100)]
    t = timed(document([fault("crash")], adverts))
    assert t["basis_at_s"] == near(4.0) and t["verdict"] == "ok" and t["bases_tried"] == 2
    t = timed(document([fault("crash")], adverts[:-1] + [adv(AT + MDI, "r2", 100)]))
    assert t["basis_at_s"] == near(AT) and t["verdict"] == "ok" and t["bases_tried"] == 2


def test_a_storms_stall_keeps_the_window_and_widens_it_by_the_stall():
    stall = 0.3
    adverts = r1_adverts(4.0) + [adv(4.9, "r1", 0), adv(AT + 2.0, "r1", 120)]
    f = fault("stop_attack", target="mallory", expected="r1", old="r1")
    t = timed(document([f], adverts, stalls=[(AT + 1.0, AT + 1.0 + stall)]))
    assert (t["rule"], t["figure"], t["basis"]) == ("attack_over", "Master_Down_Interval",
                                                    "the fault (the attack's end)")
    assert t["stall_s"] == near(stall) and t["lower_s"] == 0.0
    assert t["upper_s"] == near(MDI_R1 + KA.reaction_s + stall + INT)
    sched = next(p for p in t["upper_parts"] if p["part"] == "scheduling")
    assert sched == {"part": "scheduling", "s": stall,
                     "why": "this machine's longest stall while the timer was due "
                            "(vrrplab.latency)"}
    assert [p["part"] for p in t["upper_parts"]] == ["reaction", "scheduling",
                                                     "advert interval"]
    assert all(p["why"] for p in t["upper_parts"])


def test_after_an_attack_the_master_enters_master_or_never_leaves_it():
    def log(states):
        doc = {"phase_evidence": [evidence("stop-mallory", [AT, 9.0], {"r1": states})]}
        return checks._log_check(doc, "stop-mallory", "r1", "stop-mallory: ", "enters_or_stays")

    assert log([BACKUP_LINE, MASTER_LINE])["ok"] and log([])["ok"]
    left = log([MASTER_LINE, BACKUP_LINE])
    assert not left["ok"] and left["window_s"] == [AT, 9.0]
    assert left["detail"].startswith("(VI_LAN) Entering BACKUP STATE (r1.log bytes 0-9, ")
