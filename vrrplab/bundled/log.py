"""The bundled speaker's log: JSON lines on stdout, one per event, flushed at once.

Every line is one JSON object that starts with `"t"` (unix time, `time.time()`,
six decimals: the clock tcpdump and the prober use, so lines compare with the
capture) and `"event"`. The events:

    start    router, pid, version, instances [{name, vrid, interface, priority, state,
             use_vmac}], sync_group, warnings
    listening  at (unix time the Startup's timers count from: the lab times a restart from it)
    state    instance, old, new, reason, msg   (msg in keepalived's words:
             "(VI_LAN) Entering MASTER STATE", so readers of either log match); when a
             timer caused it (Master_Down_Timer), also heard (when the instance's last
             advert arrived, the kernel's receive stamp), due (when the timer ran out; in a
             sync group, the last of its members' timers that ran out then)
             and ran (when the daemon ran it; its advert left before this line)
    vips     instance, op ("add" | "remove"), device, vips, msg
    garp     instance, device, vips, count, burst, msg
    advert   instance, priority 0, msg: only goodbyes, sent ("(VI_LAN) sent 0 priority") or
             heard by a backup (src, heard: when it arrived, "(VI_LAN) Backup received
             priority 0 advertisement")
    links    msg (start-up and exit chores: a stale VIP removed, a VMAC created or deleted)
    priority instance, priority, base, msg
    script   name, status ("ok" | "failing"), result, msg ("VRRP_Script(chk) succeeded")
    link     interface, up, msg ("Netlink reports eth0 down")
    drop     instance (or null), interface, reason, src, count, drops, msg ("(VI_LAN) received an
             invalid passwd!"); at most one a second per instance and reason
    warning  msg: the config's (keepalived's words), or an accepted advert that looks
             misconfigured (as drop: RFC 5798 §7.1 "SHOULD log")
    error    msg (and instance, interface, problems or trace when they help)
    stop     reason, counters {instance: {adverts_sent, adverts_received, ..., drops, warnings}}

Adverts sent and received are counted, not logged one by one.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable, TextIO

from vrrplab.vrrp.machine import State

STATE_NAMES = {State.INITIALIZE: "INIT", State.BACKUP: "BACKUP", State.MASTER: "MASTER", State.FAULT: "FAULT"}


def state_name(state: State) -> str:
    """keepalived's names for the states (INIT, BACKUP, MASTER, FAULT)."""
    return STATE_NAMES[state]


def state_message(instance: str, old: State, new: State) -> str:
    """What keepalived 2.2.7 logs for the transition, so text checks read the same words."""
    if new is State.INITIALIZE:
        return f"({instance}) Stopping: leaving {state_name(old)} STATE"
    suffix = " (init)" if old is State.INITIALIZE else ""
    return f"({instance}) Entering {state_name(new)} STATE{suffix}"


def format_line(t: float, event: str, fields: dict[str, Any]) -> str:
    """One log line: `{"t": 1764102273.123456, "event": ..., **fields}`, no newline."""
    body = json.dumps({"event": event, **fields}, default=str)
    return f'{{"t": {t:.6f}, {body[1:]}'


class JsonLog:
    """Writes one flushed line per event; a broken stdout never stops the daemon."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.clock = clock

    def emit(self, event: str, **fields: Any) -> None:
        try:
            self.stream.write(format_line(self.clock(), event, fields) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: keep running VRRP
            pass


def read_events(text: str) -> list[dict[str, Any]]:
    """The JSON lines of a log, skipping anything that is not one (a stray traceback)."""
    events = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "event" in record:
            events.append(record)
    return events
