"""The judging code on hand-built results: windows, timing and checks, each rule proven
by known-bad input that it fails as well as known-good input that it passes.

Every number below comes from the RFC formulas (`vrrplab.vrrp.timers`) and the named
parts of `vrrplab.analysis.windows` (their sizes read from the module, so a re-measured part
moves the expectation with it); no blanket margins. The lab: r1 (priority 120) is
master, r2 (priority 100) its backup, VRRPv3 at 1 s, adverts every second until the
fault at t=5.0 s (seconds since t0, as in results.json).
"""

from __future__ import annotations

import pytest

from vrrplab.analysis import checks, timing, windows
from vrrplab.faults import catalogue
from vrrplab.run.latency import NO_LATENCY, Latency
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

RULES = {
    "stop": "goodbye",
    "crash": "silence", "kill": "silence", "freeze": "silence", "link_down": "silence",
    "block_vrrp": "silence",
    "cut_upstream": "demoted",
    "start": "start", "link_up": "rejoin",
    "restore_upstream": "promoted",
    "thaw": "next_advert", "unblock_vrrp": "next_advert",
    "stop_attack": "attack_over",
}


def test_every_fault_kind_has_its_rule():
    assert {k: v.rule for k, v in catalogue.KINDS.items()
            if v.rule and v.rule != "by_priority"} == RULES
    for kind, rule in RULES.items():
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
                                      f"priority-0 advert to r2's first advert (or gratuitous ARP); "
                                      f"RFC Skew_Time")
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
    # r2's one advert while the lab converged, before r1's last: r1 is the old master
    adverts = r1_adverts() + [adv(AT - 1.2, "r2", 100), adv(AT + 0.3, "r1", 0),
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


def test_a_start_counts_a_stall_only_between_the_windows_edges():
    # r1 starts at 5.0 (its log says so): its timer is due from MDI_R1 - capture on
    adverts = [adv(float(t), "r2", 100) for t in range(1, 10)]
    adverts.append(adv(AT + MDI_R1 + 0.005, "r1", 120))

    def stalled(stall):
        return timed(document([fault("start", expected="r1", old="r2")], adverts,
                              starts={"r1": [AT]}, stalls=[stall],
                              speakers={"r1": "bundled", "r2": "bundled"}))

    t = stalled((AT + 0.1, AT + 0.2))  # the daemon's own start-up: before the lower edge
    assert t["stall_s"] == 0.0 and t["verdict"] == "ok"
    t = stalled((AT + MDI_R1 - 0.001, AT + MDI_R1 + 0.003))  # across the timer's expiry
    assert t["stall_s"] == near(0.004) and t["verdict"] == "ok"
    assert t["upper_s"] == near(MDI_R1 + BUNDLED.reaction_s + 0.004)


def test_a_stall_bigger_than_the_figure_is_not_judged_and_says_so():
    stall = 0.7  # longer than Skew_Time itself
    # inside the window the stall widened (Skew_Time + reaction + 0.7 s): a pass that says little
    doc = goodbye_doc(SKEW + 0.6, stalls=[(AT + 0.3 + 0.5, AT + 0.3 + 0.5 + stall)])
    found = named(doc)["stop-r1: takeover within the RFC window"]
    t = doc["faults"][0]["timing"]
    assert t["judged"] is False and t["stall_s"] == near(stall)
    assert t["not_judged"] == ("scheduling latency 700.0 ms at the timer's expiry exceeds "
                               "the 609.4 ms Skew_Time")
    assert found["ok"] is True and found["judged"] is False
    assert found["detail"].startswith("not judged: scheduling latency 700.0 ms")
    # late even past the widened edge: judged, and a FAIL
    doc = goodbye_doc(SKEW + 0.9, stalls=[(AT + 0.3 + 0.5, AT + 0.3 + 0.5 + stall)])
    found = named(doc)["stop-r1: takeover within the RFC window"]
    assert doc["faults"][0]["timing"]["judged"] is True and "judged" not in found
    assert not found["ok"] and "later than the window" in found["detail"]
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
    # the member's adverts captured on its own link: no widening
    doc = document([fault("crash")], adverts, sync=[20])
    doc["timeline"]["member_adverts"] = [adv(1.5, "r1", 120, vrid=20)]
    captured = timed(doc)
    assert captured["upper_s"] == near(MDI + KA.reaction_s)
    six = timed(document([fault("crash")], adverts, vip="2001:db8:1::1"))
    assert six["upper_s"] == near(MDI + KA.reaction_s + KA.ipv6_s)
    for speakers in ({"r1": "keepalived", "r2": "junos"}, {}):
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
                            "advert (or gratuitous ARP); RFC Skew_Time 0.609 s, window "
                            "0.609-0.619 s"}
    early = checks._takeover_check(takeover_fault(verdict="early", measured_s=0.1))
    assert not early["ok"] and early["detail"].endswith(
        ": earlier than the RFC allows, the backup did not wait")
    late = checks._takeover_check(takeover_fault(verdict="late"))
    assert not late["ok"] and late["detail"].endswith("window 0.609-0.619 s: later than the window")
    unjudged = checks._takeover_check(takeover_fault(verdict="late", judged=False,
                                                     not_judged="busy"))
    assert unjudged == {"name": "f: takeover within the RFC window", "ok": True,
                        "detail": "not judged: busy; 0.610 s from the old master's priority-0 "
                                  "advert to r2's first advert (or gratuitous ARP); RFC Skew_Time "
                                  "0.609 s, window "
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
                            "(latency.log)"}
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


# --- what a teacher reads: every check's name and detail, and the input that fails it -----

def test_the_why_of_every_part_and_the_notes_of_a_returning_router():
    pd = windows.takeover_window("start", timers(preempt_delay_s=2.0), windows.Circumstances())
    why = {p.name: p.why for p in pd.lower + pd.upper}
    assert why["preempt_delay"] == pd.note
    assert pd.note.startswith("keepalived arms preempt_delay at the first lower-priority advert")
    assert "resets its timer on every advert until the delay is over" in pd.note
    assert pd.note.endswith("the bundled speaker does the same")
    assert [p.why for p in pd.lower if p.name == "preempt_delay"] == [pd.note]
    assert why["start-up"] == KA.start_up_why
    rejoin = windows.takeover_window("rejoin", timers(), windows.Circumstances())
    why = {p.name: p.why for p in rejoin.upper}
    assert why["applied"] == "the fault's own command (ip link up)"
    assert why["carrier"].startswith("the kernel reports a carrier change to the speaker")
    assert why["carrier"].endswith("(linkwatch's rate limit): 4-651 ms measured")
    for rule in windows.BASIS:
        for seen in (windows.Circumstances(), windows.Circumstances(started_from_log=True)):
            w = windows.takeover_window(rule, timers(preempt_delay_s=1.0, ipv6=True,
                                                     uncaptured_sync_members=1), seen)
            assert all(isinstance(p.why, str) and p.why for p in w.lower + w.upper), rule


def test_a_storms_window_says_why_it_has_no_lower_edge():
    adverts = r1_adverts(4.0) + [adv(4.9, "r1", 0), adv(AT + 0.4, "r1", 120)]
    t = timed(document([fault("stop_attack", target="mallory", expected="r1", old="r1")],
                       adverts))
    assert t["note"].startswith("the forgeries carry a router's own address")
    assert t["note"].endswith("the last one the routers obeyed: no lower edge")
    assert t["upper_parts"][-1] == {"part": "advert interval", "s": INT,
                                    "why": "the last forgery may follow the fault's instant"}
    assert t["lower_parts"] == []


def test_a_blocked_masters_advert_at_the_instant_the_rule_is_in_place_is_no_basis():
    applied = 0.1
    adverts = r1_adverts() + [adv(AT + applied, "r1", 120), adv(4.0 + MDI, "r2", 100)]
    t = timed(document([fault("block_vrrp", applied_s=applied)], adverts))
    assert t["basis_at_s"] == near(4.0) and t["bases_tried"] == 1 and t["verdict"] == "ok"


SNAP = {"label": "converge", "expected_master": "r1",
        "vips": {"r1": ["192.168.1.1"], "r2": []}, "client_arp": "m1",
        "macs": {"r1": "m1", "r2": "m2"}, "states": {"r1": "MASTER", "r2": "BACKUP"}}
VIP_ON_R1 = "VIP on r1's interface only (ip addr show)"
ARP_R1 = "client's ARP entry for the VIP points to r1"
VMAC_10 = checks.VMAC_PREFIX + "0a"


