"""Timing windows: the RFC figure a takeover is judged against, and [lower, upper] around it.

Pure. A window is never a blanket margin: its edges are the RFC figure
(`vrrp.timers`) minus and plus named parts, each with its size and where it
comes from, so a reader of results.json sees why 0.612 s passes and 0.700 s
does not. Earlier than the lower edge is a FAIL as much as later than the
upper one: a backup that did not wait is as broken as one that waited too long.

Each fault kind has a rule (`faults.catalogue`, its `rule`): what its takeover is counted from (the
basis) and what figure it must match.

    goodbye      stop: the old master's priority-0 advert -> Skew_Time (RFC 5798 §6.4.2 (425)-(430))
    silence      crash, kill, freeze, link_down, block_vrrp: the old master's last
                 advert -> Master_Down_Interval (§6.4.2 (455)-(460), then (405))
    demoted      cut_upstream, set_priority that lowers the master: its last advert at a
                 priority >= the backup's -> Master_Down_Interval (lower ones are discarded, (470))
    start        the returning daemon's start -> Master_Down_Interval (§6.4.1: it starts
                 as Backup, then preempts a lower priority when its timer runs out)
    rejoin       link_up: the link's return -> Master_Down_Interval, as a start
    promoted     restore_upstream, set_priority that raises a backup: the fault -> the
                 backup's timer, last reset by the master's advert up to an interval before
    next_advert  thaw, unblock_vrrp: the expected master never left MASTER in its own view;
                 it is heard again at its next advert (§6.4.3)
    attack_over  stop_attack: the attacker's last forged advert -> Master_Down_Interval
                 (routers it silenced); a storm's forgeries leave no lower edge

The parts that widen a window (all in seconds):

    capture        the client's capture stamps both packets (tcpdump, microseconds); the
                   bridge hands a frame to its ports one after another
    reaction       the speaker's own: timer wake-up (its event loop waits in whole
                   milliseconds), building and sending the advert (`SPEAKERS`)
    scheduling     this machine's stall at the instant the timer was due, measured in the
                   run by `vrrplab.run.latency` (0 on a quiet machine)
    start-up       a daemon started by the fault (keepalived: its log has no sub-second
                   time; the bundled speaker's log says when it started: no part)
    preempt_delay  keepalived (and the bundled speaker, which follows it) arms the delay at
                   the first lower-priority advert after start and resets its timer on
                   each advert until the delay is over: +- one advert interval
    applied        the time the fault itself took (an `ip link` or `nft` command)
    sync group     with a sync group the group moves with its last member; members whose
                   adverts the capture misses add one advert interval
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vrrplab.faults.catalogue import KINDS
from vrrplab.i18n import N_

CAPTURE_S = 0.0001  # capture timestamps: microseconds; ports of a bridge served one by one
CARRIER_S = 1.0  # linkwatch: a link's carrier change reaches netlink listeners within 1 s
PATH_SWITCH_S = 0.03  # after the takeover, until the client's traffic flows through the new master


@dataclass(frozen=True)
class SpeakerTiming:
    """What a speaker adds to the RFC figure by itself, measured on this kind of machine."""

    reaction_s: float
    reaction_why: str
    start_up_s: float  # counted only when the speaker's log has no start time of its own
    start_up_why: str
    ipv6_s: float = 0.0  # more reaction over IPv6
    ipv6_why: str = ""
    sync_lag_s: float = 0.0  # in a sync group, the LAN instance after the first member
    sync_lag_why: str = ""
    whole_centiseconds: bool = False  # Skew_Time computed in integer centiseconds, rounded down


def centisecond_floor_s(skew_s: float) -> float:
    """How much earlier an implementation counting whole centiseconds fires: RFC 5798's
    Skew_Time ((256 - priority) x interval in centiseconds) / 256, rounded down to a
    centisecond (0.609 s -> 0.60 s), and Master_Down_Interval with it."""
    return skew_s - int(skew_s * 100 + 1e-9) / 100


SPEAKERS: dict[str, SpeakerTiming] = {
    "keepalived": SpeakerTiming(
        0.050, N_("keepalived 2.2.7: timer expiry to advert on the wire, 0.5-21 ms measured "
                  "here over 70 takeovers, up to 34 ms at 0.01 s adverts with two labs at "
                  "once (a sync group's members move one after another), beyond what the "
                  "machine's stalls explain"),
        0.2, N_("keepalived's start-up (process, config, VRRP child): 20-61 ms measured here; "
                "its log has no sub-second time, so the window counts from the fault"),
        0.045, N_("over IPv6 keepalived sends its unsolicited NAs, then its first advert: "
                  "24-68 ms later than the Skew_Time, measured here (with the reaction part "
                  "above)"),
        0.15, N_("keepalived moves a sync group's members one after another: the LAN "
                 "instance's first advert came up to 101 ms after another member's (median "
                 "5 ms, 260 takeovers measured here)")),
    "bundled": SpeakerTiming(
        0.015, N_("bundled speaker: timer expiry to advert on the wire, 0.4-10.1 ms measured "
                  "here over 80 takeovers, two labs at once (Python's select waits in whole "
                  "milliseconds)"),
        0.3, N_("the bundled speaker's Python start-up, 0.1-0.2 s measured here: counted only "
                "when its log has no start line after the fault"),
        0.045, N_("over IPv6 the unsolicited NAs go before the first advert, as keepalived's "
                  "do"),
        0.0, N_("the bundled speaker moves the LAN instance first (231 takeovers measured "
                "here)")),
    "frr": SpeakerTiming(
        0.020, N_("FRR 8.4 vrrpd: timer expiry to advert on the wire, 1.0-3.6 ms after its "
                  "centisecond Skew_Time over 8 priority-0 takeovers measured here, one lab at "
                  "a time; 20 ms, as the bundled speaker's worst with two labs at once"),
        0.3, N_("FRR's start-up (zebra, then vrrpd once zebra's socket exists): its log has "
                "no sub-second time, so the window counts from the fault"),
        0.045, N_("over IPv6 vrrpd sends its unsolicited NAs at once on becoming master, "
                  "while its first advert is dropped (a known finding); counted as "
                  "keepalived's"),
        whole_centiseconds=True),
}
UNKNOWN_SPEAKER = SPEAKERS["keepalived"]  # a speaker not measured here: keepalived's figures

# the basis each rule counts from, in words (English in results.json; N_: the checks
# show them in the reader's language). A part's name (an identifier in results.json, shown
# through the catalogue), its why and a window's note are marked N_ the same way.
BASIS = {
    "goodbye": N_("the old master's priority-0 advert"),
    "silence": N_("the old master's last advert"),
    "demoted": N_("the old master's last advert at a priority the backup accepts"),
    "start": N_("the daemon's start"),
    "rejoin": N_("the fault (link up)"),
    "promoted": N_("the fault"),
    "next_advert": N_("the fault"),
    "attack_over": N_("the attacker's last forged advert"),
}


def rule_of(kind: str, target: str, expected: str | None) -> str | None:
    """The rule judging this fault's takeover (None: no takeover timing to judge)."""
    rule = KINDS[kind].rule if kind in KINDS else None
    if rule == "by_priority":  # the target is lowered below a backup, or raised back
        return "promoted" if target == expected else "demoted"
    return rule


