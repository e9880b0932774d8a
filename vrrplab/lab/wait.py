"""Wait for a condition with a deadline; never sleep and hope."""

from __future__ import annotations

import time
from typing import Callable

from vrrplab.errors import LabError
from vrrplab.i18n import N_, Message

POLL_S = 0.005


class WaitTimeout(LabError):
    """A condition the scenario needs did not come true in time."""


def wait_until(predicate: Callable[[], bool], timeout: float, what: str | Message) -> float:
    """Poll `predicate` until true; return the seconds it took, or raise WaitTimeout."""
    start = time.monotonic()
    while not predicate():
        elapsed = time.monotonic() - start
        if elapsed > timeout:
            raise WaitTimeout(N_("timed out after {timeout:.2f} s waiting for {what}"),
                              timeout=float(timeout), what=what)
        time.sleep(POLL_S)
    return time.monotonic() - start