def test_steady_state_checks_name_the_holder_and_the_mac_the_client_has():
    assert checks._steady_state_checks(SNAP, "192.168.1.1", "", None) == [
        {"name": VIP_ON_R1, "ok": True, "detail": "192.168.1.1 is on r1; checked r1, r2"},
        {"name": ARP_R1, "ok": True,
         "detail": "192.168.1.1 is at m1: r1's own MAC: without use_vmac keepalived answers "
                   "with the router's MAC, not the textbook's 00:00:5e:00:01:0a"}]
    six = {**SNAP, "vips": {"r1": ["2001:db8::1"], "r2": []}}
    assert checks._steady_state_checks(six, "2001:db8::1", "p: ", None) == [
        {"name": "p: " + VIP_ON_R1, "ok": True, "detail": "2001:db8::1 is on r1; checked r1, r2"},
        {"name": "p: client's neighbour (NDP) entry for the VIP points to r1", "ok": True,
         "detail": "2001:db8::1 is at m1: r1's own MAC, from its unsolicited Neighbor "
                   "Advertisements"}]
    # the wrong router holds the VIP, the client has no entry: both fail
    wrong = {**SNAP, "client_arp": None, "vips": {"r1": [], "r2": ["192.168.1.1"]}}
    assert checks._steady_state_checks(wrong, "192.168.1.1", "", None) == [
        {"name": VIP_ON_R1, "ok": False, "detail": "192.168.1.1 is on r2; checked r1, r2"},
        {"name": ARP_R1, "ok": False, "detail": "192.168.1.1 is at no entry: not the MAC of r1"}]
    # the backup's MAC is not the master's
    nowhere = {**SNAP, "vips": {"r1": [], "r2": []}}
    assert checks._steady_state_checks(nowhere, "192.168.1.1", "", None)[0] == {
        "name": VIP_ON_R1, "ok": False, "detail": "192.168.1.1 is on no router; checked r1, r2"}
    stale = checks._steady_state_checks({**SNAP, "client_arp": "m2"}, "192.168.1.1", "", None)
    assert stale[1] == {"name": ARP_R1, "ok": False,
                        "detail": "192.168.1.1 is at m2: not the MAC of r1"}
    both = {**SNAP, "vips": {"r1": ["192.168.1.1"], "r2": ["192.168.1.1"]}}
    assert not checks._steady_state_checks(both, "192.168.1.1", "", None)[0]["ok"]


def test_steady_state_checks_with_the_virtual_mac():
    with_vmac = checks._steady_state_checks({**SNAP, "client_arp": VMAC_10}, "192.168.1.1", "",
                                            VMAC_10)
    assert with_vmac[1] == {"name": ARP_R1, "ok": True,
                            "detail": "192.168.1.1 is at 00:00:5e:00:01:0a: the VRRP virtual "
                                      "MAC, as the textbook says (use_vmac)"}
    # use_vmac, yet the client has the router's own MAC: fails
    own = checks._steady_state_checks(SNAP, "192.168.1.1", "", VMAC_10)
    assert own[1] == {"name": ARP_R1, "ok": False,
                      "detail": "192.168.1.1 is at m1: not the virtual MAC 00:00:5e:00:01:0a "
                                "that use_vmac should give"}
    # another VRID's virtual MAC under use_vmac fails as well
    other = checks.VMAC_PREFIX + "0b"
    assert not checks._steady_state_checks({**SNAP, "client_arp": other}, "192.168.1.1", "",
                                           VMAC_10)[1]["ok"]
    # a virtual MAC without use_vmac: the master's
    assert checks._steady_state_checks({**SNAP, "client_arp": other}, "192.168.1.1", "",
                                       None)[1] == {
        "name": ARP_R1, "ok": True, "detail": "192.168.1.1 is at 00:00:5e:00:01:0b: a VRRP "
                                              "virtual MAC"}


def test_steady_state_checks_with_two_expected_holders():
    snap = {**SNAP, "expected_holders": ["r1", "r2"], "client_arp": "m2",
            "vips": {"r2": ["192.168.1.1"], "r1": ["192.168.1.1"]}}
    assert checks._steady_state_checks(snap, "192.168.1.1", "", None) == [
        {"name": "VIP on r1 and r2 at once (duplicate VIP, expected here)", "ok": True,
         "detail": "192.168.1.1 is on r2, r1; checked r2, r1"},
        {"name": "client's ARP entry for the VIP points to r1 or r2", "ok": True,
         "detail": "192.168.1.1 is at m2: r2's own MAC: without use_vmac keepalived answers "
                   "with the router's MAC, not the textbook's 00:00:5e:00:01:0a"}]
    lonely = {**snap, "vips": {"r1": ["192.168.1.1"], "r2": []}, "client_arp": "m3"}
    found = checks._steady_state_checks(lonely, "192.168.1.1", "", None)
    assert [c["ok"] for c in found] == [False, False]
    assert found[1]["detail"] == "192.168.1.1 is at m3: not the MAC of r1 or r2"


def test_nobody_master_checks_fail_a_router_still_master_or_holding_the_vip():
    silenced = {**SNAP, "expected_master": None, "states": {"r1": "BACKUP", "r2": "FAULT"},
                "vips": {"r1": [], "r2": []}}
    assert checks._steady_state_checks(silenced, "192.168.1.1", "x: ", None) == [
        {"name": "x: no router is MASTER (they obey the forged master)", "ok": True,
         "detail": "r1 BACKUP, r2 FAULT"},
        {"name": "x: VIP on no router (ip addr show)", "ok": True,
         "detail": "192.168.1.1 is on no router; checked r1, r2"}]
    speaking = {**silenced, "states": {"r1": "BACKUP", "r2": "MASTER"},
                "vips": {"r1": [], "r2": ["192.168.1.1"]}}
    assert checks._steady_state_checks(speaking, "192.168.1.1", "x: ", None) == [
        {"name": "x: no router is MASTER (they obey the forged master)", "ok": False,
         "detail": "r1 BACKUP, r2 MASTER"},
        {"name": "x: VIP on no router (ip addr show)", "ok": False,
         "detail": "192.168.1.1 is on r2; checked r1, r2"}]


def gateway_b(**kw) -> dict:
    return {"vip": "192.168.1.2", "vrid": 11, "client": "c2", "expected_before": "r2",
            "expected_master": "r2", "settled_master": None, "master_changes": 0,
            "lost_probes": 0, "data_gap_s": 0.01, **kw}


def test_gateway_fault_check_words_and_what_fails_it():
    name = "f: VI_B (192.168.1.2) stays on r2, its client untouched"
    assert checks._gateway_fault_check("f", "VI_B", gateway_b()) == {
        "name": name, "ok": True, "detail": "0 changes of master on VRID 11; c2 lost 0 probes "
                                            "to 192.168.1.2, longest gap 0.010 s"}
    assert checks._gateway_fault_check("f", "VI_B", gateway_b(settled_master="r2"))["ok"]
    for bad in ({"settled_master": "r1"}, {"master_changes": 1}, {"lost_probes": 1}):
        assert not checks._gateway_fault_check("f", "VI_B", gateway_b(**bad))["ok"], bad
    moved = gateway_b(expected_master="r1", lost_probes=3, data_gap_s=None)
    assert checks._gateway_fault_check("f", "VI_B", moved) == {
        "name": "f: VI_B (192.168.1.2) moves from r2 to r1", "ok": False,
        "detail": "the last advert for VRID 11 came from nobody; c2 lost 3 probes to "
                  "192.168.1.2, longest gap never"}
    done = checks._gateway_fault_check("f", "VI_B", {**moved, "settled_master": "r1"})
    assert done["ok"] and done["detail"].startswith("the last advert for VRID 11 came from r1;")


def test_load_sharing_checks_each_gateways_vip_and_virtual_mac():
    results = {"vrrp": {"vrid": 10, "gateways": [{"instance": "VI_A", "vrid": 10},
                                                 {"instance": "VI_B", "vrid": 26}]},
               "faults": [{"name": "stop-r1", "gateways": {"VI_B": gateway_b(vrid=26)}}]}
    converge = {**SNAP, "vips": {"r1": ["192.168.1.1"], "r2": ["192.168.1.2"]},
                "gateways": {"VI_A": {"expected_master": "r1", "vip": "192.168.1.1",
                                      "client_arp": "x"},
                             "VI_B": {"expected_master": "r2", "vip": "192.168.1.2",
                                      "client_arp": checks.VMAC_PREFIX + "1a"},
                             "VI_C": {"expected_master": None}}}
    snaps = {"converge": converge, "stop-r1": {**converge, "expected_master": None}}
    assert checks._load_sharing_checks(results, snaps, VMAC_10) == [
        {"name": "VI_B: VIP on r2's interface only (ip addr show)", "ok": True,
         "detail": "192.168.1.2 is on r2; checked r1, r2"},
        {"name": "VI_B: client's ARP entry for the VIP points to r2", "ok": True,
         "detail": "192.168.1.2 is at 00:00:5e:00:01:1a: the VRRP virtual MAC, as the "
                   "textbook says (use_vmac)"},
        {"name": "stop-r1: VI_B (192.168.1.2) stays on r2, its client untouched", "ok": True,
         "detail": "0 changes of master on VRID 26; c2 lost 0 probes to 192.168.1.2, "
                   "longest gap 0.010 s"}]
    # after a fault, the prefix names it; without use_vmac, the router's own MAC
    gw = {**converge["gateways"]["VI_B"], "client_arp": "m2"}
    after = {"stop-r1": {**converge, "gateways": {"VI_B": gw}}}
    assert [(c["name"], c["ok"]) for c in checks._load_sharing_checks(results, after, None)] == [
        ("stop-r1: VI_B: VIP on r2's interface only (ip addr show)", True),
        ("stop-r1: VI_B: client's ARP entry for the VIP points to r2", True),
        ("stop-r1: VI_B (192.168.1.2) stays on r2, its client untouched", True)]
    # the VMAC of the wrong VRID fails
    wrong = {"converge": {**converge, "gateways": {"VI_B": {**gw, "client_arp": VMAC_10}}}}
    assert not checks._load_sharing_checks(results, wrong, VMAC_10)[1]["ok"]


