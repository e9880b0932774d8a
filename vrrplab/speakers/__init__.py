"""One interface for every VRRP speaker a router can run (keepalived, bundled).

Scenarios and the runner only call `prepare`, `start`, `stop`, `crash`, `state`
and `state_changes`; which daemon answers is this package's business.

`--speaker` choices: `keepalived` or `bundled` on every router; `mixed` runs
keepalived on the first router (r1) and the bundled speaker on the others,
`mixed-reverse` the other way round, so the two implementations meet on the
wire in both directions.
"""

from __future__ import annotations

from vrrplab.errors import InputError
from vrrplab.speakers.base import Speaker
from vrrplab.speakers.bundled import BundledSpeaker
from vrrplab.speakers.keepalived import KeepalivedSpeaker

SPEAKER_KINDS: dict[str, type[Speaker]] = {"keepalived": KeepalivedSpeaker, "bundled": BundledSpeaker}
# What `--speaker` accepts, and which kind each router then runs (router order).
SPEAKER_CHOICES = ("keepalived", "bundled", "mixed", "mixed-reverse")
_FIRST_AND_OTHERS = {
    "keepalived": ("keepalived", "keepalived"),
    "bundled": ("bundled", "bundled"),
    "mixed": ("keepalived", "bundled"),
    "mixed-reverse": ("bundled", "keepalived"),
}


def speaker_for(choice: str, index: int) -> type[Speaker]:
    """The speaker class for the index-th router under a --speaker choice."""
    if choice not in SPEAKER_CHOICES:
        raise InputError(f"--speaker: expected one of {', '.join(SPEAKER_CHOICES)}, got {choice!r}")
    first, others = _FIRST_AND_OTHERS[choice]
    return SPEAKER_KINDS[first if index == 0 else others]


__all__ = ["Speaker", "SPEAKER_CHOICES", "SPEAKER_KINDS", "speaker_for"]
