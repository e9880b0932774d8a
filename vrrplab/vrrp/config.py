"""A virtual router's configuration (`RouterConfig`) and the invariants it must keep.

`RouterConfig` refuses, with `ConfigError`, anything that cannot describe a
virtual router: the core's own invariant check, whoever built the config. The
places that read user input (the topology loader, the bundled speaker's JSON
config) report the same problems first, with the file and field.

OWNER_PRIORITY and STOP_PRIORITY are the two priorities RFC 5798 §5.2.4 gives a
meaning: a config may be the owner (255) and never has 0, which only the
machine itself sends, when it leaves.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .packet import MAX_VRID, MIN_VRID, address
from .timers import INTERVAL_FIELDS

OWNER_PRIORITY = 255  # RFC 5798 §5.2.4: the address owner
STOP_PRIORITY = 0  # RFC 5798 §5.2.4: the master is leaving
MIN_PRIORITY, MAX_BACKUP_PRIORITY = STOP_PRIORITY + 1, OWNER_PRIORITY - 1  # §5.2.4: 1..254


class ConfigError(ValueError):
    """A `RouterConfig` that cannot describe a virtual router."""


@dataclass(frozen=True)
class RouterConfig:
    """One virtual router on one interface; `priority` 255 makes it the address owner."""

    vrid: int
    priority: int
    version: int
    advert_int_s: float
    vips: tuple[str, ...]
    primary_ip: str
    preempt: bool = True
    preempt_delay_s: float = 0.0
    accept_mode: bool = False  # RFC 5798 §6.1; enforced by the driver
    auth_pass: str | None = None  # v2 `auth_type PASS`
    # keepalived's default (`lower_prio_no_advert` off), not RFC 5798 §6.4.3 (735), which
    # discards: a master answers a lower-priority advert with its own advert and a
    # gratuitous ARP, so the backup that took over wrongly, and the hosts it announced
    # itself to, hear the real master at once
    lower_prio_advert: bool = False

    def __post_init__(self) -> None:
        try:
            vips = tuple(str(ipaddress.ip_address(v)) for v in self.vips)
            primary = str(ipaddress.ip_address(self.primary_ip))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        object.__setattr__(self, "vips", vips)
        object.__setattr__(self, "primary_ip", primary)
        _check_config(self)

    @property
    def owner(self) -> bool:
        return self.priority == OWNER_PRIORITY

    @property
    def adver_int(self) -> int:
        """The interval as the advert carries it: centiseconds (v3) or seconds (v2)."""
        return INTERVAL_FIELDS[self.version].units(self.advert_int_s)

    @property
    def advertisement_interval(self) -> float:
        """Advertisement_Interval in seconds, exactly as the wire field says it."""
        return INTERVAL_FIELDS[self.version].seconds(self.adver_int)

    @property
    def family(self) -> int:
        return address(self.primary_ip).version


def _check_config(config: RouterConfig) -> None:
    if config.version not in (2, 3):
        raise ConfigError(f"version must be 2 or 3, not {config.version!r}")
    if not MIN_VRID <= config.vrid <= MAX_VRID:
        raise ConfigError(f"vrid must be {MIN_VRID}..{MAX_VRID}, not {config.vrid!r}")
    if not MIN_PRIORITY <= config.priority <= OWNER_PRIORITY:  # 0 is reserved for "stop"
        raise ConfigError(f"priority must be {MIN_PRIORITY}..{OWNER_PRIORITY}, not {config.priority!r}")
    _check_interval(config)
    if not config.vips:
        raise ConfigError("at least one virtual IP is needed")  # RFC 5798 §5.2.5
    families = {ipaddress.ip_address(v).version for v in config.vips} | {config.family}
    if len(families) > 1:
        raise ConfigError(f"virtual IPs and primary_ip must share one family: {config.vips}, {config.primary_ip}")
    if config.version == 2 and config.family != 4:
        raise ConfigError("VRRPv2 is IPv4 only")
    if config.auth_pass is not None and (config.version != 2 or not config.auth_pass):
        raise ConfigError("auth_pass is a non-empty VRRPv2 password (RFC 5798 §9 dropped authentication)")
    if config.preempt_delay_s < 0:
        raise ConfigError(f"preempt_delay_s must be >= 0, not {config.preempt_delay_s!r}")


def _check_interval(config: RouterConfig) -> None:
    field = INTERVAL_FIELDS[config.version]
    if not field.fits(config.advert_int_s):
        raise ConfigError(f"v{config.version} interval must be a multiple of {field.min_s:g} s from "
                          f"{field.min_s:g} to {field.max_s:g} s, not {config.advert_int_s!r}")