def test_auth_mismatch_check_needs_a_routers_log_line():
    name = "a router's log proves the adverts are dropped for the password"
    assert checks._auth_mismatch_check({"auth_evidence": {"r1": "", "r2": "bad auth",
                                                          "r3": "x"}}) == {
        "name": name, "ok": True, "detail": "r2: bad auth; r3: x"}
    for results in ({"auth_evidence": {"r1": "", "r2": None}}, {}):
        assert checks._auth_mismatch_check(results) == {"name": name, "ok": False,
                                                        "detail": "no router logged it"}


def test_degraded_priority_check_reads_the_targets_adverts():
    f = {"name": "f", "kind": "set_priority", "target": "r1", "degraded_priority": 90,
         "priorities_seen": {"r1": [120, 90], "r2": [100]}}
    assert checks._degraded_priority_check(f) == {
        "name": "f: r1 now advertises priority 90", "ok": True,
        "detail": "r1 advertised priorities [120, 90] after the fault"}
    assert checks._degraded_priority_check({**f, "kind": "cut_upstream",
                                            "priorities_seen": {"r2": [90]}}) == {
        "name": "f: r1's failing check lowers its priority to 90", "ok": False,
        "detail": "r1 advertised priorities none after the fault"}
    assert not checks._degraded_priority_check({**f, "priorities_seen": {"r1": [120]}})["ok"]


def test_attack_checks_words():
    res = {"vrrp": {"auth_pass_on_wire": "pw"}}
    storm = {"name": "z", "kind": "zero_storm", "zero_adverts": 2,
             "attack": {"forged_src": "192.168.1.10", "password_read": "pw",
                        "sniffed_from": "192.168.1.10"}}
    assert checks._attack_checks(storm, res) == [
        {"name": "z: forged priority-0 adverts in 192.168.1.10's name are on the wire",
         "ok": True, "detail": "2 priority-0 adverts seen by the client (a real goodbye is one)"},
        {"name": "z: the attacker read the VRRPv2 password off the wire", "ok": True,
         "detail": "it read 'pw' from 192.168.1.10; the routers' auth_pass is 'pw' (PASS is "
                   "sent in clear)"}]
    assert checks._attack_checks({"name": "z", "kind": "zero_storm", "attack": None},
                                 {"vrrp": {}}) == [
        {"name": "z: forged priority-0 adverts in the master's name are on the wire",
         "ok": False, "detail": "0 priority-0 adverts seen by the client (a real goodbye is one)"}]
    rogue = {"name": "r", "kind": "rogue_router",
             "foreign_adverts": {"count": 2, "sources": ["a", "b"], "priorities": [255, 254]}}
    assert checks._attack_checks(rogue, res) == [
        {"name": "r: the attacker's forged adverts are on the wire", "ok": True,
         "detail": "2 adverts from a, b with priority 255, 254"},
        {"name": "r: the attacker read the VRRPv2 password off the wire", "ok": False,
         "detail": "it read None from no advert; the routers' auth_pass is 'pw' (PASS is sent "
                   "in clear)"}]
    assert checks._attack_checks({"name": "r", "kind": "malformed"}, {"vrrp": {}}) == [
        {"name": "r: the attacker's forged adverts are on the wire", "ok": False,
         "detail": "0 adverts from no foreign address with priority -"}]


ATTACK_TIMING = {"rule": "attack_over", "figure": "Master_Down_Interval", "figure_s": 3.5,
                 "lower_s": 3.4, "upper_s": 3.6, "basis": "the attacker's last forged advert",
                 "basis_at_s": 5.0, "measured_s": 3.5, "verdict": "ok", "judged": True}


def test_attack_over_checks_words_and_bounds():
    res = {"phase_evidence": [evidence("over", [AT, 9.0], {"r1": []})]}
    f = {"name": "over", "kind": "stop_attack", "expected_master": "r1", "settled_master": "r1",
         "takeover": True, "timing": ATTACK_TIMING, "gap_window": {"upper_s": 4.0},
         "per_target": {"192.168.1.1": {"answered_after_s": 4.0, "lost_probes": 3},
                        "203.0.113.100": {"answered_after_s": None, "lost_probes": 9}}}
    window = "window 0-4.000 s (the takeover's upper edge seen from the fault, + a probe " \
             "interval each side)"
    assert checks._attack_over_checks(f, res, "192.168.1.1") == [
        {"name": "over: r1 is master once the attack stops", "ok": True,
         "detail": "the last advert came from r1"},
        {"name": "over: takeover within the RFC window", "ok": True,
         "detail": "3.500 s from the attacker's last forged advert to r1's first advert (or "
                   "gratuitous ARP); "
                   "RFC Master_Down_Interval 3.500 s, window 3.400-3.600 s"},
        {"name": "over: ping to the VIP is answered again within the bound", "ok": True,
         "detail": f"first reply 4.000 s after the attack stopped (3 probes lost); {window}"},
        {"name": "over: traffic through the gateway to 203.0.113.100 is answered again "
                 "within the bound", "ok": False,
         "detail": f"first reply never after the attack stopped (9 probes lost); {window}"},
        {"name": "over: r1's log shows it MASTER (entering it, or never leaving it)",
         "ok": True, "window_s": [AT, 9.0],
         "detail": "no state change logged: it stayed as it was (r1.log bytes 0-9, "
                   "5.000-9.000 s since the start)"}]
    late = {**f, "per_target": {"192.168.1.1": {"answered_after_s": 4.0 + EPS,
                                                 "lost_probes": 3}}}
    assert not checks._attack_over_checks(late, res, "192.168.1.1")[2]["ok"]
    stayed = {**f, "settled_master": None, "takeover": False, "masters_seen": ["r1"],
              "per_target": {}}
    assert checks._attack_over_checks(stayed, res, "192.168.1.1") == [
        {"name": "over: r1 is master once the attack stops", "ok": False,
         "detail": "the last advert came from nobody"},
        {"name": "over: no failover, r1 stays master", "ok": True,
         "detail": "routers advertising after the fault: r1"},
        {"name": "over: r1's log shows no change of state (it stays MASTER)", "ok": True,
         "window_s": [AT, 9.0],
         "detail": "no state change logged (r1.log bytes 0-9, 5.000-9.000 s since the start)"}]
    for seen in ([], ["r1", "r2"]):
        moved = checks._attack_over_checks({**stayed, "masters_seen": seen}, res,
                                           "192.168.1.1")[1]
        assert not moved["ok"]
    assert checks._attack_over_checks({**stayed, "masters_seen": []}, res, "192.168.1.1")[1][
        "detail"] == "routers advertising after the fault: none"


def test_silenced_checks_need_two_intervals_of_silence_and_a_lost_gateway():
    res = {"vrrp": {"advert_int_s": INT}}
    s = {"name": "s", "at_s": AT, "window_end_s": AT + 5.0, "last_router_advert_s": 3.0,
         "lost_probes": 0, "answered_after_s": 0.5, "last_reply_s": 0.2}
    # exactly two intervals of silence is enough; a client still answered fails
    assert checks._silenced_checks(s, res) == [
        {"name": "s: every router stops advertising", "ok": True,
         "detail": "the routers' last advert came 3.000 s after the fault, then 2.000 s of "
                   "silence until the window's end"},
        {"name": "s: the client loses its gateway (no router holds the VIP)", "ok": False,
         "detail": "0 probes to the VIP lost; the last reply came 0.200 s after the fault"}]
    assert not checks._silenced_checks({**s, "last_router_advert_s": 3.0 + EPS}, res)[0]["ok"]
    assert checks._silenced_checks({**s, "lost_probes": 1}, res)[1]["ok"]
    assert checks._silenced_checks({**s, "last_router_advert_s": None,
                                    "answered_after_s": None}, res) == [
        {"name": "s: every router stops advertising", "ok": True,
         "detail": "the routers' last advert came never after the fault, then 5.000 s of "
                   "silence until the window's end"},
        {"name": "s: the client loses its gateway (no router holds the VIP)", "ok": True,
         "detail": "0 probes to the VIP lost; no reply in the window"}]


