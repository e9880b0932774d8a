"""The nearest of many deadlines that move one at a time: the daemon's timers without a scan.

The daemon wakes for every advert it hears, and each wake-up asked every machine for its
timer (`get_timer()`), twice, and once more to see which were due: with 255 VRIDs that was
three scans of 255 per advert heard, most of a backup's CPU (issue #15). `Deadlines` keeps
one deadline per key in a heap; `set` moves a key's deadline (pushing a new entry, the old
one left behind as stale), `nearest` skips the stale entries at the top, `pop_due` takes the
keys whose deadlines have come, in deadline order (ties in the order they were set), each
once. The owner must `set` a key every time its deadline may have changed: here, after
every call into a machine.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import heapq
from itertools import count
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
COMPACT_SLACK = 64  # stale entries tolerated beyond one per live key before the heap is rebuilt


class Deadlines(Generic[K]):
    """Deadlines by key; a key with None has none."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []  # (deadline, sequence, key); the sequence orders ties
        self._live: dict[K, tuple[float, int]] = {}  # key -> its heap entry's (deadline, sequence)
        self._sequence = count()

    def set(self, key: K, deadline: float | None) -> None:
        """`key`'s deadline is now `deadline` (None: it has none)."""
        current = self._live.get(key)
        if current is not None and current[0] == deadline:
            return
        if deadline is None:
            self._live.pop(key, None)  # its entry, if any, becomes stale
            return
        sequence = next(self._sequence)
        self._live[key] = (deadline, sequence)
        heapq.heappush(self._heap, (deadline, sequence, key))
        if len(self._heap) > 2 * len(self._live) + COMPACT_SLACK:
            self._heap = [(d, s, k) for k, (d, s) in self._live.items()]
            heapq.heapify(self._heap)

    def get(self, key: K) -> float | None:
        entry = self._live.get(key)
        return None if entry is None else entry[0]

    def nearest(self) -> float | None:
        """The earliest deadline of any key, None when no key has one."""
        heap, live = self._heap, self._live
        while heap:
            deadline, sequence, key = heap[0]
            if live.get(key) == (deadline, sequence):
                return deadline
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> list[K]:
        """The keys whose deadline is `now` or earlier, earliest first; they have none after
        this until `set` again."""
        due: list[K] = []
        while (deadline := self.nearest()) is not None and deadline <= now:
            _, _, key = heapq.heappop(self._heap)
            del self._live[key]
            due.append(key)
        return due

    def __len__(self) -> int:
        return len(self._live)
