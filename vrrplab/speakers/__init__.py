"""One interface for every VRRP speaker a router can run (keepalived, bundled).

Scenarios and the runner only call `prepare`, `start`, `stop`, `crash`, `state`
and `master_evidence`; which daemon answers is this package's business.
"""

from __future__ import annotations

from vrrplab.errors import InputError
from vrrplab.speakers.base import Speaker
from vrrplab.speakers.keepalived import KeepalivedSpeaker

SPEAKER_KINDS = {"keepalived": KeepalivedSpeaker}
# What `--speaker` accepts, and which kind each router then runs (router order).
SPEAKER_CHOICES = ("keepalived",)


def speaker_for(choice: str, index: int) -> type[Speaker]:
    """The speaker class for the index-th router under a --speaker choice."""
    if choice not in SPEAKER_CHOICES:
        raise InputError(f"--speaker: expected one of {', '.join(SPEAKER_CHOICES)}, got {choice!r}")
    return SPEAKER_KINDS[choice]


__all__ = ["Speaker", "SPEAKER_CHOICES", "speaker_for"]
