"""The fault catalogue: one record per fault kind, read by every layer. Pure data.

The loader validates a scenario's faults against it, the runner applies them
(`faults.actions.ACTIONS`, one action per kind here), results and checks judge
them with it. A new fault kind is one `FaultKind` below and one action.

What each field means for the takeover (the arithmetic is in `vrrp.bounds`):
- `bound`: which RFC timer bounds the takeover. A graceful stop sends priority 0,
  so the backup waits only its Skew_Time (RFC 5798 §6.4.2); a silent failure is
  noticed when Master_Down_Interval has passed since the master's last advert; a
  router that returns listens its own Master_Down_Interval before it may preempt;
  when an attacker stops forging, the routers it silenced wait their
  Master_Down_Interval since its last forged advert; a health check first needs
  its scripts to notice.
- `rule`: what the judged takeover is counted from (`analysis.windows.BASIS`
  says it in words; `by_priority`: promoted or demoted, by the new priority).
- `silences`: the old master goes silent: the outage counts from its last advert.
- `returns`: a router comes back and may preempt (after preempt_delay, if set).
- `attacker`: the kind targets an attacker host: `forges` starts a process that
  forges adverts until `stop_attack`, `batch` sends a bounded batch and exits,
  `stops` ends a forging process.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrrplab.vrrp.bounds import HEALTHCHECK, MASTER_DOWN_INTERVAL, SKEW_TIME

SKEW, MDI = SKEW_TIME, MASTER_DOWN_INTERVAL


def N_(message: str) -> str:
    """`vrrplab.i18n.N_`, here so that the catalogue stays pure data (imports nothing of
    vrrplab's but the bounds): marks a kind's `what` for extraction (babel.cfg), shown
    through `_()` where it is shown."""
    return message


@dataclass(frozen=True)
class FaultKind:
    name: str
    what: str  # one line, for people (marked N_: report.html shows it through the catalogue)
    bound: str  # one of BOUND_KINDS
    rule: str | None = None  # None: no takeover timing to judge (flap: many switches)
    silences: bool = False
    returns: bool = False
    cuts_upstream: bool = False  # with no failover, traffic through the router stays lost
    attacker: str | None = None  # forges, batch, stops
    ipv4_only: bool = False
    takes_interface: bool = False  # a link kind: `interface` names the router's link
    needs_upstream: bool = False  # the topology must have an upstream host
    stays_master: bool = False  # the expected master never left MASTER in its own view


KINDS: dict[str, FaultKind] = {k.name: k for k in (
    FaultKind("stop", N_("systemctl stop: SIGTERM, the daemon says goodbye (priority 0)"),
              SKEW, "goodbye"),
    FaultKind("start", N_("systemctl start on a router whose speaker was stopped"), MDI, "start",
              returns=True),
    FaultKind("crash", N_("the daemon killed and the router's links down: no goodbye"), MDI,
              "silence", silences=True),
    FaultKind("kill", N_("kill -9 of the daemon only: the VIP stays on the router"), MDI,
              "silence", silences=True),
    FaultKind("freeze", N_("SIGSTOP: the daemon is alive but silent"), MDI, "silence",
              silences=True),
    FaultKind("thaw", N_("SIGCONT after a freeze"), MDI, "next_advert", stays_master=True),
    FaultKind("link_down", N_("a link down"), MDI, "silence", silences=True,
              takes_interface=True),
    FaultKind("link_up", N_("a link up again"), MDI, "rejoin", returns=True, takes_interface=True),
    FaultKind("flap", N_("a link down and up, count cycles of period"), MDI, None,
              silences=True, takes_interface=True),
    FaultKind("block_vrrp", N_("a firewall drops incoming VRRP"), MDI, "silence", silences=True),
    FaultKind("unblock_vrrp", N_("the firewall rule removed"), MDI, "next_advert", returns=True,
              stays_master=True),
    FaultKind("cut_upstream", N_("the router loses its path upstream, links stay up"), MDI,
              "demoted", cuts_upstream=True, needs_upstream=True),
    FaultKind("restore_upstream", N_("the path upstream is back"), MDI, "promoted", returns=True,
              needs_upstream=True),
    # the silenced routers wait their Master_Down_Interval; a guard moves nothing
    FaultKind("rogue_router", N_("forged adverts at priority 255 from an attacker"), MDI,
              attacker="forges", ipv4_only=True),
    FaultKind("zero_storm", N_("forged priority-0 adverts in the master's name"), SKEW,
              attacker="forges", ipv4_only=True),
    FaultKind("stop_attack", N_("the attacker stops forging"), MDI, "attack_over",
              attacker="stops"),
    FaultKind("guard_vrrp", N_("the mitigation: VRRP only from the routers' addresses and MACs"),
              MDI, ipv4_only=True),
    FaultKind("malformed", N_("a batch of hostile adverts that every receive check must drop"),
              MDI, attacker="batch", ipv4_only=True),
    # the priority script's next run, then the usual bound (a lower master is discarded)
    FaultKind("set_priority", N_("a router's priority changed while it runs"), HEALTHCHECK,
              "by_priority"),
)}


def kinds_where(**wanted) -> tuple[str, ...]:
    """The kinds whose fields have these values, in catalogue order:
    `kinds_where(silences=True)`."""
    return tuple(name for name, kind in KINDS.items()
                 if all(getattr(kind, field) == value for field, value in wanted.items()))


FORGING_KINDS = kinds_where(attacker="forges")  # an attacker process forges until stop_attack
# an attacker sends adverts of its own (a forging process or a batch)
ATTACK_KINDS = FORGING_KINDS + kinds_where(attacker="batch")
ATTACKER_KINDS = tuple(n for n, k in KINDS.items() if k.attacker)  # they target an attacker host
