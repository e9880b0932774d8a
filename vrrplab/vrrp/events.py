"""The inputs a driver feeds `VirtualRouter.handle(event, now)`: the `Event` union.

Actions, what the machine hands back, are in `actions.py`: the two are two
directions of one contract, and a driver that only feeds events (health
tracking, say) needs no more than this module. Events carry no machine state,
so this module depends on the codec's `Advert` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .packet import Advert


@dataclass(frozen=True)
class Startup:
    pass


@dataclass(frozen=True)
class Shutdown:
    pass


@dataclass(frozen=True)
class AdvertReceived:
    """An advert already decoded (and so checksum-verified) by the driver."""

    advert: Advert
    src_ip: str
    ttl: int


@dataclass(frozen=True)
class PacketReceived:
    """A raw VRRP message (the IP payload) and the IP header fields it needs."""

    data: bytes
    src_ip: str
    dst_ip: str
    ttl: int


@dataclass(frozen=True)
class PriorityChanged:
    """Health tracking moved the priority; 0 means FAULT until it rises again."""

    priority: int


@dataclass(frozen=True)
class Fault:
    """A named fault source (interface down, failed check) became active."""

    source: str = "local"


@dataclass(frozen=True)
class FaultCleared:
    source: str = "local"


Event = Union[Startup, Shutdown, AdvertReceived, PacketReceived, PriorityChanged, Fault, FaultCleared]
