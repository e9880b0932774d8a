"""What `VirtualRouter` asks its driver to do, in order: the `Action` union.

The outputs, kept apart from the inputs (`events.py`) as aioquic keeps its
events apart from the calls that cause them: a driver reads this module to
know what it must perform. `StateChanged` names the machine's `State`, which
stays with the machine in `machine.py`; the reference is for type checkers
only (no import at run time), so machine.py can import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from .packet import Advert

if TYPE_CHECKING:
    from .machine import State


@dataclass(frozen=True)
class SendAdvert:
    advert: Advert


@dataclass(frozen=True)
class AddVips:
    vips: tuple[str, ...]


@dataclass(frozen=True)
class RemoveVips:
    vips: tuple[str, ...]


@dataclass(frozen=True)
class SendGratuitousArp:
    """Announce the VIPs (gratuitous ARP; unsolicited NA for IPv6)."""

    vips: tuple[str, ...]


@dataclass(frozen=True)
class StateChanged:
    old: State
    new: State
    reason: str


Action = Union[SendAdvert, AddVips, RemoveVips, SendGratuitousArp, StateChanged]
