"""Sync groups: virtual routers that change state together (keepalived `vrrp_sync_group`).

Typical use: the LAN-side and WAN-side instances of one router must be MASTER
on the same box, or traffic goes in one router and out of the other. A
`SyncGroup` owns its member `VirtualRouter`s; the driver feeds events and
timers to the group instead of to the members, and gets back
`(member name, action)` pairs. No I/O, same clock contract as the members.

Rules (keepalived's, simplified):
1. FAULT spreads. While any member has a fault of its own (a `Fault` source or
   priority 0), every member also carries the fault source "sync-group" and so
   sits in FAULT. When the last own fault clears, all leave FAULT together.
2. BACKUP spreads. A member that falls from MASTER to BACKUP (it heard a better
   master) pulls every other MASTER member down to BACKUP.
3. MASTER needs consensus. A member whose Master_Down_Timer fires is held in
   BACKUP (`wants_master`, timer re-armed) until every member is MASTER or wants
   MASTER; then all waiting members become MASTER at once. An address owner
   becomes MASTER at startup regardless, as in keepalived.

Not modelled: keepalived's group-level notify scripts, `global_tracking`,
and its per-group track weights.
"""

from __future__ import annotations

from collections.abc import Mapping

from .actions import Action, StateChanged
from .events import Event, Fault, FaultCleared
from .machine import InvalidInput, State, VirtualRouter

GROUP_FAULT = "sync-group"

Tagged = list[tuple[str, Action]]


class SyncGroup:
    """Members that are MASTER, BACKUP or FAULT together; see the module docstring."""

    def __init__(self, members: Mapping[str, VirtualRouter]) -> None:
        if len(members) < 2:
            raise ValueError(f"a sync group needs at least two members, got {list(members)}")
        self.members = dict(members)
        for router in self.members.values():
            router.sync_hold = True

    @property
    def states(self) -> dict[str, State]:
        return {name: router.state for name, router in self.members.items()}

    def handle(self, name: str, event: Event, now: float) -> Tagged:
        """Feed `event` to member `name`, then bring the others in line."""
        router = self.members.get(name)
        if router is None:
            raise ValueError(f"no member {name!r} in sync group {sorted(self.members)}")
        before = _rule_inputs(router)
        actions = _tag(name, router.handle(event, now))
        if not actions and _rule_inputs(router) == before:
            # the group was settled and nothing the rules read has moved (a backup hearing
            # its master, every advert): settling again would find nothing, after asking
            # every member (255 of them, per advert: most of a backup's CPU, issue #15)
            return []
        return actions + self._settle(now, actions)

    def get_timer(self) -> float | None:
        timers = [t for t in (r.get_timer() for r in self.members.values()) if t is not None]
        return min(timers, default=None)

    def handle_timer(self, now: float) -> Tagged:
        """Run every member timer that is due."""
        if self.get_timer() is None:
            raise InvalidInput(State.INITIALIZE, f"sync group handle_timer(now={now}) with no timer pending")
        actions: Tagged = []
        for name, router in self.members.items():
            deadline = router.get_timer()
            if deadline is not None and deadline <= now:
                actions += _tag(name, router.handle_timer(now))
        return actions + self._settle(now, actions)

    def _settle(self, now: float, recent: Tagged) -> Tagged:
        """Apply the rules until nothing changes; each round moves at least one member."""
        settled: Tagged = []
        for _ in range(4 * len(self.members) + 4):
            step = self._spread_fault(now) or self._spread_backup(now, recent) or self._release_master(now)
            if not step:
                return settled
            settled += step
            recent = step
        raise RuntimeError(f"sync group did not settle: {self.states}")  # a bug in the rules

    def _own_fault(self, router: VirtualRouter) -> bool:
        return bool(router.fault_sources - {GROUP_FAULT}) or router.priority == 0

    def _spread_fault(self, now: float) -> Tagged:
        """Rule 1."""
        group_fault = any(self._own_fault(r) for r in self.members.values())
        step: Tagged = []
        for name, router in self.members.items():
            carries = GROUP_FAULT in router.fault_sources
            if group_fault and not carries:
                step += _tag(name, router.handle(Fault(GROUP_FAULT), now))
            elif carries and not group_fault:
                step += _tag(name, router.handle(FaultCleared(GROUP_FAULT), now))
        return step

    def _spread_backup(self, now: float, recent: Tagged) -> Tagged:
        """Rule 2."""
        fallen = [
            name
            for name, action in recent
            if isinstance(action, StateChanged) and action.old is State.MASTER and action.new is State.BACKUP
        ]
        if not fallen:
            return []
        step: Tagged = []
        for name, router in self.members.items():
            if router.state is State.MASTER:
                step += _tag(name, router.follow_backup(now, f"sync group: {fallen[0]} became BACKUP"))
        return step

    def _release_master(self, now: float) -> Tagged:
        """Rule 3."""
        routers = self.members.values()
        if not any(r.wants_master for r in routers):
            return []
        if not all(r.state is State.MASTER or r.wants_master for r in routers):
            return []
        step: Tagged = []
        for name, router in self.members.items():
            if router.wants_master:
                step += _tag(name, router.release_master(now))
        return step


def _rule_inputs(router: VirtualRouter) -> tuple:
    """What the rules read of a member: its state, its faults and priority (rule 1), whether
    it wants MASTER (rule 3); rule 2 reads the actions."""
    return router.state, router.fault_sources, router.priority, router.wants_master


def _tag(name: str, actions: list[Action]) -> Tagged:
    return [(name, action) for action in actions]
