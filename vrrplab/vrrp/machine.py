"""The VRRP virtual router state machine (RFC 5798 §6, RFC 3768 §6), with no I/O.

A `VirtualRouter` is built from a `config.RouterConfig`, fed events
(`events.py`: `Startup`, `Shutdown`, a received advert, `PriorityChanged`,
`Fault`/`FaultCleared`) together with the current time, and returns the actions
a driver must perform (`actions.py`: `SendAdvert`, `AddVips`, `RemoveVips`,
`SendGratuitousArp`) plus `StateChanged` notes, in the order to perform them.
Time is whatever float clock the caller uses: `get_timer()` gives the next
absolute deadline and `handle_timer(now)` runs it.

Left to others: sockets, encoding the adverts it asks to send (`packet.encode`
with `config.primary_ip` as source), adding addresses, gratuitous ARP bursts
and repeats, accept mode (carried in the config for the driver), VMACs,
IPv6 Neighbour Advertisements, and keeping multiple instances in step
(`sync.SyncGroup`).

Every received advert passes the RFC 5798 §7.1 / RFC 3768 §7.1 checks first; a
failing one is counted in `drops` under a `DropReason` and otherwise ignored.

preempt_delay_s (keepalived 2.x semantics): while a preempt hold-off runs, a
BACKUP treats a lower-priority master as if preemption were off (its adverts
reset Master_Down_Timer). The hold-off starts on entering BACKUP from
INITIALIZE, or on the first lower-priority advert after an advert of equal or
higher priority cleared it (a hold-off is not restarted while one exists, even
an expired one). Once it has expired, lower-priority adverts are discarded and
the backup takes over when Master_Down_Timer runs out, i.e. one
Master_Down_Interval after the last advert it accepted.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from enum import Enum
from typing import Any, Callable

from .actions import Action, AddVips, RemoveVips, SendAdvert, SendGratuitousArp, StateChanged
from .config import OWNER_PRIORITY, STOP_PRIORITY, RouterConfig
from .events import (
    AdvertReceived,
    Event,
    Fault,
    FaultCleared,
    PacketReceived,
    PriorityChanged,
    Shutdown,
    Startup,
)
from .packet import (
    AUTH_NONE,
    AUTH_PASS,
    VRRP_TTL,
    Advert,
    DropReason,
    PacketError,
    address,
    decode_kept,
    pass_auth_data,
)
from .timers import master_down_interval, skew_time


class State(Enum):
    INITIALIZE = "initialize"
    BACKUP = "backup"
    MASTER = "master"
    FAULT = "fault"  # keepalived's, not the RFC's: running but unfit to serve


class InvalidInput(ValueError):
    """An input that cannot happen in the current state (a driver bug)."""

    def __init__(self, state: State, what: object) -> None:
        super().__init__(f"{what!r} is impossible in state {state.name}")
        self.state = state
        self.input = what


class VirtualRouter:
    """One VRRP virtual router; see the module docstring for the contract."""

    def __init__(self, config: RouterConfig) -> None:
        self.config = config
        self.drops: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()  # accepted adverts that look misconfigured
        self.sync_hold = False  # set by SyncGroup: MASTER only when the whole group agrees
        self._state = State.INITIALIZE
        self._priority = config.priority
        self._master_adver_interval = config.advertisement_interval
        self._down_at: float | None = None  # Master_Down_Timer, BACKUP only
        self._adver_at: float | None = None  # Adver_Timer, MASTER only
        self._preempt_hold_until: float | None = None
        # a lower-priority router believed it was MASTER: its gratuitous ARPs may come after
        # ours, so the next advert re-announces the VIPs once more (lower_prio_advert)
        self._reannounce = False
        self._faults: set[str] = set()
        self._wants_master = False
        self._master_ip: str | None = None
        self._primary = ipaddress.ip_address(config.primary_ip)
        self._vip_set = frozenset(ipaddress.ip_address(v) for v in config.vips)
        self._handlers: dict[type, Callable[[Any, float], list[Action]]] = {
            Startup: self._on_startup,
            Shutdown: self._on_shutdown,
            AdvertReceived: self._on_advert,
            PacketReceived: self._on_packet,
            PriorityChanged: self._on_priority,
            Fault: self._on_fault,
            FaultCleared: self._on_fault_cleared,
        }

    # Observed state ------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def priority(self) -> int:
        """The current priority (configured, then moved by `PriorityChanged`)."""
        return self._priority

    @property
    def master_adver_interval(self) -> float:
        """Master_Adver_Interval (RFC 5798 §6.1), learned from the master in v3."""
        return self._master_adver_interval

    @property
    def skew_time(self) -> float:
        return skew_time(self._priority, self._master_adver_interval, self.config.version)

    @property
    def master_down_interval(self) -> float:
        return master_down_interval(self._priority, self._master_adver_interval, self.config.version)

    @property
    def master_ip(self) -> str | None:
        """Primary address of the current master as far as this router knows."""
        return self._master_ip

    @property
    def fault_sources(self) -> frozenset[str]:
        return frozenset(self._faults)

    @property
    def wants_master(self) -> bool:
        """Master_Down_Timer fired but a sync group holds this router in BACKUP."""
        return self._wants_master

    # Inputs --------------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Action]:
        handler = self._handlers.get(type(event))
        if handler is None:
            raise InvalidInput(self._state, event)
        return handler(event, now)

    def get_timer(self) -> float | None:
        """Absolute time of the next timer, or None when none runs."""
        if self._state is State.BACKUP:
            return self._down_at
        if self._state is State.MASTER:
            return self._adver_at
        return None

    def handle_timer(self, now: float) -> list[Action]:
        """Run the pending timer if it is due; an early call does nothing."""
        deadline = self.get_timer()
        if deadline is None:
            raise InvalidInput(self._state, f"handle_timer(now={now}) with no timer pending")
        if now < deadline:
            return []
        if self._state is State.MASTER:  # RFC 5798 §6.4.3 (640)-(650)
            self._adver_at = now + self.config.advertisement_interval
            if self._reannounce:  # the second set, an advert interval after the first
                self._reannounce = False
                return [SendAdvert(self._advert()), SendGratuitousArp(self.config.vips)]
            return [SendAdvert(self._advert())]
        return self._master_down(now)

    def release_master(self, now: float) -> list[Action]:
        """SyncGroup: every member wants MASTER, so this one may go."""
        if self._state is not State.BACKUP or not self._wants_master:
            raise InvalidInput(self._state, "release_master without a pending Master_Down_Timer expiry")
        return self._become_master(now, "sync group: all members ready for MASTER")

    def follow_backup(self, now: float, reason: str) -> list[Action]:
        """SyncGroup: another member lost MASTER, so this one steps down too."""
        if self._state is not State.MASTER:
            raise InvalidInput(self._state, f"follow_backup({reason!r})")
        self._master_adver_interval = self.config.advertisement_interval
        self._master_ip = None
        return self._become_backup(now, reason)

    # Event handlers ------------------------------------------------------

    def _on_startup(self, event: object, now: float) -> list[Action]:
        if self._state is not State.INITIALIZE:
            raise InvalidInput(self._state, event)
        if self._in_fault:
            return self._enter_fault(now, "startup while faulty")
        return self._start_serving(now, "startup")

    def _on_shutdown(self, event: object, now: float) -> list[Action]:
        old = self._state
        if old is State.INITIALIZE:
            raise InvalidInput(old, event)
        actions: list[Action] = [StateChanged(old, State.INITIALIZE, "shutdown")]
        if old is State.MASTER:  # RFC 5798 §6.4.3 (605)-(620)
            actions += [SendAdvert(self._advert(STOP_PRIORITY)), RemoveVips(self.config.vips)]
        self._state = State.INITIALIZE  # RFC 5798 §6.4.2 (305)-(315): timers cancelled
        self._clear_timers()
        self._master_ip = None
        return actions

    def _on_packet(self, event: PacketReceived, now: float) -> list[Action]:
        try:
            advert = decode_kept(event.data, event.src_ip, event.dst_ip, event.ttl)
        except PacketError as exc:
            self.drops[exc.reason] += 1
            return []
        return self._receive(advert, event.src_ip, now)

    def _on_advert(self, event: AdvertReceived, now: float) -> list[Action]:
        if event.ttl != VRRP_TTL:  # RFC 5798 §7.1
            self.drops[DropReason.BAD_TTL] += 1
            return []
        return self._receive(event.advert, event.src_ip, now)

    def _on_priority(self, event: PriorityChanged, now: float) -> list[Action]:
        top = OWNER_PRIORITY if self.config.owner else OWNER_PRIORITY - 1
        if not isinstance(event.priority, int) or not 0 <= event.priority <= top:
            raise InvalidInput(self._state, event)
        # A running timer keeps its deadline; the new Skew_Time applies from the next reset.
        self._priority = event.priority
        return self._refresh_fault(now, f"priority {event.priority}")

    def _on_fault(self, event: Fault, now: float) -> list[Action]:
        self._faults.add(event.source)
        return self._refresh_fault(now, f"fault: {event.source}")

    def _on_fault_cleared(self, event: FaultCleared, now: float) -> list[Action]:
        self._faults.discard(event.source)
        return self._refresh_fault(now, f"fault cleared: {event.source}")

    # Receiving adverts ---------------------------------------------------

    def _receive(self, advert: Advert, src_ip: str, now: float) -> list[Action]:
        reason = self._rejection(advert, src_ip)
        if reason is not None:
            self.drops[reason] += 1
            return []
        if self._state is State.BACKUP:
            return self._backup_receive(advert, src_ip, now)
        if self._state is State.MASTER:
            return self._master_receive(advert, src_ip, now)
        return []  # INITIALIZE and FAULT do not take part

    def _rejection(self, advert: Advert, src_ip: str) -> DropReason | None:
        """RFC 5798 §7.1 / RFC 3768 §7.1 checks against the local configuration."""
        if advert.version != self.config.version:
            return DropReason.VERSION_MISMATCH
        try:
            src = address(src_ip)
        except ValueError:
            return DropReason.BAD_IP_ADDRESS
        if src.version != self.config.family or advert.family != self.config.family:
            return DropReason.FAMILY_MISMATCH
        if advert.vrid != self.config.vrid:
            return DropReason.WRONG_VRID
        if self._priority == OWNER_PRIORITY:  # §7.1: "the local router is not the address owner"
            return DropReason.LOCAL_IS_OWNER
        if src == self._primary:  # our own advert looped back
            return DropReason.OWN_ADVERT
        if self.config.version == 2:
            return self._v2_rejection(advert)
        if self._addresses_differ(advert):  # RFC 5798 §7.1: MAY verify, SHOULD log; not a drop
            self.warnings[DropReason.ADDRESS_MISMATCH] += 1
        return None

    def _v2_rejection(self, advert: Advert) -> DropReason | None:
        """RFC 3768 §7.1: auth type and data, interval, then the address list."""
        password = self.config.auth_pass
        if advert.auth_type != (AUTH_PASS if password else AUTH_NONE):
            return DropReason.AUTH_TYPE_MISMATCH
        if password and advert.auth_data != pass_auth_data(password):
            return DropReason.AUTH_FAILED
        if advert.adver_int != self.config.adver_int:  # MUST discard on mismatch
            return DropReason.INTERVAL_MISMATCH
        if self._addresses_differ(advert) and advert.priority != OWNER_PRIORITY:
            return DropReason.ADDRESS_MISMATCH  # MUST drop unless the owner sent it
        return None

    def _addresses_differ(self, advert: Advert) -> bool:
        return frozenset(address(a) for a in advert.addresses) != self._vip_set

    def _backup_receive(self, advert: Advert, src_ip: str, now: float) -> list[Action]:
        """RFC 5798 §6.4.2 (420)-(470)."""
        if advert.priority == STOP_PRIORITY:  # (425)-(430): the master is leaving
            self._down_at = now + self.skew_time
            self._wants_master = False
            return []
        if self._accepts_master(advert.priority, now):  # (445)
            if self.config.version == 3:  # (450): learn Master_Adver_Interval
                self._master_adver_interval = advert.advert_int_s
            self._down_at = now + self.master_down_interval  # (455)-(460)
            self._master_ip = src_ip
            self._wants_master = False
        return []  # else (470): discard, the Master_Down_Timer keeps running

    def _accepts_master(self, priority: int, now: float) -> bool:
        """(445): preemption off, or the advert is at least as good as us; else the preempt delay."""
        if priority >= self._priority:
            self._preempt_hold_until = None  # keepalived: "stop preempt delay"
            return True
        if not self.config.preempt:
            return True
        if self.config.preempt_delay_s <= 0:
            return False
        if self._preempt_hold_until is None:  # keepalived: "start preempt delay"
            self._preempt_hold_until = now + self.config.preempt_delay_s
        return now < self._preempt_hold_until

    def _master_receive(self, advert: Advert, src_ip: str, now: float) -> list[Action]:
        """RFC 5798 §6.4.3 (660)-(735)."""
        if advert.priority == STOP_PRIORITY:  # (665)-(675): answer at once so backups keep waiting
            self._adver_at = now + self.config.advertisement_interval
            return [SendAdvert(self._advert())]
        if self._loses_to(advert.priority, src_ip):  # (685)-(695)
            if self.config.version == 3:  # (705)
                self._master_adver_interval = advert.advert_int_s
            self._master_ip = src_ip
            return self._become_backup(now, f"advert from {src_ip} with priority {advert.priority}")
        if self.config.lower_prio_advert:  # keepalived: answer it, and re-announce the VIPs
            # a second set at the next advert: the other router, which took itself for
            # MASTER (a stall past its Master_Down_Interval), may send its own gratuitous
            # ARPs after ours and leave the clients pointing at it (keepalived's
            # garp_lower_prio_delay, one advert interval here)
            self._adver_at = now + self.config.advertisement_interval
            self._reannounce = True
            return [SendAdvert(self._advert()), SendGratuitousArp(self.config.vips)]
        return []  # (735): discard a lower-priority advert

    def _loses_to(self, priority: int, src_ip: str) -> bool:
        """Higher priority wins; on a tie the higher primary address wins (§6.4.3 (695))."""
        if priority != self._priority:
            return priority > self._priority
        return int(address(src_ip)) > int(self._primary)

    # Transitions ---------------------------------------------------------

    def _master_down(self, now: float) -> list[Action]:
        """RFC 5798 §6.4.2 (330)-(370): Master_Down_Timer fired."""
        if self.sync_hold:  # keepalived re-arms the timer and waits for the group
            self._wants_master = True
            self._down_at = now + self.master_down_interval
            return []
        return self._become_master(now, "Master_Down_Timer expired")

    def _start_serving(self, now: float, reason: str) -> list[Action]:
        """RFC 5798 §6.4.1 (100)-(165), also used when a fault clears."""
        if self._priority == OWNER_PRIORITY:
            return self._become_master(now, f"{reason}: address owner")
        self._master_adver_interval = self.config.advertisement_interval  # (155)
        self._master_ip = None
        return self._become_backup(now, reason)

    def _become_master(self, now: float, reason: str) -> list[Action]:
        old = self._state
        self._state = State.MASTER
        self._clear_timers()
        self._adver_at = now + self.config.advertisement_interval  # §6.4.1 (140), §6.4.2 (365)
        self._master_adver_interval = self.config.advertisement_interval
        self._master_ip = self.config.primary_ip
        vips = self.config.vips
        return [StateChanged(old, State.MASTER, reason), AddVips(vips), SendAdvert(self._advert()), SendGratuitousArp(vips)]

    def _become_backup(self, now: float, reason: str) -> list[Action]:
        """Enter BACKUP with Master_Down_Timer = Master_Down_Interval (callers set the interval first)."""
        old = self._state
        self._state = State.BACKUP
        self._clear_timers()
        self._down_at = now + self.master_down_interval  # §6.4.1 (160), §6.4.3 (720)
        if old is State.INITIALIZE and self.config.preempt_delay_s > 0:
            self._preempt_hold_until = now + self.config.preempt_delay_s
        actions: list[Action] = [StateChanged(old, State.BACKUP, reason)]
        if old is State.MASTER:
            actions.append(RemoveVips(self.config.vips))
        return actions

    @property
    def _in_fault(self) -> bool:
        return bool(self._faults) or self._priority == STOP_PRIORITY

    def _refresh_fault(self, now: float, reason: str) -> list[Action]:
        if self._state is State.INITIALIZE:
            return []  # applied at Startup
        if self._in_fault and self._state is not State.FAULT:
            return self._enter_fault(now, reason)
        if not self._in_fault and self._state is State.FAULT:
            return self._start_serving(now, reason)
        return []

    def _enter_fault(self, now: float, reason: str) -> list[Action]:
        """keepalived FAULT: a master says goodbye with priority 0, like a shutdown."""
        old = self._state
        actions: list[Action] = [StateChanged(old, State.FAULT, reason)]
        if old is State.MASTER:
            actions += [SendAdvert(self._advert(STOP_PRIORITY)), RemoveVips(self.config.vips)]
        self._state = State.FAULT
        self._clear_timers()
        self._master_ip = None
        return actions

    def _clear_timers(self) -> None:
        self._reannounce = False
        self._down_at = self._adver_at = self._preempt_hold_until = None
        self._wants_master = False

    def _advert(self, priority: int | None = None) -> Advert:
        config = self.config
        password = config.auth_pass
        return Advert(
            version=config.version,
            vrid=config.vrid,
            priority=self._priority if priority is None else priority,
            adver_int=config.adver_int,
            addresses=config.vips,
            auth_type=AUTH_PASS if password else AUTH_NONE,
            auth_data=pass_auth_data(password) if password else b"",
        )

    def __repr__(self) -> str:
        return f"<VirtualRouter vrid={self.config.vrid} {self._state.name} priority={self._priority}>"
