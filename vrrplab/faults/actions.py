"""Fault primitives. Each applies one fault, records its instant, returns its undo.

A fault function takes a `FaultContext` (the lab, the topology, the speakers, the run
directory) and the `Fault`, and returns `(at, undo)`: `at` the unix time taken
immediately before the system call that breaks things, `undo` an idempotent
callable the runner calls in its `finally`, so a run that stops half-way still
leaves the lab sane.

Which kinds exist, and what each means for the takeover, is `faults.catalogue`.

The attack kinds run `python -m vrrplab.faults.attack` inside the attacker host (it
refuses to run anywhere else); `guard_vrrp` is the mitigation, in the router.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vrrplab.errors import LabError
from vrrplab.faults.files import PRIORITY_FLAGS, attack_log, priority_flag, read_attack_log
from vrrplab.i18n import N_, Message
from vrrplab.lab.process import stop_process, wait_for_exit
from vrrplab.vrrp.packet import MAX_VRID, MIN_VRID, virtual_mac

Undo = Callable[[], None]


@dataclass
class FaultContext:
    """What a fault action may touch: the lab, the topology, the routers' speakers, the
    run directory; and the attacks the actions started, so that stop_attack finds them."""

    lab: object
    topology: object
    speakers: dict
    out: Path
    attacks: dict[str, subprocess.Popen] = field(default_factory=dict)  # attacker host -> its attack

NFT_TABLE = "vrrplab_fault"  # our own table in the router's namespace: undo deletes just it
GUARD_TABLE = "vrrplab_guard"  # the mitigation's table, apart from the faults' one
ATTACK_START_S = 12.0  # the attacker sniffs up to 10 s for a real advert, then forges
ATTACK_STOP_S = 5.0  # SIGTERM to exit; then SIGKILL
MALFORMED_COUNT = 5  # malformed: adverts of each hostile kind
MALFORMED_BATCH_S = ATTACK_START_S + 10.0  # sniffing, then a few dozen packets sent


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
    speaker.kill()  # first: no goodbye, no chance to tidy the VIP
    for link in links:  # dark at once, as a power cut: the daemon's exit may take seconds
        ctx.lab.set_link(fault.target, link, up=False)  # (255 VRIDs: its sockets' closing)
    speaker.crash()  # reaps it

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
             f"add rule inet {NFT_TABLE} input meta l4proto vrrp drop\n")  # IPv4 and IPv6
    at = time.time()
    ctx.lab.nft(fault.target, rules)
    return at, lambda: _unblock(ctx, fault.target)


def unblock_vrrp(ctx, fault) -> tuple[float, Undo]:
    at = time.time()
    _unblock(ctx, fault.target)
    return at, _noop


def cut_upstream(ctx, fault) -> tuple[float, Undo]:
    """The router loses its path to the upstream host (its ISP fails), links stay up:
    to its address and to every address it stands in for (8.8.8.8: `Node.answers_for`).

    VRRP still flows on both segments; only the health check and the traffic
    the router forwards upstream notice.
    """
    host = ctx.topology.upstream_hosts[0]
    rules = (f"add table inet {NFT_TABLE}\n"
             f"add chain inet {NFT_TABLE} block_out {{ type filter hook output priority -10; }}\n"
             f"add chain inet {NFT_TABLE} block_fwd {{ type filter hook forward priority -10; }}\n")
    for address in (host.interfaces[0].address.ip, *host.answers_for):
        ip = "ip" if address.version == 4 else "ip6"
        rules += (f"add rule inet {NFT_TABLE} block_out {ip} daddr {address} drop\n"
                  f"add rule inet {NFT_TABLE} block_fwd {ip} daddr {address} drop\n")
    at = time.time()
    ctx.lab.nft(fault.target, rules)
    return at, lambda: _unblock(ctx, fault.target)


def _unblock(ctx, router: str, table: str = NFT_TABLE) -> None:
    # nft 1.0.6 has no "destroy": add-then-delete is idempotent
    ctx.lab.nft(router, f"add table inet {table}\ndelete table inet {table}\n")


# --- the security lessons: an attacker on the LAN, and the guard against it ----

def rogue_router(ctx, fault) -> tuple[float, Undo]:
    """Forged adverts with priority 255 from the attacker: every router steps down.

    The attacker copies a real advert, so a VRRPv2 PASS password travels with it.
    """
    interval = ctx.topology.vrrp.advert_int
    return _start_attack(ctx, fault, ["rogue", "--interval", f"{interval:g}"])


def zero_storm(ctx, fault) -> tuple[float, Undo]:
    """Forged priority-0 adverts in the master's name: each tells the backups to
    take over after only their Skew_Time (RFC 5798 §6.4.2), so the routers hold
    elections over and over. Slower than one per Skew_Time, or each forged advert
    would only reset the backups' timer before it fires."""
    spoof = _current_master_address(ctx)
    return _start_attack(ctx, fault, ["zero-storm", "--spoof", spoof, "--rate", f"{fault.rate:g}"])


