"""Deliberately mis-timed virtual routers: a test-only calibration device.

The lab tests run the bundled speaker with one of these to prove the verdict
code FAILs a broken speaker: known-bad input for the checks, nothing more. It
is never documented as a user option and no CLI flag selects it; the only way
in is the `test_mistime` key of the bundled config, which
`vrrplab.speakers.bundled_conf` writes only when the environment variable
`VRRPLAB_TEST_MISTIME` is set. The protocol core (`vrrplab.vrrp.machine`)
stays as the RFC has it: each fault is a subclass here.

    mdi_x2       Master_Down_Interval doubled (Skew_Time unchanged): a backup
                 takes over late after the master goes silent
    ignore_zero  a backup treats a priority-0 advert like an ordinary one:
                 Master_Down_Interval instead of Skew_Time (RFC 5798 §6.4.2 (425)-(430))
    no_wait      Skew_Time and Master_Down_Interval a tenth of the RFC's:
                 a backup takes over far too early
"""

from __future__ import annotations

from vrrplab.vrrp.actions import Action
from vrrplab.vrrp.config import STOP_PRIORITY, RouterConfig
from vrrplab.vrrp.machine import VirtualRouter
from vrrplab.vrrp.packet import Advert

MISTIMINGS = ("mdi_x2", "ignore_zero", "no_wait")


class MdiDoubled(VirtualRouter):
    @property
    def master_down_interval(self) -> float:
        return 2 * super().master_down_interval


class IgnoresPriorityZero(VirtualRouter):
    def _backup_receive(self, advert: Advert, src_ip: str, now: float) -> list[Action]:
        if advert.priority != STOP_PRIORITY:
            return super()._backup_receive(advert, src_ip, now)
        # the bug: the master's goodbye only restarts the full wait, as any advert would
        self._down_at = now + self.master_down_interval
        self._wants_master = False
        return []


class NoWait(VirtualRouter):
    @property
    def skew_time(self) -> float:
        return super().skew_time / 10

    @property
    def master_down_interval(self) -> float:
        return super().master_down_interval / 10


KINDS: dict[str, type[VirtualRouter]] = {"mdi_x2": MdiDoubled, "ignore_zero": IgnoresPriorityZero,
                                         "no_wait": NoWait}


def make_router(config: RouterConfig, mistime: str | None) -> VirtualRouter:
    """The RFC's `VirtualRouter` for None, else the one broken as `mistime` (one of MISTIMINGS) says."""
    if mistime is None:
        return VirtualRouter(config)
    if mistime not in KINDS:
        raise ValueError(f"unknown mistiming {mistime!r} (allowed: {', '.join(MISTIMINGS)})")
    return KINDS[mistime](config)