def test_elections_check_words_and_its_two_changes():
    f = {"name": "e", "master_changes": 2, "masters_seen": ["r1", "r2"], "lost_probes": 4,
         "data_gap_s": 1.5}
    assert checks._elections_check(f) == {
        "name": "e: repeated elections (changes of master on the wire)", "ok": True,
        "detail": "2 changes of master among r1, r2; 4 probes to the VIP lost, longest gap "
                  "1.500 s"}
    assert not checks._elections_check({**f, "master_changes": 1})["ok"]
    assert checks._elections_check({"name": "e", "lost_probes": 4, "data_gap_s": None}) == {
        "name": "e: repeated elections (changes of master on the wire)", "ok": False,
        "detail": "0 changes of master among no router; 4 probes to the VIP lost, longest "
                  "gap never"}


def fault_check_input(**kw) -> dict:
    return {"name": "g", "kind": "guard_vrrp", "expected_master": "r1", "masters_seen": [],
            "data_gap_s": 0.2, "lost_probes": 2, "gap_window": {"upper_s": 0.2},
            "takeover": False, "per_target": {"192.168.1.1": {},
                                              "t": {"data_gap_s": 0.2, "lost_probes": 1}},
            **kw}


GAP_WINDOW_TEXT = "window 0-0.200 s (the takeover's upper edge seen from the fault, + a " \
                  "probe interval each side)"


def test_fault_checks_of_a_guarded_master():
    res = {"phase_evidence": [evidence("g", [AT, 9.0], {"r1": []})], "probe": {"interval_s": PROBE}}
    assert checks._fault_checks(fault_check_input(), res, "192.168.1.1") == [
        {"name": "g: no failover, r1 stays master", "ok": True,
         "detail": "routers advertising after the fault: none"},
        {"name": "g: ping to the VIP resumes by itself with only a short loss", "ok": True,
         "detail": f"longest gap 0.200 s (2 probes lost, 0 answered late); {GAP_WINDOW_TEXT}"},
        {"name": "g: traffic through the gateway to t recovers as fast", "ok": True,
         "detail": f"longest gap 0.200 s, 1 probes lost; {GAP_WINDOW_TEXT}"},
        {"name": "g: r1's log shows no change of state (it stays MASTER)", "ok": True,
         "window_s": [AT, 9.0],
         "detail": "no state change logged (r1.log bytes 0-9, 5.000-9.000 s since the start)"}]
    ok = checks._fault_checks(fault_check_input(masters_seen=["r1", "r1"]), res, "192.168.1.1")
    assert ok[0] == {"name": "g: no failover, r1 stays master", "ok": True,
                     "detail": "routers advertising after the fault: r1, r1"}
    unseen = {k: v for k, v in fault_check_input().items() if k != "masters_seen"}
    assert checks._fault_checks(unseen, res, "192.168.1.1")[0]["ok"]  # silence is fine too
    moved = checks._fault_checks(fault_check_input(masters_seen=["r1", "r2"]), res,
                                 "192.168.1.1")
    assert not moved[0]["ok"]
    # a gap (or an upstream gap) a hair over the window fails
    over = checks._fault_checks(fault_check_input(data_gap_s=0.2 + EPS, per_target={
        "t": {"data_gap_s": 0.2 + EPS, "lost_probes": 1}}), res, "192.168.1.1")
    assert [c["ok"] for c in over[1:3]] == [False, False]


def test_fault_checks_of_a_flap_a_lowered_priority_and_no_failover():
    res = {"phase_evidence": [evidence("g", [AT, 9.0], {"r1": [MASTER_LINE]})],
           "probe": {"interval_s": PROBE}}
    flap = fault_check_input(kind="flap", takeover=True, settled_master="r1", master_changes=5,
                             takeover_s=1.0, timing=None, per_target={}, delayed_probes=4)
    found = checks._fault_checks(flap, res, "192.168.1.1")
    assert found[:3] == [
        {"name": "g: r1 is master once the flapping stops", "ok": True,
         "detail": "5 changes of master on the wire; the last advert came from r1"},
        {"name": "g: takeover within the RFC bound", "ok": True,
         "detail": "1.000 s from the fault to r1's first advert"},
        {"name": "g: ping to the VIP resumes by itself with only a short loss", "ok": True,
         "detail": f"longest gap 0.200 s (2 probes lost, 4 answered late); {GAP_WINDOW_TEXT}"}]
    assert found[3]["name"] == "g: r1's log shows Entering MASTER STATE" and found[3]["ok"]
    unsettled = {k: v for k, v in flap.items() if k not in ("settled_master", "master_changes")}
    assert checks._fault_checks(unsettled, res, "192.168.1.1")[0] == {
        "name": "g: r1 is master once the flapping stops", "ok": False,
        "detail": "0 changes of master on the wire; the last advert came from nobody"}
    lowered = fault_check_input(kind="set_priority", target="r1", degraded_priority=90,
                                priorities_seen={"r1": [90]}, masters_seen=["r1"],
                                per_target={})
    found = checks._fault_checks(lowered, res, "192.168.1.1")
    assert [(c["name"], c["ok"]) for c in found] == [
        ("g: no failover, r1 stays master", True),
        ("g: r1 now advertises priority 90", True),
        ("g: ping to the VIP resumes by itself with only a short loss", True),
        ("g: r1's log shows no change of state (it stays MASTER)", True)]
    for seen in ([], ["r1", "r2"]):
        assert not checks._fault_checks({**lowered, "masters_seen": seen}, res, "x")[0]["ok"]
    took_over = fault_check_input(kind="crash", takeover=True, new_master=None, takeover_s=None,
                                  timing=None, per_target={})
    assert checks._fault_checks(took_over, res, "192.168.1.1")[:2] == [
        {"name": "g: r1 becomes master", "ok": False,
         "detail": "first advert after the fault came from nobody"},
        {"name": "g: takeover within the RFC bound", "ok": False,
         "detail": "never from the fault to r1's first advert"}]


def test_fault_checks_route_silenced_unstable_and_attack_over_faults():
    res = {"vrrp": {"advert_int_s": INT}, "phase_evidence": [], "probe": {"interval_s": PROBE}}
    silenced = {"name": "s", "kind": "rogue_router", "expected_master": None, "at_s": AT,
                "window_end_s": AT + 5.0, "last_router_advert_s": None, "lost_probes": 3}
    assert [c["name"] for c in checks._fault_checks(silenced, res, "v")] == [
        "s: every router stops advertising",
        "s: the client loses its gateway (no router holds the VIP)"]
    unstable = {"name": "u", "kind": "zero_storm", "expected_master": "r1", "unstable": True,
                "master_changes": 3, "lost_probes": 3, "data_gap_s": 1.0}
    assert [c["name"] for c in checks._fault_checks(unstable, res, "v")] == [
        "u: repeated elections (changes of master on the wire)"]
    over = {"name": "o", "kind": "stop_attack", "expected_master": "r1", "settled_master": "r1",
            "timing": ATTACK_TIMING, "gap_window": {"upper_s": 4.0}, "per_target": {}}
    found = checks._fault_checks(over, res, "v")
    assert [c["name"] for c in found[:2]] == [
        "o: r1 is master once the attack stops", "o: takeover within the RFC window"]
    assert len(found) == 3 and found[2]["name"].startswith("o: r1's log shows")
    assert found[2]["detail"] == "no log read for r1 in phase o" and not found[2]["ok"]


def test_client_reaches_the_vip_counts_answers_before_the_first_fault():
    probes = {"sent": [1.0, 2.0, 3.0, 6.0], "recv": [None, 2.001, None, 6.001]}
    res = {"probes": {"10.0.0.1": probes}, "faults": [{"at_s": AT}]}
    assert checks._client_reaches_vip(res, "10.0.0.1") == {
        "name": "client reaches the VIP (ping 10.0.0.1)", "ok": True,
        "detail": "1 of 3 probes answered before the first fault"}
    lost = {"sent": [1.0, 2.0, 6.0], "recv": [None, None, 6.001]}
    assert checks._client_reaches_vip({"probes": {"10.0.0.1": lost}, "faults": [{"at_s": AT}]},
                                      "10.0.0.1") == {
        "name": "client reaches the VIP (ping 10.0.0.1)", "ok": False,
        "detail": "0 of 2 probes answered before the first fault"}
    # no fault: every probe counts; a probe sent at the fault's instant does not
    assert checks._client_reaches_vip({"probes": {"10.0.0.1": lost}, "faults": []},
                                      "10.0.0.1")["detail"] == \
        "1 of 3 probes answered before the first fault"
    at_fault = {"sent": [AT], "recv": [AT + 0.001]}
    assert not checks._client_reaches_vip({"probes": {"v": at_fault}, "faults": [{"at_s": AT}]},
                                          "v")["ok"]
    assert checks._client_reaches_vip({"probes": {}, "faults": []}, "192.168.1.1") == {
        "name": "client reaches the VIP (ping 192.168.1.1)", "ok": False,
        "detail": "0 of 0 probes answered before the first fault"}


