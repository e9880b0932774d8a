"""Bounds and deadlines built on the RFC timers (`vrrp.timers`): pure arithmetic.

Two kinds of figures, one home:
- the RFC bound a fault's takeover is reported against (`takeover_bound_s`), which
  results.json carries as `bound_s` and the bench divides by;
- the runner's deadlines: how long it waits for what the protocol promises before
  it calls the run broken. A deadline is the protocol's figure doubled plus a fixed
  allowance for a daemon's own start-up: generous on purpose, since passing a
  deadline is an error of the lab, not a verdict (the verdict is the timing window
  of `analysis.windows`).
"""

from __future__ import annotations

SKEW_TIME, MASTER_DOWN_INTERVAL, HEALTHCHECK = "skew_time", "master_down_interval", "healthcheck"
BOUND_KINDS = (SKEW_TIME, MASTER_DOWN_INTERVAL, HEALTHCHECK)  # what bounds a takeover
HEALTHCHECK_TIMEOUT_S = 1.0  # the lesson's check pings with -W 1
STARTUP_ALLOWANCE_S = 3.0  # a daemon's own start-up, on top of the VRRP timers
RECOVERY_ALLOWANCE_S = 5.0  # time for the client's traffic to come back after takeover
FAULT_ALLOWANCE_S = 5.0  # the loader's estimate of a fault's length beyond the slowest MDI


def healthcheck_notice_s(scripts, either_way: bool = False) -> float:
    """How long a router's track scripts take to notice a change: interval x fall (to
    fail; `either_way`: x max(rise, fall), to fail or recover), plus the check's timeout."""
    if not scripts:
        return 0.0
    count = (lambda s: max(s.rise, s.fall)) if either_way else (lambda s: s.fall)
    return max(s.interval * count(s) for s in scripts) + HEALTHCHECK_TIMEOUT_S


def takeover_bound_s(bound_kind: str, skew_time_s: float, master_down_interval_s: float,
                     notice_s: float = 0.0, preempt_delay_s: float = 0.0) -> float:
    """The RFC bound on a takeover: Skew_Time after a priority-0 advert; otherwise
    Master_Down_Interval, after the health check noticed (`notice_s`, a backup discards
    the master's lower-priority adverts, RFC 5798 §6.4.2), plus preempt_delay for a
    router that returns (pass 0 otherwise)."""
    if bound_kind == SKEW_TIME:
        return skew_time_s
    bound = master_down_interval_s + preempt_delay_s
    return bound + notice_s if bound_kind == HEALTHCHECK else bound


def masters_window_s(advert_int_s: float) -> float:
    """How far around a fault the adverts say who was and who is master: two intervals."""
    return 2 * advert_int_s


def start_deadline_s(master_down_interval_s: float) -> float:
    """A starting speaker listens a full Master_Down_Interval before it acts."""
    return 2 * master_down_interval_s + STARTUP_ALLOWANCE_S


def step_down_deadline_s(advert_int_s: float) -> float:
    """A master steps down at the first forged advert of higher priority it hears."""
    return 2 * advert_int_s + STARTUP_ALLOWANCE_S


def fault_estimate_s(slowest_master_down_interval_s: float, preempt_delay_s: float = 0.0) -> float:
    """The loader's estimate of a fault's length, to refuse a scenario far too long: the
    runner waits for a returning router's preempt_delay too."""
    return slowest_master_down_interval_s + preempt_delay_s + FAULT_ALLOWANCE_S