def malformed(ctx, fault) -> tuple[float, Undo]:
    """A bounded batch of hostile adverts from the attacker (`attack malformed`):
    priority 255 each, but with a TTL of 64, a wrong checksum, an unknown
    version, cut short, for another VRID, or with a wrong password. Each fails a
    receive check of RFC 5798 §7.1 (RFC 3768 §7.1), so nothing must move.
    Returns once the attacker has sent them all and exited."""
    node = ctx.topology.node(fault.target)
    iface = node.interface_on(ctx.topology.lan_segment()).name
    argv = [sys.executable, "-m", "vrrplab.faults.attack", "malformed", "--count", str(MALFORMED_COUNT),
            "--iface", iface, "--vrid", str(ctx.topology.lan_instance().vrid),
            "--unused-vrid", str(_unused_vrid(ctx.topology))]
    log_path = attack_log(ctx.out, node.name)
    with open(log_path, "a") as log:
        at = time.time()
        proc = ctx.lab.popen(node.name, argv, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    try:
        wait_for_exit(proc, MALFORMED_BATCH_S)
    except subprocess.TimeoutExpired:
        pass
    finally:  # a batch that hangs, or a run interrupted meanwhile: it ends here
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not any(e.get("event") == "stopped" and e.get("t", 0) >= at
               for e in read_attack_log(log_path)):
        tail = log_path.read_text()[-500:].strip()
        raise LabError(N_("the attacker did not finish its malformed adverts: {output}"),
                       output=tail or Message(N_("no output")))
    return at, _noop


def _unused_vrid(topology) -> int:
    """The first VRID no instance runs on the LAN (a load-sharing LAN runs two)."""
    used = {i.vrid for i in topology.gateway_instances()}
    return next(v for v in range(MIN_VRID, MAX_VRID + 1) if v not in used)


def stop_attack(ctx, fault) -> tuple[float, Undo]:
    at = time.time()
    _stop_attack_process(ctx, fault.target)
    return at, _noop


def set_priority(ctx, fault) -> tuple[float, Undo]:
    """Change a router's priority while it runs, the same way for every speaker.

    The loader gave the router one track script per priority the scenario asks
    for (`priority_scripts`): each checks a flag file under the run's private
    /run/vrrplab and moves the priority by its weight while the flag is there.
    The speaker notices at the script's next run (every PRIORITY_CHECK_S).
    Back to the configured priority is no flag at all.
    """
    _clear_priority(fault.target)
    if fault.priority != ctx.topology.vrrp.router(fault.target).priority:
        priority_flag(fault.target, fault.priority).touch()
    at = time.time()
    return at, lambda: _clear_priority(fault.target)


def _clear_priority(router: str) -> None:
    PRIORITY_FLAGS.mkdir(parents=True, exist_ok=True)
    for flag in PRIORITY_FLAGS.glob(f"{router}-*"):
        flag.unlink(missing_ok=True)


def guard_vrrp(ctx, fault) -> tuple[float, Undo]:
    """Accept VRRP only from the routers' own addresses AND their own MACs.

    An attacker can put any source address in a forged advert (zero_storm speaks
    in the master's name); it still sends from its own MAC, which a switch port
    would pin down too. With use_vmac the routers advertise from the virtual MAC.
    """
    lines = [f"add table inet {GUARD_TABLE}",
             f"add chain inet {GUARD_TABLE} input {{ type filter hook input priority -20; }}"]
    for address, mac in _known_speakers(ctx):
        lines.append(f"add rule inet {GUARD_TABLE} input ip protocol vrrp "
                     f"ip saddr {address} ether saddr {mac} accept")
    lines.append(f"add rule inet {GUARD_TABLE} input ip protocol vrrp drop")
    at = time.time()
    ctx.lab.nft(fault.target, "\n".join(lines) + "\n")
    return at, lambda: _unblock(ctx, fault.target, GUARD_TABLE)


def _known_speakers(ctx) -> list[tuple[str, str]]:
    """(address, MAC) of every router interface that carries a VRRP instance."""
    topo = ctx.topology
    pairs = []
    for inst in topo.vrrp.instances:
        for router in topo.routers:
            address = str(router.interface(inst.interface).address.ip)
            pairs.append((address, ctx.lab.mac(router.name, inst.interface)))
            if topo.vrrp.use_vmac:
                pairs.append((address, virtual_mac(inst.vrid)))
    return sorted(set(pairs))


def _current_master_address(ctx) -> str:
    """The LAN address of the router now MASTER (else the highest priority's)."""
    topo = ctx.topology
    masters = [r for r, s in ctx.speakers.items() if s.state() == "MASTER"]
    name = masters[0] if masters else max(topo.vrrp.routers, key=lambda r: r.priority).name
    return str(topo.node(name).interface(topo.lan_instance().interface).address.ip)


def _start_attack(ctx, fault, args: list[str]) -> tuple[float, Undo]:
    """Start `python -m vrrplab.faults.attack` in the attacker; return once it forges."""
    node = ctx.topology.node(fault.target)
    iface = node.interface_on(ctx.topology.lan_segment()).name
    argv = [sys.executable, "-m", "vrrplab.faults.attack", *args, "--iface", iface,
            "--vrid", str(ctx.topology.lan_instance().vrid)]
    log_path = attack_log(ctx.out, node.name)
    with open(log_path, "a") as log:
        at = time.time()
        proc = ctx.lab.popen(node.name, argv, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    ctx.attacks[node.name] = proc
    try:
        _wait_forging(proc, log_path, at)
    except LabError:
        _stop_attack_process(ctx, node.name)
        raise
    return at, lambda: _stop_attack_process(ctx, node.name)


def _wait_forging(proc: subprocess.Popen, log_path: Path, since: float) -> None:
    # the attacker first sniffs one real advert (up to an advert interval), then says so
    deadline = time.monotonic() + ATTACK_START_S
    while not any(e.get("event") == "forging" and e.get("t", 0) >= since
                  for e in read_attack_log(log_path)):
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text()[-500:].strip()
            raise LabError(N_("the attacker did not start forging adverts: {output}"),
                           output=tail or Message(N_("no output")))
        time.sleep(0.01)


def _stop_attack_process(ctx, node: str) -> None:
    """SIGTERM (attack.py removes a VIP it claimed and reports), SIGKILL if it hangs."""
    stop_process(ctx.attacks.pop(node, None), ATTACK_STOP_S)


def _sleep_until(deadline: float) -> None:
    # a deliberate, scheduled hold (the flap's duty cycle), not a wait for a condition
    remaining = deadline - time.time()
    if remaining > 0:
        time.sleep(remaining)


ACTIONS: dict[str, Callable] = {  # one per kind of faults.catalogue
    "stop": stop_speaker, "start": start_speaker, "crash": crash_router, "kill": kill_speaker,
    "freeze": freeze_speaker, "thaw": thaw_speaker, "link_down": link_down, "link_up": link_up,
    "flap": flap_link, "block_vrrp": block_vrrp, "unblock_vrrp": unblock_vrrp,
    "cut_upstream": cut_upstream, "restore_upstream": unblock_vrrp,
    "rogue_router": rogue_router, "zero_storm": zero_storm, "stop_attack": stop_attack,
    "guard_vrrp": guard_vrrp, "malformed": malformed, "set_priority": set_priority,
}