@dataclass(frozen=True)
class Part:
    name: str
    s: float
    why: str

    def to_dict(self) -> dict:
        return {"part": self.name, "s": round(self.s, 6), "why": self.why}


@dataclass(frozen=True)
class Window:
    """[figure - sum(lower), figure + sum(upper)], and what it counts from."""

    rule: str
    figure: str  # the RFC quantity, by name
    figure_s: float
    basis: str
    lower: tuple[Part, ...] = ()
    upper: tuple[Part, ...] = ()
    note: str | None = None  # a case where the RFC or the speaker allows otherwise, and its source
    floor_s: float | None = None  # a lower edge of its own (0: no lower edge)

    @property
    def lower_s(self) -> float:
        if self.floor_s is not None:
            return self.floor_s
        return max(0.0, self.figure_s - sum(p.s for p in self.lower))

    @property
    def upper_s(self) -> float:
        return self.figure_s + sum(p.s for p in self.upper)

    def verdict(self, measured: float | None) -> str:
        """'ok', 'early' or 'late' ('missing' when nothing was measured)."""
        if measured is None:
            return "missing"
        if measured < self.lower_s:
            return "early"
        return "late" if measured > self.upper_s else "ok"

    def text(self) -> str:
        return (f"{self.figure} {self.figure_s:.3f} s, window "
                f"{self.lower_s:.3f}-{self.upper_s:.3f} s")

    def to_dict(self) -> dict:
        return {"rule": self.rule, "figure": self.figure, "figure_s": round(self.figure_s, 6),
                "basis": self.basis, "lower_s": round(self.lower_s, 6),
                "upper_s": round(self.upper_s, 6),
                "lower_parts": [p.to_dict() for p in self.lower],
                "upper_parts": [p.to_dict() for p in self.upper], "note": self.note}