def test_build_checks_of_a_run():
    doc = goodbye_doc(SKEW, phases=[evidence("converge", [0.0, AT], {"r1": [MASTER_LINE]})])
    doc["errors"] = ["the capture failed", "r2 did not start"]
    doc["vrrp"]["use_vmac"] = True
    doc["auth_mismatch"] = True
    doc["auth_evidence"] = {"r2": "bad password"}
    doc["snapshots"] = [{**SNAP, "client_arp": "m1"},  # use_vmac, yet the router's own MAC
                        {**SNAP, "label": "stop-r1", "expected_master": "r2",
                         "vips": {"r1": [], "r2": ["192.168.1.1"]}, "client_arp": "m2"}]
    found = [(c["name"], c["ok"]) for c in checks.build_checks(timing.annotate(doc) or doc)]
    assert found == [
        ("the run completed", False), ("the run completed", False),
        (VIP_ON_R1, True), (ARP_R1, False),
        ("r1's log shows Entering MASTER STATE", True),
        ("client reaches the VIP (ping 192.168.1.1)", False),
        ("a router's log proves the adverts are dropped for the password", True),
        ("stop-r1: r2 becomes master", True),
        ("stop-r1: takeover within the RFC window", True),
        ("stop-r1: ping to the VIP resumes by itself with only a short loss", True),
        ("stop-r1: r2's log shows Entering MASTER STATE", False),
        ("stop-r1: VIP on r2's interface only (ip addr show)", True),
        ("stop-r1: client's ARP entry for the VIP points to r2", False)]
    assert checks.build_checks(doc)[0]["detail"] == "the capture failed"
    # a fault's own VIP: the others in per_target are upstream targets
    doc["faults"][0].update(vip="192.168.1.9", per_target={
        "192.168.1.9": {"data_gap_s": 0.1, "lost_probes": 1},
        "192.168.1.1": {"data_gap_s": 0.1, "lost_probes": 1}})
    names = [c["name"] for c in checks.build_checks(doc)]
    assert "stop-r1: traffic through the gateway to 192.168.1.1 recovers as fast" in names
    assert not any("to 192.168.1.9 recovers" in n for n in names)
    # an attack's checks come on top of the others
    doc["faults"].append({"name": "rogue", "kind": "rogue_router", "expected_master": None,
                          "at_s": 20.0, "window_end_s": 25.0, "lost_probes": 1,
                          "foreign_adverts": {"count": 1}})
    names = [c["name"] for c in checks.build_checks(doc)]
    assert names[0] == "the run completed" and "stop-r1: r2 becomes master" in names
    assert names[-1] == "rogue: the attacker's forged adverts are on the wire"
    del doc["faults"][-1]
    doc["faults"][0]["per_target"] = {}
    # an unstable fault's snapshot is a moving target: not checked; a fault's own VIP is used
    doc["faults"][0].update(unstable=True, vip="192.168.1.9", master_changes=2,
                            masters_seen=["r1", "r2"])
    doc["auth_mismatch"] = False
    names = [c["name"] for c in checks.build_checks(doc)]
    assert not any(n.startswith("stop-r1: VIP") for n in names)
    assert "a router's log proves the adverts are dropped for the password" not in names
    assert "stop-r1: repeated elections (changes of master on the wire)" in names


def test_a_figure_smaller_than_the_speakers_reaction_is_a_loose_window_and_says_so():
    interval = 0.02  # VRRPv3 centiseconds: Skew_Time (156 * 0.02 / 256) under the reaction
    skew = skew_time(100, interval, 3)
    assert skew < KA.reaction_s
    zero_at = AT + 0.3
    adverts = [adv(zero_at - interval, "r1", 120), adv(zero_at, "r1", 0),
               adv(zero_at + skew, "r2", 100)]
    doc = document([fault("stop")], adverts)
    doc["vrrp"]["advert_int_s"] = interval
    found = named(doc)["stop-r1: takeover within the RFC window"]
    loose = (f"the speaker's own reaction (up to {KA.reaction_s * 1000:.0f} ms) is larger "
             f"than the {skew * 1000:.1f} ms Skew_Time: this window tells a missed timer, not "
             f"a few milliseconds' drift")
    assert doc["faults"][0]["timing"]["loose"] == loose
    assert found["ok"] and found["detail"].endswith(f"s ({loose})")
    # the words follow the verdict's: late, then why it is loose
    late = checks._takeover_check(takeover_fault(verdict="late", loose="L"))
    assert late["detail"].endswith("window 0.609-0.619 s: later than the window (L)")
    # a window wider than the reaction says nothing of it
    assert "loose" not in timed(goodbye_doc(SKEW))


def test_build_checks_of_a_load_sharing_run():
    doc = goodbye_doc(SKEW, phases=[evidence("converge", [0.0, AT], {"r1": [MASTER_LINE]})])
    doc["vrrp"]["gateways"] = [
        {"instance": "VI_A", "vrid": 10, "priorities": {"r1": 120, "r2": 100}},
        {"instance": "VI_B", "vrid": 11, "priorities": {"r1": 100, "r2": 120}}]
    doc["vrrp"]["use_vmac"] = True
    converge = {**SNAP, "client_arp": VMAC_10,
                "vips": {"r1": ["192.168.1.1"], "r2": ["192.168.1.2"]},
                "gateways": {"VI_B": {"expected_master": "r2", "vip": "192.168.1.2",
                                      "client_arp": "m2"}}}  # not VI_B's virtual MAC
    doc["snapshots"] = [converge]
    doc["faults"][0]["gateways"] = {"VI_B": gateway_b()}
    timing.annotate(doc)
    found = [(c["name"], c["ok"]) for c in checks.build_checks(doc)]
    assert found[:2] == [(VIP_ON_R1, True), (ARP_R1, True)]
    assert found[-3:] == [("VI_B: VIP on r2's interface only (ip addr show)", True),
                          ("VI_B: client's ARP entry for the VIP points to r2", False),
                          ("stop-r1: VI_B (192.168.1.2) stays on r2, its client untouched", True)]
    # one gateway is no load sharing
    doc["vrrp"]["gateways"] = doc["vrrp"]["gateways"][:1]
    assert not any("VI_B" in c["name"] for c in checks.build_checks(doc))


# --- a sync group moves with its last member (its adverts captured on the member's link) --

def member(t: float, router: str, priority: int, vrid: int = 20) -> dict:
    return adv(t, router, priority, vrid)


def grouped(faults: list[dict], adverts: list[dict], members: list[dict], sync=(20,),
            **kw) -> dict:
    doc = document(faults, adverts, sync=sync, **kw)
    doc["timeline"]["member_adverts"] = members
    return doc


def test_silence_of_a_sync_group_counts_from_its_last_members_last_advert():
    # r1 crashes at 5.0: its LAN instance (VRID 10) last advertised at 4.0, its member
    # instance (VRID 20) at 4.5: the group's backup waits its MDI from 4.5
    lan = r1_adverts() + [adv(4.5 + MDI, "r2", 100)]
    members = [member(t + 0.5, "r1", 120) for t in range(1, 5)]
    t = timed(grouped([fault("crash")], lan, members))
    assert t["basis_at_s"] == near(4.5) and t["measured_s"] == near(MDI)
    assert t["verdict"] == "ok" and t["upper_s"] == near(MDI + KA.reaction_s)
    # counted from the LAN instance alone it would be 0.5 s late
    assert timed(document([fault("crash")], lan))["verdict"] == "late"
    # two members: the latest of them; an earlier member changes nothing
    other = [member(t + 0.3, "r1", 120, vrid=21) for t in range(1, 5)]
    t = timed(grouped([fault("crash")], lan, members + other, sync=(20, 21)))
    assert t["basis_at_s"] == near(4.5) and t["verdict"] == "ok"
    early = [member(t + 0.3, "r1", 120) for t in range(1, 5)]  # before the LAN's 4.0? no: 3.3
    t = timed(grouped([fault("crash")], r1_adverts() + [adv(4.0 + MDI, "r2", 100)],
                      [member(3.3, "r1", 120)] + early[:2]))
    assert t["basis_at_s"] == near(4.0) and t["verdict"] == "ok"
    # another router's adverts on the member link are no basis
    t = timed(grouped([fault("crash")], lan, members + [member(4.8, "r2", 100)]))
    assert t["basis_at_s"] == near(4.5)


def test_no_member_adverts_or_no_sync_group_leave_the_lan_instances_basis():
    lan = r1_adverts() + [adv(4.0 + MDI, "r2", 100)]
    members = [member(t + 0.5, "r1", 120) for t in range(1, 5)]
    # no member adverts at all: the LAN's
    t = timed(grouped([fault("crash")], lan, [], sync=(20,)))
    assert t["basis_at_s"] == near(4.0)
    # member adverts but no sync group (or not this router's fault kind): the LAN's
    t = timed(grouped([fault("crash")], lan, members, sync=()))
    assert t["basis_at_s"] == near(4.0) and t["verdict"] == "ok"


