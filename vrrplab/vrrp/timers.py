"""VRRP timer arithmetic (RFC 3768 §6.1, RFC 5798 §6.1), pure functions.

Everything is in seconds. VRRPv3 carries the advertisement interval in
centiseconds, so its Skew_Time scales with the interval; VRRPv2's does not.
"""

from __future__ import annotations


def skew_time(priority: int, interval_s: float, version: int = 3) -> float:
    """Skew_Time: how long a backup of this priority lets a better one win."""
    if version == 2:
        return (256 - priority) / 256  # RFC 3768 §6.1
    return ((256 - priority) * interval_s) / 256  # RFC 5798 §6.1


def master_down_interval(priority: int, interval_s: float, version: int = 3) -> float:
    """Master_Down_Interval: silence after which a backup declares the master dead."""
    return 3 * interval_s + skew_time(priority, interval_s, version)
