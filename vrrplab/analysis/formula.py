"""A fault's RFC bound, and the RFC's timers spelled as arithmetic with a lab's own numbers, for people:
`Skew_Time = (256 − 100) × 1 / 256`. report.html writes it beside a measured takeover;
the paced demo asks the class to work it out before the fault. Pure: text only."""

from __future__ import annotations

from dataclasses import dataclass

from vrrplab import i18n
from vrrplab.faults.catalogue import KINDS
from vrrplab.vrrp import bounds

SKEW_NAME, MDI_NAME = "Skew_Time", "Master_Down_Interval"


def skew_text(priority: int, advert_int_s: float, version: int) -> str:
    """RFC 3768 §6.1 (v2: the interval is not in it) or RFC 5798 §6.1 (v3)."""
    if version == 2:
        return f"(256 − {priority}) / 256"
    return f"(256 − {priority}) × {i18n.number(advert_int_s)} / 256"


def mdi_text(priority: int, advert_int_s: float, version: int) -> str:
    return f"3 × {i18n.number(advert_int_s)} + {skew_text(priority, advert_int_s, version)}"


def bound_text(bound_kind: str, priority: int, advert_int_s: float, version: int,
               preempt_delay_s: float = 0.0, notice_s: float = 0.0) -> str:
    """The bound `bounds.takeover_bound_s` computes, as `Name = arithmetic` (no result)."""
    if bound_kind == bounds.SKEW_TIME:
        return f"{SKEW_NAME} = {skew_text(priority, advert_int_s, version)}"
    name, text = MDI_NAME, mdi_text(priority, advert_int_s, version)
    if preempt_delay_s:
        name, text = f"{name} + preempt_delay", f"{text} + {i18n.number(preempt_delay_s)}"
    if bound_kind == bounds.HEALTHCHECK and notice_s:
        # TRANSLATORS: the time a health check takes to notice a failure (interval × fall + timeout)
        notice = i18n._("the check's notice")
        name, text = f"{name} + {notice}", f"{text} + {i18n.number(notice_s)}"
    return f"{name} = {text}"


@dataclass(frozen=True)
class Expected:
    """What the RFC says of a fault's takeover, before it happens."""

    router: str  # the router that must act
    bound_s: float  # results.json's `bound_s`
    text: str  # `Skew_Time = (256 − 100) × 1 / 256`, without the result


def expected(fault, topology) -> Expected:
    """The RFC bound of `fault`'s takeover on the topology's timers, as a number and as
    arithmetic (the live view's countdown, the paced demo's question)."""
    vrrp = topology.vrrp
    instance = topology.gateway_of(fault).name
    kind = fault.bound or KINDS[fault.kind].bound
    router, notice, delay = _bound_parts(kind, fault, vrrp, instance)
    return Expected(router, fault_bound_s(kind, fault, vrrp, instance),
                    bound_text(kind, vrrp.priority(router, instance), vrrp.advert_int,
                               vrrp.version, delay, notice))


def fault_bound_s(bound_kind: str, fault, vrrp, instance: str) -> float:
    """The RFC bound on the takeover after `fault`, from the gateway `instance`'s timers
    (results.json's `bound_s`)."""
    router, notice, delay = _bound_parts(bound_kind, fault, vrrp, instance)
    return bounds.takeover_bound_s(bound_kind, vrrp.skew_time(router, instance),
                                   vrrp.master_down_interval(router, instance), notice, delay)


def _bound_parts(bound_kind: str, fault, vrrp, instance: str) -> tuple[str, float, float]:
    """(the router that must act, the health check's notice, the preempt_delay): the router
    is the expected master (with no master expected, a rogue router, the slowest one); a
    health check counts only on a router's own scripts."""
    router = fault.expect_master or max(vrrp.routers, key=lambda r: vrrp.master_down_interval(
        r.name, instance)).name
    routers = {r.name for r in vrrp.routers}
    notice = bounds.healthcheck_notice_s(vrrp.router(fault.target).track_scripts) \
        if bound_kind == bounds.HEALTHCHECK and fault.target in routers else 0.0
    delay = vrrp.preempt_delay if KINDS[fault.kind].returns else 0.0
    return router, notice, delay
