"""Fault primitives. Each applies one fault, records its instant, returns its undo.

A fault function takes the running context (the runner: `speakers`, `lab`,
`topology`) and the `Fault`, and returns `(at, undo)`: `at` the unix time taken
immediately before the system call that breaks things, `undo` an idempotent
callable the runner calls in its `finally`, so a run that stops half-way still
leaves the lab sane.

`BOUNDS` says which RFC timer bounds each kind's takeover (see `vrrp.timers`):
- a graceful stop sends priority 0, so the backup waits only its Skew_Time
  (RFC 5798 §6.4.2);
- a silent failure (crash, kill, freeze, link down, VRRP blocked) is noticed
  when Master_Down_Interval has passed since the master's last advert;
- a router that returns (start, link up, thaw, unblock) listens for its own
  Master_Down_Interval before it may preempt a lower priority (§6.4.2).
"""

from __future__ import annotations

import signal
import time
from typing import Callable

Undo = Callable[[], None]
NFT_TABLE = "vrrplab_fault"  # our own table in the router's namespace: undo deletes just it


def _noop() -> None:
    pass


def _lan_interface(ctx, fault) -> str:
    return fault.interface or ctx.topology.lan_instance().interface


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
    speaker.wait_stopped()
    at = time.time()
    speaker.start()
    return at, _noop


def crash_router(ctx, fault) -> tuple[float, Undo]:
    """A real router crash: the daemon dies and the router's links go dark."""
    speaker = ctx.speakers[fault.target]
    links = [i.name for i in ctx.topology.node(fault.target).interfaces]
    at = time.time()
    speaker.crash()  # SIGKILL first: no goodbye, and no chance to tidy the VIP away
    for link in links:
        ctx.lab.set_link(fault.target, link, up=False)

    def undo() -> None:
        for link in links:
            ctx.lab.set_link(fault.target, link, up=True)

    return at, undo


def kill_speaker(ctx, fault) -> tuple[float, Undo]:
    """`kill -9` of the daemon only: the router stays up, the VIP stays on it."""
    speaker = ctx.speakers[fault.target]
    at = time.time()
    speaker.crash()
    return at, _noop


def freeze_speaker(ctx, fault) -> tuple[float, Undo]:
    """SIGSTOP: the daemon is alive but silent, as under a long stall."""
    speaker = ctx.speakers[fault.target]
    at = time.time()
    speaker.signal(signal.SIGSTOP, group=True)
    return at, lambda: speaker.signal(signal.SIGCONT, group=True)


def thaw_speaker(ctx, fault) -> tuple[float, Undo]:
    speaker = ctx.speakers[fault.target]
    at = time.time()
    speaker.signal(signal.SIGCONT, group=True)
    return at, _noop


def link_down(ctx, fault) -> tuple[float, Undo]:
    link = _lan_interface(ctx, fault)
    at = time.time()
    ctx.lab.set_link(fault.target, link, up=False)
    return at, lambda: ctx.lab.set_link(fault.target, link, up=True)


def link_up(ctx, fault) -> tuple[float, Undo]:
    link = _lan_interface(ctx, fault)
    at = time.time()
    ctx.lab.set_link(fault.target, link, up=True)
    return at, _noop


def flap_link(ctx, fault) -> tuple[float, Undo]:
    """`count` cycles of `period` s, down for `duty` of each; returns when done."""
    link = _lan_interface(ctx, fault)
    at = time.time()
    for cycle in range(fault.count):
        start = at + cycle * fault.period
        ctx.lab.set_link(fault.target, link, up=False)
        _sleep_until(start + fault.period * fault.duty)
        ctx.lab.set_link(fault.target, link, up=True)
        _sleep_until(start + fault.period)
    return at, lambda: ctx.lab.set_link(fault.target, link, up=True)


