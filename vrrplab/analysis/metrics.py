"""What a fault did, computed from traces only: pure functions, no lab needed.

Inputs are the client's probe traces (`probe.ProbeTrace`) and the adverts seen on
the wire (`capture.AdvertSeen`), all stamped on one clock. Outputs are plain
numbers in seconds; `None` where a thing never happened (no takeover, no reply).
"""

from __future__ import annotations

from dataclasses import dataclass

# A reply this late was queued somewhere (often in the old master, which still
# forwards to the VIP while it resolves who holds it now): answered, not on time.
DELAYED_S = 0.1


@dataclass(frozen=True)
class DataImpact:
    """How the client's traffic to one target fared across a fault."""

    data_gap_s: float | None  # longest silence between two replies across the fault
    lost_probes: int  # probes sent in the window that never got a reply
    delayed_probes: int  # probes answered, but more than DELAYED_S later
    recovered_at: float | None  # first reply after that silence


def first_advert_after(adverts, t: float, src: str, vrid: int):
    """The first advert with priority > 0 from src for vrid at or after t."""
    return next((a for a in adverts
                 if a.t >= t and a.src == src and a.vrid == vrid and a.priority > 0), None)


def last_advert_before(adverts, t: float, src: str, vrid: int):
    """The last advert with priority > 0 from src for vrid before t."""
    before = [a for a in adverts
              if a.t < t and a.src == src and a.vrid == vrid and a.priority > 0]
    return before[-1] if before else None


def masters_around(adverts, at: float, end: float, recent: float) -> tuple[str | None, str | None]:
    """(new, old) master around a fault at `at`, by source address.

    old: who advertised (priority > 0) within `recent` seconds before `at`.
    new: the first router to start advertising in [at, end) that was not; if
    none did, whoever advertises last in the window (the settled master, e.g.
    the survivor of a split brain). new == old means nothing changed.
    """
    live = [a for a in adverts if a.priority > 0]
    before = [a for a in live if a.t < at]
    recent_sources = [a.src for a in before if a.t >= at - recent]
    window = [a for a in live if at <= a.t < end]
    newcomer = next((a.src for a in window if a.src not in recent_sources), None)
    new = newcomer or (window[-1].src if window else None)
    if recent_sources:
        others = [src for src in reversed(recent_sources) if src != new]
        old = others[0] if others else recent_sources[-1]
    else:
        old = before[-1].src if before else None
    return new, old


def settled_master(adverts, start: float, end: float) -> str | None:
    """The last router advertising (priority > 0) in [start, end)."""
    live = [a for a in adverts if start <= a.t < end and a.priority > 0]
    return live[-1].src if live else None


def master_changes(adverts, start: float, end: float) -> int:
    """How often the advertising router changed in [start, end) (a split brain counts each swap)."""
    sources = [a.src for a in adverts if start <= a.t < end and a.priority > 0]
    return sum(1 for a, b in zip(sources, sources[1:]) if a != b)


def takeover_time(adverts, fault_at: float, new_master: str, vrid: int) -> float | None:
    """Fault instant to the new master's first advert (RFC: it is master from then)."""
    advert = first_advert_after(adverts, fault_at, new_master, vrid)
    return advert.t - fault_at if advert else None


def data_impact(sent: list[float], recv: list[float | None], start: float, end: float) -> DataImpact:
    """The client's view of [start, end): the longest reply gap spanning the fault."""
    replies = sorted(r for r in recv if r is not None)
    window = [(s, r) for s, r in zip(sent, recv) if start <= s < end]
    lost = sum(1 for _, r in window if r is None)
    delayed = sum(1 for s, r in window if r is not None and r - s > DELAYED_S)
    before = [r for r in replies if r < start]
    after = [r for r in replies if start <= r < end]
    if not after:
        return DataImpact(None, lost, delayed, None)
    gaps = []
    previous = before[-1] if before else None
    for reply in after:
        if previous is not None:
            gaps.append((reply - previous, reply))
        previous = reply
    if not gaps:
        return DataImpact(None, lost, delayed, after[0])
    gap, recovered = max(gaps)
    return DataImpact(gap, lost, delayed, recovered)