@dataclass(frozen=True)
class Timers:
    """The timers of the router that must act, and what else shapes its takeover."""

    advert_int_s: float
    skew_s: float
    mdi_s: float
    speaker: SpeakerTiming
    preempt_delay_s: float = 0.0
    script_delay_s: float = 0.0  # a health check's: interval x rise (+ its timeout)
    uncaptured_sync_members: int = 0  # sync group members whose adverts the capture misses
    ipv6: bool = False
    priority: int | None = None  # the acting router's, that skew_s and mdi_s come from


@dataclass(frozen=True)
class Circumstances:
    """What this run measured around the fault."""

    stall_s: float = 0.0  # the machine's longest stall while the timer was due
    applied_s: float = 0.0  # how long the fault itself took to apply
    started_from_log: bool = False  # start: the basis is the daemon's logged start
    extra: tuple[Part, ...] = field(default_factory=tuple)


def takeover_window(rule: str, timers: Timers, seen: Circumstances) -> Window:
    """The window for a takeover judged by `rule` (see the module's table)."""
    capture = Part(N_("capture"), CAPTURE_S, N_("capture timestamps (microseconds), bridge ports "
                                                "served in turn"))
    common = [Part(N_("reaction"), timers.speaker.reaction_s, timers.speaker.reaction_why)]
    if timers.ipv6:
        common.append(Part("IPv6", timers.speaker.ipv6_s, timers.speaker.ipv6_why))
    common.append(Part(N_("scheduling"), seen.stall_s, N_("this machine's longest stall while "
                                                          "the timer was due (latency.log)")))
    if timers.uncaptured_sync_members and rule in ("silence", "demoted"):
        common.append(Part(N_("sync group"), timers.advert_int_s,
                           N_("the group moves with its last member, whose adverts are not in "
                              "the capture: up to one advert interval later")))
    common += list(seen.extra)
    early = (capture, *_centiseconds(timers))
    basis = BASIS.get(rule)  # an unknown rule: the ValueError below
    if rule == "goodbye":
        return Window(rule, "Skew_Time", timers.skew_s, basis, early, tuple(common))
    if rule in ("silence", "demoted"):
        return Window(rule, "Master_Down_Interval", timers.mdi_s, basis, early, tuple(common))
    if rule in ("start", "rejoin"):
        return _return_window(rule, timers, seen, early, common)
    if rule == "promoted":
        return Window(
            rule, "Master_Down_Interval", timers.mdi_s, basis,
            (Part(N_("last reset"), timers.advert_int_s, N_("the backup's timer was last reset "
                  "by the master's advert, up to one advert interval before the fault")),),
            (Part(N_("health check"), timers.script_delay_s, N_("the check notices the change "
                  "within its interval x rise, plus its own timeout")),
             Part(N_("applied"), seen.applied_s, N_("the fault's own command")), *common))
    if rule == "next_advert":
        return Window(rule, N_("next advert"), 0.0, basis, (), (
            Part(N_("advert interval"), timers.advert_int_s, N_("the expected master is heard "
                 "again at its next advert, within one Advertisement_Interval (RFC 5798 "
                 "§6.4.3)")),
            Part(N_("applied"), seen.applied_s, N_("the fault's own command")), *common),
            note=N_("the expected master never left MASTER in its own view (it was frozen, or "
                    "its adverts were dropped): there is nothing to wait for, so no lower edge"))
    if rule == "attack_over":
        return Window(rule, "Master_Down_Interval", timers.mdi_s, basis, early, tuple(common))
    raise ValueError(f"no timing rule {rule!r}")