def test_a_sync_groups_goodbye_and_demotion_count_from_the_last_member():
    # stop: the LAN instance's goodbye at 5.3, the member's at 5.35
    lan = r1_adverts() + [adv(AT + 0.3, "r1", 0), adv(AT + 0.35 + SKEW, "r2", 100)]
    members = [member(4.5, "r1", 120), member(AT + 0.35, "r1", 0)]
    t = timed(grouped([fault("stop")], lan, members))
    assert t["rule"] == "goodbye" and t["basis_at_s"] == near(AT + 0.35)
    assert t["measured_s"] == near(SKEW) and t["verdict"] == "ok"
    # no goodbye on the LAN: still nothing to count from, whatever the member said
    no_lan = [a for a in lan if a["priority"] != 0]
    t = timed(grouped([fault("stop")], no_lan, members))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None
    # cut_upstream: r1 advertises 100 (still accepted) on the LAN at 5.1, on the member at 5.2
    lan = r1_adverts() + [adv(AT + 0.1, "r1", 100), adv(AT + 1.1, "r1", 90),
                          adv(AT + 0.2 + MDI, "r2", 100)]
    members = [member(4.6, "r1", 120), member(AT + 0.2, "r1", 100), member(AT + 1.2, "r1", 90)]
    t = timed(grouped([fault("cut_upstream")], lan, members))
    assert t["rule"] == "demoted" and t["basis_at_s"] == near(AT + 0.2)
    assert t["verdict"] == "ok"


def test_a_sync_group_takes_over_at_its_first_members_advert_the_lan_may_follow():
    # keepalived moved the member instance first (its advert at MDI + 11 ms), then the LAN
    # instance 42 ms later (measured here): the group's timer is judged, not the sync
    lan = r1_adverts() + [adv(4.0 + MDI + 0.053, "r2", 100)]
    members = [member(t, "r1", 120) for t in range(1, 5)] + [member(4.0 + MDI + 0.011, "r2", 100)]
    doc = grouped([fault("crash")], lan, members)
    t = timed(doc)
    assert t["measured_s"] == near(MDI + 0.011) and t["verdict"] == "ok"
    # the client waits for the LAN instance: its gap window has the speaker's sync lag
    gap = doc["faults"][0]["gap_window"]
    part = next(p for p in gap["upper_parts"] if p["part"] == "sync group")
    assert part["s"] == windows.SPEAKERS["keepalived"].sync_lag_s > 0.053
    # known-bad: a group whose first member is late is late, whatever the LAN does
    late = [member(t, "r1", 120) for t in range(1, 5)] + [member(4.0 + 2 * MDI, "r2", 100)]
    assert timed(grouped([fault("crash")], r1_adverts() + [adv(4.0 + 2 * MDI, "r2", 100)],
                         late))["verdict"] == "late"
    # and one that moved early is early, even if the LAN instance came in time
    early = [member(t, "r1", 120) for t in range(1, 5)] + [member(4.0 + MDI / 2, "r2", 100)]
    assert timed(grouped([fault("crash")], lan, early))["verdict"] == "early"
    # no sync group: the member link's adverts are not looked at
    assert timed(grouped([fault("crash")], lan, members, sync=()))["measured_s"] == \
        near(MDI + 0.053)


def test_rules_that_count_from_the_fault_ignore_the_members():
    frozen = r1_adverts(4.0) + [adv(AT + 0.3, "r1", 120)]
    t = timed(grouped([fault("thaw", expected="r1", old="r1")], frozen,
                      [member(AT + 0.2, "r1", 120)]))
    assert t["rule"] == "next_advert" and t["basis_at_s"] == near(AT)


def test_missing_optional_fields_take_their_defaults():
    # no speakers, no speaker_starts, no preempt_delay, no script delay recorded
    adverts = [adv(float(t), "r2", 100) for t in range(1, 15)] + \
        [adv(AT + MDI_R1 + 0.05, "r1", 120)]
    doc = document([fault("start", expected="r1", old="r2")], adverts)
    for key in ("speakers", "speaker_starts"):
        del doc[key]
    del doc["vrrp"]["preempt_delay_s"]
    t = timed(doc)
    assert t["figure"] == "Master_Down_Interval" and t["figure_s"] == near(MDI_R1)
    assert t["upper_s"] == near(MDI_R1 + windows.UNKNOWN_SPEAKER.reaction_s +
                                windows.UNKNOWN_SPEAKER.start_up_s)
    doc = document([fault("restore_upstream", expected="r1", old="r2", applied_s=0.01)],
                   adverts)
    del doc["vrrp"]["routers"]["r1"]["script_delay_s"]
    t = timed(doc)
    assert t["upper_s"] == near(MDI_R1 + 0.01 + KA.reaction_s)
    assert timed(document([fault("restore_upstream", expected="r1", old="r2",
                                 applied_s=0.01)], adverts))["upper_s"] == near(
        MDI_R1 + 0.01 + KA.reaction_s)


def test_vrrp_v2_timers_do_not_scale_with_a_longer_interval():
    interval = 2.0
    skew_v2 = skew_time(100, interval, 2)
    assert skew_v2 == (256 - 100) / 256 != skew_time(100, interval, 3)
    adverts = [adv(1.0, "r1", 120), adv(AT + 0.3, "r1", 0), adv(AT + 0.3 + skew_v2, "r2", 100)]
    doc = document([fault("stop")], adverts, version=2)
    doc["vrrp"]["advert_int_s"] = interval
    t = timed(doc)
    assert t["figure_s"] == near(skew_v2) and t["verdict"] == "ok"
    adverts = [adv(3.0, "r1", 120), adv(3.0 + master_down_interval(100, interval, 2), "r2", 100)]
    doc = document([fault("crash")], adverts, version=2)
    doc["vrrp"]["advert_int_s"] = interval
    t = timed(doc)
    assert t["figure_s"] == near(3 * interval + skew_v2) and t["verdict"] == "ok"


def test_an_instant_shared_with_the_takeover_is_not_before_it():
    # the old master's goodbye, accepted advert or the attacker's forgery at the very
    # instant of the backup's first advert is not what the backup waited on
    t = timed(document([fault("stop")], r1_adverts() + [adv(AT + 0.3, "r1", 0),
                                                         adv(AT + 0.3, "r2", 100)]))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None
    t = timed(document([fault("cut_upstream")], [adv(4.0, "r1", 90), adv(AT + 0.1, "r1", 100),
                                                  adv(AT + 0.1, "r2", 100)]))
    assert t["verdict"] == "missing" and t["basis_at_s"] is None
    t = timed(document([fault("stop_attack", target="mallory", expected="r1", old="mallory")],
                       [adv(4.5, "mallory", 255), adv(AT + 0.4, "mallory", 255),
                        adv(AT + 0.4, "r1", 120)]))
    assert t["basis_at_s"] == near(4.5)


# --- the takeover: the new master's first advert or gratuitous ARP, whichever comes first --

def garp(t: float, mac: str = "m2", ip: str = "192.168.1.1", gratuitous: bool = True) -> dict:
    return {"t": t, "mac": mac, "ip": ip, "gratuitous": gratuitous}


def garp_doc(arps: list[dict], advert_after: float, **fault_kw) -> dict:
    """stop r1 at 5.0, its goodbye at 5.3; r2's first advert `advert_after` the goodbye."""
    doc = goodbye_doc(advert_after)
    doc["faults"][0].update(fault_kw)
    doc["vrrp"]["gateway_vip"] = "192.168.1.1"
    doc["snapshots"] = [{"label": "converge", "macs": {"r1": "m1", "r2": "m2"}}]
    doc["timeline"]["arp"] = arps
    return doc


def test_a_gratuitous_arp_before_the_advert_is_the_takeover():
    late = GOODBYE_UPPER + 0.01  # r2's advert alone: late
    assert timed(garp_doc([], late))["verdict"] == "late"
    t = timed(garp_doc([garp(AT + 0.3 + SKEW)], late))
    assert t["measured_s"] == near(SKEW) and t["verdict"] == "ok"
    # the advert first: the advert
    t = timed(garp_doc([garp(AT + 0.3 + late + 0.01)], SKEW))
    assert t["measured_s"] == near(SKEW)
    # the fault's own VIP, when it has one
    t = timed(garp_doc([garp(AT + 0.3 + SKEW, ip="192.168.1.9")], late, vip="192.168.1.9"))
    assert t["measured_s"] == near(SKEW)
    # a gratuitous ARP at the fault's instant counts; before it, it does not
    t = timed(garp_doc([garp(AT)], late))
    assert t["measured_s"] is None and t["verdict"] == "missing"  # before the goodbye: no basis
    assert timed(garp_doc([garp(AT - 0.001)], late))["measured_s"] == near(late)


