"""Fault primitives. Each applies one fault, records its instant, returns its undo.

A fault function takes the running context (speakers, lab) and the `Fault` and
returns `(at, undo)`: `at` the unix time just before the fault hit (taken
immediately before the system call), `undo` an idempotent callable the runner
calls in its `finally`, so a run that stops half-way still leaves the lab sane.

`BOUNDS` says which RFC timer bounds each kind's takeover (see `vrrp.timers`):
a graceful stop sends priority 0, so the backup waits only its Skew_Time
(RFC 5798 §6.4.2); a router that (re)starts listens for Master_Down_Interval
before it may preempt a lower-priority master.
"""

from __future__ import annotations

import time
from typing import Callable

Undo = Callable[[], None]


def _noop() -> None:
    pass


def stop_speaker(ctx, fault) -> tuple[float, Undo]:
    """`systemctl stop keepalived`: SIGTERM, the daemon says goodbye (priority 0)."""
    speaker = ctx.speakers[fault.target]
    at = time.time()
    speaker.terminate()  # keepalived takes ~1 s to exit; its goodbye is sent at once

    def undo() -> None:
        speaker.wait_stopped()
        if not speaker.running:
            speaker.start()

    return at, undo


def start_speaker(ctx, fault) -> tuple[float, Undo]:
    """`systemctl start keepalived` on a router whose speaker was stopped."""
    speaker = ctx.speakers[fault.target]
    at = time.time()
    speaker.start()
    return at, _noop


KINDS: dict[str, Callable] = {"stop": stop_speaker, "start": start_speaker}
BOUNDS: dict[str, str] = {"stop": "skew_time", "start": "master_down_interval"}