def _centiseconds(timers: Timers) -> tuple[Part, ...]:
    """The lower part of a speaker that keeps Skew_Time in whole centiseconds (FRR)."""
    if not timers.speaker.whole_centiseconds:
        return ()
    return (Part(N_("centiseconds"), centisecond_floor_s(timers.skew_s),
                 N_("FRR's vrrpd computes Skew_Time in whole centiseconds, rounded down "
                    "(vrrp.c: (256 - priority) x interval / 256, integers), so its timers fire "
                    "up to 10 ms before the RFC's exact figure")),)


def _return_window(rule: str, timers: Timers, seen: Circumstances, early: tuple[Part, ...],
                   common: list[Part]) -> Window:
    """start / link_up: Master_Down_Interval (+ preempt_delay) after the router is back."""
    figure = timers.mdi_s + timers.preempt_delay_s
    name = "Master_Down_Interval" + (" + preempt_delay" if timers.preempt_delay_s else "")
    lower, upper = list(early), list(common)
    note = None
    if timers.preempt_delay_s:
        why = N_("keepalived arms preempt_delay at the first lower-priority advert after its "
                 "start and resets its timer on every advert until the delay is over; the "
                 "bundled speaker does the same")
        lower.append(Part("preempt_delay", timers.advert_int_s, why))
        upper.append(Part("preempt_delay", timers.advert_int_s, why))
        note = why
    if rule == "rejoin":
        upper.append(Part(N_("applied"), seen.applied_s, N_("the fault's own command (ip link "
                                                            "up)")))
        upper.append(Part(N_("carrier"), CARRIER_S, N_("the kernel reports a carrier change to "
                          "the speaker within a second (linkwatch's rate limit): 4-651 ms "
                          "measured")))
        basis = BASIS[rule]
    elif seen.started_from_log:
        basis = N_("the daemon's start (its log)")
    else:
        upper.append(Part(N_("start-up"), timers.speaker.start_up_s, timers.speaker.start_up_why))
        basis = N_("the fault (systemctl start)")
    return Window(rule, name, figure, basis, tuple(lower), tuple(upper), note)


def gap_window(takeover_upper_from_fault_s: float, probe_interval_s: float, stall_s: float,
               rule: str | None, extra: tuple[Part, ...] = ()) -> Window:
    """The client's longest gap: no lower edge; the takeover's upper edge seen from the fault,
    plus a probe interval on each side (the last reply before, the first after) and a stall."""
    note = N_("no lower edge: the old master may keep forwarding (it queues the client's "
              "packets until it learns who holds the VIP), so a short gap or none is fine")
    return Window(rule or "gap", N_("takeover, seen from the fault"), takeover_upper_from_fault_s,
                  N_("the last reply before the fault"), (), (
                      Part(N_("last reply"), probe_interval_s, N_("the last reply before the "
                           "outage may precede the fault by one probe interval")),
                      Part(N_("next probe"), probe_interval_s, N_("after the new master's "
                           "gratuitous ARP (or NA), the client's next probe")),
                      Part(N_("path switch"), PATH_SWITCH_S, N_("the client's traffic follows "
                           "the new master: its gratuitous ARP (or NA) reaches the client "
                           "0.1-10 ms after its advert, the new master may first resolve the "
                           "client's own address; 6-20 ms measured here")),
                      Part(N_("scheduling"), stall_s, N_("this machine's longest stall in the "
                                                          "window")),
                      *extra),
                  note, floor_s=0.0)