def test_what_is_no_gratuitous_arp_of_the_new_master():
    late = GOODBYE_UPPER + 0.01
    at = AT + 0.3 + SKEW
    for arps in ([garp(at, gratuitous=False)],  # an answer to a request
                 [{"t": at, "mac": "m2", "ip": "192.168.1.1"}],  # not marked gratuitous
                 [garp(at, mac="m1")],  # the old master's
                 [garp(at, mac=VMAC_10)],  # a virtual MAC names no router
                 [garp(at, ip="192.168.1.50")]):  # another address
        assert timed(garp_doc(arps, late))["measured_s"] == near(late), arps
    # no MAC known for the new master: ARPs cannot be told apart
    doc = garp_doc([garp(at)], late)
    doc["snapshots"] = [{"label": "converge", "macs": {"r1": "m1"}}, {"label": "x"}]
    assert timed(doc)["measured_s"] == near(late)
    # the MAC from the first snapshot that has one
    doc = garp_doc([garp(at, mac="m2b")], late)
    doc["snapshots"] = [{"label": "a", "macs": {"r2": None}}, {"label": "b", "macs": {"r2": "m2b"}},
                        {"label": "c", "macs": {"r2": "m2c"}}]
    assert timed(doc)["measured_s"] == near(SKEW)
    # no ARP in the timeline at all
    doc = garp_doc([], late)
    del doc["timeline"]["arp"]
    assert timed(doc)["measured_s"] == near(late)


def test_edges_of_the_security_and_load_sharing_checks():
    # one forged advert is enough to show the attack ran
    one = {"name": "r", "kind": "rogue_router", "foreign_adverts": {"count": 1}}
    assert checks._attack_checks(one, {"vrrp": {}})[0]["ok"]
    # two intervals of silence at a half-second interval: 1 s
    s = {"name": "s", "at_s": AT, "window_end_s": AT + 3.0, "last_router_advert_s": 2.0,
         "lost_probes": 1}
    assert checks._silenced_checks(s, {"vrrp": {"advert_int_s": 0.5}})[0]["ok"]
    assert not checks._silenced_checks({**s, "last_router_advert_s": 2.0 + EPS},
                                       {"vrrp": {"advert_int_s": 0.5}})[0]["ok"]
    # after an attack, no failover: nobody seen advertising (the key absent) fails
    res = {"phase_evidence": []}
    f = {"name": "o", "kind": "stop_attack", "expected_master": "r1", "settled_master": "r1",
         "takeover": False, "gap_window": {"upper_s": 1.0}, "per_target": {}}
    assert checks._attack_over_checks(f, res, "v")[1] == {
        "name": "o: no failover, r1 stays master", "ok": False,
        "detail": "routers advertising after the fault: none"}
    assert checks._attack_over_checks({**f, "masters_seen": ["r1", "r2"]}, res, "v")[1][
        "detail"] == "routers advertising after the fault: r1, r2"
    # the VIP on two routers when none should hold it
    both = {**SNAP, "expected_master": None, "vips": {"r1": ["192.168.1.1"],
                                                       "r2": ["192.168.1.1"]}}
    assert checks._steady_state_checks(both, "192.168.1.1", "", None)[1]["detail"] == \
        "192.168.1.1 is on r1, r2; checked r1, r2"


def test_load_sharing_checks_every_gateway_with_its_own_expected_holder():
    results = {"vrrp": {"vrid": 10, "gateways": [{"instance": "VI_A", "vrid": 10},
                                                 {"instance": "VI_B", "vrid": 11},
                                                 {"instance": "VI_C", "vrid": 12}]},
               "faults": [{"name": "crash-r3"}]}  # a fault that concerned no other gateway
    converge = {**SNAP, "expected_holders": ["r1"],  # the main gateway's, not the others'
                "vips": {"r1": ["192.168.1.1"], "r2": ["192.168.1.2", "192.168.1.3"]},
                "gateways": {"VI_B": {"expected_master": "r2", "vip": "192.168.1.2",
                                      "client_arp": "m2"},
                             "VI_C": {"expected_master": "r2", "vip": "192.168.1.3",
                                      "client_arp": "m2"}}}
    found = checks._load_sharing_checks(results, {"converge": converge,
                                                  "crash-r3": {**SNAP}}, None)
    assert [(c["name"], c["ok"]) for c in found] == [
        ("VI_B: VIP on r2's interface only (ip addr show)", True),
        ("VI_B: client's ARP entry for the VIP points to r2", True),
        ("VI_C: VIP on r2's interface only (ip addr show)", True),
        ("VI_C: client's ARP entry for the VIP points to r2", True)]


def test_fault_checks_no_failover_words_and_the_defaults():
    res = {"phase_evidence": [], "probe": {"interval_s": PROBE}}
    lowered = fault_check_input(kind="set_priority", per_target={})
    for seen, ok, words in ((["r1"], True, "r1"), ([], False, "none"),
                            (["r1", "r2"], False, "r1, r2")):
        assert checks._fault_checks({**lowered, "masters_seen": seen}, res, "v")[0] == {
            "name": "g: no failover, r1 stays master", "ok": ok,
            "detail": f"routers advertising after the fault: {words}"}
    # a fault that does not say: a takeover is expected
    crash = {k: v for k, v in fault_check_input(kind="crash", new_master="r1", takeover_s=1.0,
                                                timing=None, per_target={}).items()
             if k != "takeover"}
    assert checks._fault_checks(crash, res, "v")[0] == {
        "name": "g: r1 becomes master", "ok": True,
        "detail": "first advert after the fault came from r1"}
    # after an attack, the fault's VIP is the one pinged
    over = {"name": "o", "kind": "stop_attack", "expected_master": "r1", "settled_master": "r1",
            "timing": ATTACK_TIMING, "gap_window": {"upper_s": 4.0},
            "per_target": {"10.0.0.1": {"answered_after_s": 1.0, "lost_probes": 0}}}
    assert checks._fault_checks(over, res, "10.0.0.1")[2]["name"] == \
        "o: ping to the VIP is answered again within the bound"


def test_the_member_whose_timer_runs_out_last_sets_the_rule_and_the_basis():
    # stop r1: the LAN instance says goodbye at 5.3 (Skew_Time: due at 5.91); a member that
    # did not say goodbye last advertised at 4.5: its timer runs out at 4.5 + MDI, later
    lan = r1_adverts() + [adv(AT + 0.3, "r1", 0), adv(4.5 + MDI, "r2", 100)]
    members = [member(t + 0.5, "r1", 120) for t in range(1, 5)]
    t = timed(grouped([fault("stop")], lan, members))
    assert (t["rule"], t["figure"]) == ("silence", "Master_Down_Interval")
    assert t["basis_at_s"] == near(4.5) and t["verdict"] == "ok"
    assert t["basis"] == windows.BASIS["silence"]
    # a member heard long before: the LAN's goodbye still runs out last
    lan = r1_adverts() + [adv(AT + 0.3, "r1", 0), adv(AT + 0.3 + SKEW, "r2", 100)]
    t = timed(grouped([fault("stop")], lan, [member(1.0, "r1", 120)]))
    assert (t["rule"], t["basis_at_s"], t["verdict"]) == ("goodbye", near(AT + 0.3), "ok")
    # crash r1 (LAN silent from 4.0: due at 4.0 + MDI); a member its crash put in FAULT
    # says goodbye at 7.1: due at 7.1 + Skew_Time, later still: Skew_Time from that goodbye
    bye = 7.1
    assert bye + SKEW > 4.0 + MDI
    lan = r1_adverts() + [adv(bye + SKEW, "r2", 100)]
    t = timed(grouped([fault("crash")], lan, [member(4.2, "r1", 120), member(bye, "r1", 0)]))
    assert (t["rule"], t["figure"], t["basis_at_s"]) == ("goodbye", "Skew_Time", near(bye))
    assert t["measured_s"] == near(SKEW) and t["verdict"] == "ok"
    # an earlier goodbye of that member does not outlast the LAN's silence
    lan = r1_adverts() + [adv(4.0 + MDI, "r2", 100)]
    t = timed(grouped([fault("crash")], lan, [member(AT + 0.1, "r1", 0)]))
    assert (t["rule"], t["basis_at_s"]) == ("silence", near(4.0))


def test_members_not_seen_widen_the_window_by_one_interval():
    lan = r1_adverts() + [adv(4.5 + MDI, "r2", 100)]
    members = [member(t + 0.5, "r1", 120) for t in range(1, 5)]
    # VRID 21 is in the group, its link shows nothing of r1's: one interval more
    t = timed(grouped([fault("crash")], lan, members + [member(4.7, "r2", 100, vrid=21)],
                      sync=(20, 21)))
    assert t["basis_at_s"] == near(4.5)
    assert t["upper_s"] == near(MDI + KA.reaction_s + INT)
    assert [p["part"] for p in t["upper_parts"]] == ["reaction", "scheduling", "sync group"]
    # nothing captured on any member link: the LAN's basis, widened
    t = timed(grouped([fault("crash")], r1_adverts() + [adv(4.0 + MDI, "r2", 100)], [],
                      sync=(20, 21)))
    assert t["basis_at_s"] == near(4.0) and t["upper_s"] == near(MDI + KA.reaction_s + INT)
    # no LAN basis (no goodbye on the LAN): nothing to count from, whatever the members say
    t = timed(grouped([fault("stop")], r1_adverts() + [adv(6.0, "r2", 100)],
                      [member(AT + 0.2, "r1", 0)]))
    assert t["verdict"] == "missing" and t["upper_s"] == near(SKEW + KA.reaction_s)
    # (a goodbye's window has no sync group part: the members said goodbye too, or were
    # judged by their own rule above)
    t = timed(grouped([fault("stop")], r1_adverts() + [adv(6.0, "r2", 100)], []))
    assert t["verdict"] == "missing" and t["upper_s"] == near(SKEW + KA.reaction_s)


