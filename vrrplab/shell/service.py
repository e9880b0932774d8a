"""The lesson's `systemctl status keepalived` and `journalctl -u keepalived`, in the lab.

There is no systemd in a lab node: the router's VRRP daemon is its `Speaker`, and its
journal is the speaker's log file. keepalived's lines are shown as keepalived wrote them
(`--log-console --log-detail`: the words the lesson looks for, "Entering MASTER STATE");
the bundled speaker's JSON lines are shown in the same layout, time first, then the
message (its messages are keepalived's words). `systemctl status` is laid out as systemd
lays it out: a header, Loaded, Active, Main PID, then the last lines of the journal.
"""

from __future__ import annotations

import time
from typing import Callable

from vrrplab.bundled.log import read_events
from vrrplab.i18n import N_, _

STATUS_LOG_LINES = 10  # what systemctl status shows of the journal
FOLLOW_POLL_S = 0.2  # journalctl -f: how often the log is read again
TIME_FORMAT = "%a %b %e %H:%M:%S %Y"  # keepalived's own (--log-console)

DAEMONS = {"keepalived": N_("Keepalived, the VRRP daemon"),
           "bundled": N_("vrrplab's bundled VRRP speaker (python -m vrrplab.bundled), in "
                         "keepalived's place"),
           "frr": N_("FRR's vrrpd (with zebra), in keepalived's place")}


def which_daemon(router: str, speaker) -> str | None:
    """A line saying which daemon answers for keepalived (None for keepalived)."""
    if speaker.kind == "keepalived":
        return None
    if speaker.kind == "frr":
        return _("{router} runs FRR's vrrpd, which answers here for keepalived").format(
            router=router)
    return _("{router} runs vrrplab's bundled VRRP speaker, which answers here for "
             "keepalived").format(router=router)


def status(router: str, speaker, started_at: float | None, frozen: bool,
           instances: list[str]) -> list[str]:
    """`systemctl status keepalived`, as systemd lays it out."""
    if speaker.running:
        since = (f" since {time.strftime('%a %Y-%m-%d %H:%M:%S %Z', time.localtime(started_at))}"
                 if started_at else "")
        active = f"active (running){since}"
    else:
        active = "inactive (dead)"
    lines = [f"● keepalived.service - {_(DAEMONS[speaker.kind])} ({router})",
             f"     Loaded: loaded ({speaker.conf_path})",
             f"     Active: {active}"]
    if speaker.running:
        lines.append(f"   Main PID: {speaker.proc.pid} ({speaker.command()[0].rsplit('/', 1)[-1]})")
        lines.append("       VRRP: " + ", ".join(f"{i} {speaker.state(i)}" for i in instances))
    if frozen:
        lines.append(_("     frozen by vrrplab (SIGSTOP): it runs no timer and sends nothing; "
                       "thaw {router}").format(router=router))
    lines.append("")
    lines += journal(speaker)[0][-STATUS_LOG_LINES:]
    return lines


def is_active(speaker) -> str:
    return "active" if speaker.running else "inactive"


def journal(speaker, start: int = 0) -> tuple[list[str], int]:
    """The log's lines from byte `start` up to its last complete line, and where that is."""
    text = speaker.read_log(start)
    end = text.rfind("\n") + 1
    text = text[:end]
    offset = start + len(text.encode())
    if speaker.kind == "bundled":
        return [_event_line(e) for e in read_events(text)], offset
    return text.splitlines(), offset


def _event_line(event: dict) -> str:
    """A bundled speaker's JSON line in keepalived's layout: its time, then its message."""
    when = time.strftime(TIME_FORMAT, time.localtime(float(event.get("t", 0))))
    message = event.get("msg")
    if not message:  # start, stop: their plain fields (not the lists and counters)
        fields = " ".join(f"{k}={v}" for k, v in event.items()
                          if k not in ("t", "event") and not isinstance(v, (list, dict)))
        message = f"{event['event']} {fields}".strip()
    return f"{when}: {message}"


def follow(speaker, offset: int, write: Callable[[str], None]) -> None:
    """journalctl -f: every new line from `offset` on, until Ctrl-C (KeyboardInterrupt)."""
    while True:
        time.sleep(FOLLOW_POLL_S)
        lines, offset = journal(speaker, offset)
        for line in lines:
            write(line)
