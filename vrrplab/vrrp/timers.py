"""VRRP timer arithmetic (RFC 3768 §6.1, RFC 5798 §6.1), pure functions.

Everything is in seconds. VRRPv3 carries the advertisement interval in
centiseconds, so its Skew_Time scales with the interval; VRRPv2's does not.

`INTERVAL_FIELDS` is the one home of the advertisement interval's protocol
limits, per version: the unit the advert counts in and the field's width. The
core's invariant check (`config.RouterConfig`), the topology loader (which
reports the same limits with the file and field) and the bundled speaker's
config all read them here.
"""

from __future__ import annotations

from dataclasses import dataclass

WHOLE_TOLERANCE = 1e-6  # in units: how far from a whole count a float may be (0.29 * 100 is 28.999...)


@dataclass(frozen=True)
class IntervalField:
    """How one VRRP version carries the advertisement interval: a whole number of
    units, 1 to `max_units` (0 would make every timer fire at once)."""

    version: int
    per_second: int  # units in a second
    max_units: int  # the field's width
    unit: str  # the unit's name, for messages

    @property
    def min_s(self) -> float:
        return 1 / self.per_second

    @property
    def max_s(self) -> float:
        return self.max_units / self.per_second

    def units(self, advert_int_s: float) -> int:
        """The interval as the advert carries it (rounded to the nearest unit)."""
        return round(advert_int_s * self.per_second)

    def seconds(self, units: int) -> float:
        """A received or configured field value in seconds."""
        return units / self.per_second

    def is_whole(self, advert_int_s: float) -> bool:
        """A whole number of units (up to float error)."""
        scaled = advert_int_s * self.per_second
        return abs(scaled - round(scaled)) <= WHOLE_TOLERANCE

    def fits(self, advert_int_s: float) -> bool:
        """The advert can carry this interval exactly."""
        return self.is_whole(advert_int_s) and 1 <= self.units(advert_int_s) <= self.max_units


INTERVAL_FIELDS = {
    2: IntervalField(2, per_second=1, max_units=0xFF, unit="seconds"),  # RFC 3768 §5.3.7: Adver Int, 8 bits
    3: IntervalField(3, per_second=100, max_units=0x0FFF, unit="centiseconds"),  # RFC 5798 §5.2.7: 12 bits
}


def skew_time(priority: int, advert_int_s: float, version: int = 3) -> float:
    """Skew_Time: how long a backup of this priority lets a better one win."""
    if version == 2:
        return (256 - priority) / 256  # RFC 3768 §6.1
    return ((256 - priority) * advert_int_s) / 256  # RFC 5798 §6.1


def master_down_interval(priority: int, advert_int_s: float, version: int = 3) -> float:
    """Master_Down_Interval: silence after which a backup declares the master dead."""
    return 3 * advert_int_s + skew_time(priority, advert_int_s, version)