def test_a_flaps_gap_allows_the_slowest_routers_master_down_interval_and_the_carrier():
    doc = document([fault("flap", bound_s=0.5)], r1_adverts())
    doc["vrrp"]["routers"]["r1"]["master_down_interval_s"] = MDI_R1
    doc["vrrp"]["routers"]["r2"]["master_down_interval_s"] = MDI
    doc["vrrp"]["routers"]["r3"] = {"priority": 90}  # none recorded: no figure
    timing.annotate(doc)
    gap = doc["faults"][0]["gap_window"]
    assert gap["figure_s"] == near(MDI)  # r2's, the slowest; more than the bound
    assert gap["upper_s"] == near(MDI + 2 * PROBE + windows.PATH_SWITCH_S + windows.CARRIER_S)
    assert gap["upper_parts"][-1] == {
        "part": "carrier", "s": windows.CARRIER_S,
        "why": "a flapping link's return reaches its speaker within a second (linkwatch's "
               "rate limit)"}
    # a router with no figure recorded adds none
    doc = document([fault("flap", bound_s=0.5)], r1_adverts())
    timing.annotate(doc)
    assert doc["faults"][0]["gap_window"]["figure_s"] == 0.5
    # a bound larger than every router's: the bound; another kind: no carrier part
    doc = document([fault("flap", bound_s=MDI + 1.0)], r1_adverts())
    timing.annotate(doc)
    assert doc["faults"][0]["gap_window"]["figure_s"] == near(MDI + 1.0)
    doc = document([fault("crash", bound_s=0.5)], r1_adverts())
    doc["vrrp"]["routers"]["r2"]["master_down_interval_s"] = MDI
    timing.annotate(doc)
    assert "carrier" not in [p["part"] for p in doc["faults"][0]["gap_window"]["upper_parts"]]


def test_a_members_adverts_after_the_takeover_and_earlier_goodbyes_do_not_count():
    first = 4.2 + MDI
    lan = r1_adverts() + [adv(first, "r2", 100)]
    # on the member link r1 advertised at 4.2, then (after r2's takeover) a goodbye and more
    members = [member(4.2, "r1", 120), member(first + 0.1, "r1", 0),
               member(first + 0.2, "r1", 120)]
    t = timed(grouped([fault("crash")], lan, members))
    assert (t["rule"], t["basis_at_s"], t["verdict"]) == ("silence", near(4.2), "ok")
    assert t["bases_tried"] == 1
    # stop: a member's goodbye before the LAN's runs out first: the LAN's goodbye
    lan = r1_adverts() + [adv(AT + 0.3, "r1", 0), adv(AT + 0.3 + SKEW, "r2", 100)]
    t = timed(grouped([fault("stop")], lan, [member(4.5, "r1", 120), member(AT + 0.1, "r1", 0)]))
    assert (t["rule"], t["basis_at_s"]) == ("goodbye", near(AT + 0.3))
    # crash with no LAN advert at all: missing; an unseen group widens only when no member
    # link was captured
    quiet = [adv(AT + 4.0, "r2", 100)]
    t = timed(grouped([fault("crash")], quiet, [member(4.2, "r1", 120)]))
    assert t["verdict"] == "missing" and t["upper_s"] == near(MDI + KA.reaction_s)
    t = timed(grouped([fault("crash")], quiet, []))
    assert t["verdict"] == "missing" and t["upper_s"] == near(MDI + KA.reaction_s + INT)


def test_edges_of_the_takeover_instant_and_the_bases():
    # the expected master's advert at the fault's own instant is its takeover (here: early)
    t = timed(document([fault("crash")], r1_adverts() + [adv(AT, "r2", 100)]))
    assert t["measured_s"] == near(AT - 4.0) and t["verdict"] == "early"
    # priority 1 is a real advert
    t = timed(document([fault("crash")], r1_adverts() + [adv(4.0 + MDI, "r2", 1)]))
    assert t["measured_s"] == near(MDI)
    # no snapshots at all: adverts only
    doc = document([fault("crash")], r1_adverts() + [adv(4.0 + MDI, "r2", 100)])
    del doc["snapshots"]
    assert timed(doc)["measured_s"] == near(MDI)
    # no takeover: every instant before the window's end is a basis; nothing measured
    t = timed(document([fault("crash")], r1_adverts()))
    assert (t["verdict"], t["basis_at_s"], t["stall_s"]) == ("missing", near(4.0), 0.0)
    t = timed(goodbye_doc(SKEW, zero_at=None))
    assert t["stall_s"] == 0.0
    # a fault that does not say whether a takeover is expected: it is
    f = fault("crash")
    del f["takeover"]
    assert timed(document([f], r1_adverts() + [adv(4.0 + MDI, "r2", 100)]))["verdict"] == "ok"


def test_the_first_basis_that_passes_is_kept():
    # r1 advertised at 4.99 and (while the link went down) at 5.01: both explain r2's takeover
    adverts = [adv(4.99, "r1", 120), adv(AT + 0.01, "r1", 120), adv(AT + 0.01 + MDI, "r2", 100)]
    t = timed(document([fault("link_down", applied_s=0.05)], adverts))
    assert t["basis_at_s"] == near(AT + 0.01) and t["verdict"] == "ok" and t["bases_tried"] == 2


def test_the_gap_windows_words():
    w = windows.gap_window(0.62, PROBE, 0.0, "goodbye")
    assert w.figure == "takeover, seen from the fault"
    assert w.note.startswith("no lower edge: the old master may keep forwarding")
    assert w.note.endswith("so a short gap or none is fine")
    why = {p.name: p.why for p in w.upper}
    assert why["last reply"] == ("the last reply before the outage may precede the fault by "
                                 "one probe interval")
    assert why["next probe"] == "after the new master's gratuitous ARP (or NA), the client's " \
                                "next probe"
    assert why["path switch"].startswith("the client's traffic follows the new master")
    assert why["scheduling"] == "this machine's longest stall in the window"


def test_every_windows_basis_and_part_names_in_words():
    for rule in ("silence", "demoted", "attack_over", "goodbye", "promoted", "next_advert"):
        w = windows.takeover_window(rule, timers(), windows.Circumstances())
        assert w.basis == windows.BASIS[rule], rule
    w = windows.takeover_window("next_advert", timers(), windows.Circumstances(applied_s=0.04))
    assert [p.name for p in w.upper] == ["advert interval", "applied", "reaction", "scheduling"]
    assert w.note.startswith("the expected master never left MASTER in its own view")
    assert w.note.endswith("there is nothing to wait for, so no lower edge")
    # results.json keeps six decimals (microseconds, as the capture)
    third = windows.Window("x", "f", 1 / 3, "b", (windows.Part("p", 1 / 3, ""),),
                           (windows.Part("q", 1 / 3, ""),))
    d = third.to_dict()
    assert (d["figure_s"], d["lower_s"], d["upper_s"]) == (0.333333, 0.0, 0.666667)


# --- a backup whose own health check fails: its timers follow the priority it has -------

def failing_check_doc(advertised: int, weights: list[int]) -> dict:
    """stop r1; r2's own check fails (the lesson's `killall -0 keepalived` under the bundled
    speaker): r2 waits its Skew_Time at the priority its checks leave it, and its first
    advert says which that is."""
    skew = skew_time(advertised, INT, 3)
    adverts = r1_adverts() + [adv(AT + 0.3, "r1", 0)]
    adverts += [adv(AT + 0.3 + skew + 0.001 + i, "r2", advertised) for i in range(3)]
    doc = document([fault("stop")], adverts)
    doc["vrrp"]["routers"]["r2"]["check_weights"] = weights
    return doc


def test_a_failing_check_on_the_backup_moves_its_skew_time_to_the_advertised_priority():
    t = timed(failing_check_doc(80, [-20]))
    assert t["verdict"] == "ok" and t["figure_s"] == near(skew_time(80, INT, 3))
    assert (t["priority"], t["configured_priority"]) == (80, 100)
    check = named(failing_check_doc(80, [-20]))["stop-r1: takeover within the RFC window"]
    assert check["ok"] and "from priority 80" in check["detail"]


def test_an_advertised_priority_its_checks_cannot_explain_is_not_believed():
    """Known bad: r2 advertises 80 but has no check (or one of weight -30): it is judged on
    its configured 100, and 76 ms late is late."""
    for weights in ([], [-30]):
        t = timed(failing_check_doc(80, weights))
        assert t["figure_s"] == near(SKEW) and t["verdict"] == "late", weights
        assert "priority" not in t