def block_vrrp(ctx, fault) -> tuple[float, Undo]:
    """The lesson's firewall rule in reverse: drop VRRP (protocol 112) coming in."""
    rules = (f"add table inet {NFT_TABLE}\n"
             f"add chain inet {NFT_TABLE} input {{ type filter hook input priority -10; }}\n"
             f"add rule inet {NFT_TABLE} input ip protocol vrrp drop\n")
    at = time.time()
    ctx.lab.nft(fault.target, rules)
    return at, lambda: _unblock(ctx, fault.target)


def unblock_vrrp(ctx, fault) -> tuple[float, Undo]:
    at = time.time()
    _unblock(ctx, fault.target)
    return at, _noop


def cut_upstream(ctx, fault) -> tuple[float, Undo]:
    """The router loses its path to the upstream host (its ISP fails), links stay up.

    VRRP still flows on both segments; only the health check and the traffic
    the router forwards upstream notice.
    """
    address = ctx.topology.upstream_hosts[0].interfaces[0].address.ip
    rules = (f"add table inet {NFT_TABLE}\n"
             f"add chain inet {NFT_TABLE} block_out {{ type filter hook output priority -10; }}\n"
             f"add chain inet {NFT_TABLE} block_fwd {{ type filter hook forward priority -10; }}\n"
             f"add rule inet {NFT_TABLE} block_out ip daddr {address} drop\n"
             f"add rule inet {NFT_TABLE} block_fwd ip daddr {address} drop\n")
    at = time.time()
    ctx.lab.nft(fault.target, rules)
    return at, lambda: _unblock(ctx, fault.target)


def _unblock(ctx, router: str) -> None:
    # nft 1.0.6 has no "destroy": add-then-delete is idempotent
    ctx.lab.nft(router, f"add table inet {NFT_TABLE}\ndelete table inet {NFT_TABLE}\n")


def _sleep_until(deadline: float) -> None:
    # a deliberate, scheduled hold (the flap's duty cycle), not a wait for a condition
    remaining = deadline - time.time()
    if remaining > 0:
        time.sleep(remaining)


KINDS: dict[str, Callable] = {
    "stop": stop_speaker, "start": start_speaker, "crash": crash_router, "kill": kill_speaker,
    "freeze": freeze_speaker, "thaw": thaw_speaker, "link_down": link_down, "link_up": link_up,
    "flap": flap_link, "block_vrrp": block_vrrp, "unblock_vrrp": unblock_vrrp,
    "cut_upstream": cut_upstream, "restore_upstream": unblock_vrrp,
}
SKEW, MDI = "skew_time", "master_down_interval"
BOUNDS: dict[str, str] = {
    "stop": SKEW, "start": MDI, "crash": MDI, "kill": MDI, "freeze": MDI, "thaw": MDI,
    "link_down": MDI, "link_up": MDI, "flap": MDI, "block_vrrp": MDI, "unblock_vrrp": MDI,
    "cut_upstream": MDI, "restore_upstream": MDI,
}
# kinds where the old master goes silent: their outage is counted from its last advert
SILENT = {"crash", "kill", "freeze", "link_down", "flap", "block_vrrp"}

HEALTHCHECK_TIMEOUT_S = 1.0  # the lesson's check pings with -W 1


def bound_s(kind: str, fault, vrrp) -> float:
    """The RFC bound on the takeover after `fault`, from the configured timers.

    The router that must act is the expected master: its Skew_Time after a
    priority-0 advert, its Master_Down_Interval after silence or on return; a
    health check first needs `interval x fall` (plus the check's own timeout) to
    notice, then the backup still waits its Master_Down_Interval, since it
    discards the master's lower-priority adverts (RFC 5798 §6.4.2).
    """
    router = fault.expect_master
    if kind == SKEW:
        return vrrp.skew_time(router)
    bound = vrrp.master_down_interval(router)
    if kind == "healthcheck":
        scripts = vrrp.router(fault.target).track_scripts
        bound += max(s.interval * s.fall for s in scripts) + HEALTHCHECK_TIMEOUT_S
    if fault.kind in RETURNS:
        bound += vrrp.preempt_delay
    return bound


# kinds where a router comes back and may preempt (after preempt_delay, if set)
RETURNS = {"start", "link_up", "unblock_vrrp", "restore_upstream"}
