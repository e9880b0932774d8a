"""VRRP advertisement codec: bytes <-> `Advert`, standard library only.

Handles VRRPv2 (RFC 3768 §5, IPv4 only, with the 8-byte authentication data
that keepalived still fills for `auth_type PASS`) and VRRPv3 (RFC 5798 §5,
IPv4 and IPv6). `encode` returns the VRRP message only, i.e. the IP payload;
`decode` takes the same thing. Building the IP header (TTL 255, protocol 112,
destination 224.0.0.18 / ff02::12) and reading it back is the driver's job;
the header fields the codec needs (addresses for the v3 checksum, TTL) are
passed in as arguments.

`decode` raises `PacketError` and nothing else for malformed input. Receive
rules that need configuration (VRID match, authentication, interval, address
list) belong to the state machine in `machine.py`; the vocabulary of reasons
for both lives here in `DropReason` so that drop counters share one set of keys.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from enum import StrEnum

from .timers import INTERVAL_FIELDS

VRRP_PROTO = 112  # IANA protocol number, RFC 5798 §5.1.1.3
VRRP_TTL = 255  # RFC 5798 §5.1.1.3, §7.1
VRRP_GROUP_V4 = "224.0.0.18"  # RFC 5798 §5.1.1.2
VRRP_GROUP_V6 = "ff02::12"  # RFC 5798 §5.1.2.2
ADVERTISEMENT = 1  # the only packet type, RFC 5798 §5.2.2
AUTH_NONE = 0  # RFC 3768 §5.3.6
AUTH_PASS = 1  # RFC 2338 simple text password; "reserved" in RFC 3768, used by keepalived
AUTH_DATA_LEN = 8  # RFC 3768 §5.3.10
MIN_VRID, MAX_VRID = 1, 255  # RFC 5798 §5.2.3
VMAC_PREFIX = "00:00:5e:00:01:"  # RFC 5798 §7.3: the IPv4 virtual MAC is this + the VRID
VMAC6_PREFIX = "00:00:5e:00:02:"  # and the IPv6 one


def virtual_mac(vrid: int, family: int = 4) -> str:
    """The virtual router's MAC address, 00:00:5e:00:01:{VRID} for IPv4 and
    00:00:5e:00:02:{VRID} for IPv6 (RFC 5798 §7.3)."""
    return f"{VMAC_PREFIX if family == 4 else VMAC6_PREFIX}{vrid:02x}"

_HEADER = struct.Struct("!BBBBHH")  # version/type, vrid, priority, count, (auth/adv | rsvd/max adv), checksum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ADDRESSES_KEPT = 1024  # a lab's routers, groups and VIPs: 255 VRIDs need about 260


def address(value: str | bytes | int) -> IPAddress:
    """`ipaddress.ip_address(value)`, each value parsed once: every advert's checks parse the
    same few addresses (its source, the group, the VIPs) several times each, which was a
    third of a backup's CPU per advert (issue #15). The objects are immutable; a bad value
    raises ValueError every time (exceptions are not kept), an unhashable one too."""
    try:
        return _address_kept(value)
    except TypeError:  # unhashable (a list...): refused by ipaddress itself, as before
        return ipaddress.ip_address(value)


@lru_cache(maxsize=ADDRESSES_KEPT, typed=True)  # typed: 1, 1.0 and True apart
def _address_kept(value: str | bytes | int) -> IPAddress:
    return ipaddress.ip_address(value)


@lru_cache(maxsize=ADDRESSES_KEPT)
def address_text(packed: bytes) -> str:
    """The text of a packed IPv4 (4 bytes) or IPv6 (16) address, as `str(ip_address(...))`."""
    return str(ipaddress.ip_address(packed))


class DropReason(StrEnum):
    """Why a received advert was discarded; keys of `VirtualRouter.drops`."""

    # Raised by `decode` (RFC 5798 §7.1 / RFC 3768 §7.1 checks that need no configuration).
    NOT_BYTES = "not_bytes"
    BAD_TTL = "bad_ttl"
    BAD_IP_ADDRESS = "bad_ip_address"  # unparsable or mixed-family src/dst, or v2 over IPv6
    TRUNCATED = "truncated"
    LENGTH_MISMATCH = "length_mismatch"  # longer than Count IPvX Addrs says
    BAD_VERSION = "bad_version"
    BAD_TYPE = "bad_type"
    BAD_CHECKSUM = "bad_checksum"
    BAD_VRID = "bad_vrid"  # VRID 0
    BAD_INTERVAL = "bad_interval"  # advertisement interval 0
    BAD_ADDRESS_COUNT = "bad_address_count"  # v3 with no address
    # Counted by the state machine (checks against the local configuration).
    VERSION_MISMATCH = "version_mismatch"
    FAMILY_MISMATCH = "family_mismatch"
    WRONG_VRID = "wrong_vrid"
    LOCAL_IS_OWNER = "local_is_owner"
    OWN_ADVERT = "own_advert"
    AUTH_TYPE_MISMATCH = "auth_type_mismatch"
    AUTH_FAILED = "auth_failed"
    INTERVAL_MISMATCH = "interval_mismatch"
    ADDRESS_MISMATCH = "address_mismatch"


class PacketError(Exception):
    """A received VRRP message is malformed; `reason` is a `DropReason`."""

    def __init__(self, reason: DropReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Advert:
    """One VRRP ADVERTISEMENT, as carried on the wire.

    `adver_int` is the raw interval field: centiseconds (12 bits, "Max Adver
    Int") in v3, whole seconds (8 bits, "Adver Int") in v2; `advert_int_s`
    converts. `auth_type`/`auth_data` exist only in v2; v2 auth data is always
    normalised to 8 bytes. `checksum` is what `decode` read; `encode` ignores it.
    """

    version: int
    vrid: int
    priority: int
    adver_int: int
    addresses: tuple[str, ...]
    auth_type: int = AUTH_NONE
    auth_data: bytes = b""
    checksum: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", tuple(self.addresses))
        _check_fields(self)
        if self.version == 2:
            object.__setattr__(self, "auth_data", self.auth_data.ljust(AUTH_DATA_LEN, b"\0"))

    @property
    def advert_int_s(self) -> float:
        return INTERVAL_FIELDS[self.version].seconds(self.adver_int)

    @property
    def family(self) -> int:
        """4 or 6, from the addresses (an advert with none is IPv4: v2 only)."""
        return address(self.addresses[0]).version if self.addresses else 4


def _check_fields(advert: Advert) -> None:
    """Field ranges of RFC 5798 §5.2 / RFC 3768 §5.3; ValueError for a bad advert."""
    if advert.version not in (2, 3):
        raise ValueError(f"VRRP version must be 2 or 3, not {advert.version!r}")
    if not MIN_VRID <= advert.vrid <= MAX_VRID:  # §5.2.3
        raise ValueError(f"VRID must be {MIN_VRID}..{MAX_VRID}, not {advert.vrid!r}")
    if not 0 <= advert.priority <= 255:  # §5.2.4
        raise ValueError(f"priority must be 0..255, not {advert.priority!r}")
    max_int = INTERVAL_FIELDS[advert.version].max_units  # §5.2.7 / RFC 3768 §5.3.7
    if not 1 <= advert.adver_int <= max_int:
        raise ValueError(f"v{advert.version} advertisement interval must be 1..{max_int}, not {advert.adver_int!r}")
    if len(advert.addresses) > 255:
        raise ValueError("at most 255 addresses fit in Count IPvX Addrs")
    if advert.version == 3 and not advert.addresses:  # §5.2.5: minimum 1
        raise ValueError("a VRRPv3 advert carries at least one address")
    families = {address(a).version for a in advert.addresses}
    if len(families) > 1 or (advert.version == 2 and families - {4}):
        raise ValueError(f"v{advert.version} addresses must share one family (IPv4 for v2): {advert.addresses}")
    if advert.version == 3 and (advert.auth_type or advert.auth_data):
        raise ValueError("VRRPv3 has no authentication fields")  # RFC 5798 §9
    if not 0 <= advert.auth_type <= 255 or len(advert.auth_data) > AUTH_DATA_LEN:
        raise ValueError("v2 auth_type is one byte and auth_data at most 8 bytes")


def pass_auth_data(password: str) -> bytes:
    """v2 `auth_type PASS` data: the password's bytes, cut to 8 and zero-padded.

    keepalived truncates a longer `auth_pass` to 8 bytes with only a warning.
    """
    return password.encode("utf-8")[:AUTH_DATA_LEN].ljust(AUTH_DATA_LEN, b"\0")


def vrrp_group(src_ip: str) -> str:
    """The VRRP multicast group for the family of `src_ip`."""
    return VRRP_GROUP_V6 if address(src_ip).version == 6 else VRRP_GROUP_V4


def encode(advert: Advert, src_ip: str, dst_ip: str | None = None) -> bytes:
    """The VRRP message for `advert` sent from `src_ip` to `dst_ip` (default: the VRRP group)."""
    src = address(src_ip)
    dst = address(dst_ip if dst_ip is not None else vrrp_group(src_ip))
    if src.version != dst.version or (advert.addresses and advert.family != src.version):
        raise ValueError(f"address families differ: src {src}, dst {dst}, advert {advert.addresses}")
    if advert.version == 2 and src.version != 4:
        raise ValueError("VRRPv2 is IPv4 only")  # RFC 3768 §1
    message = _pack(advert, checksum=0)
    return _with_checksum(message, internet_checksum(_checksummed_bytes(advert.version, message, src, dst)))


def _pack(advert: Advert, checksum: int) -> bytes:
    if advert.version == 3:
        word = advert.adver_int & 0x0FFF  # 4 reserved bits, zero on transmit (§5.2.6)
    else:
        word = (advert.auth_type << 8) | advert.adver_int
    header = _HEADER.pack(
        (advert.version << 4) | ADVERTISEMENT,
        advert.vrid,
        advert.priority,
        len(advert.addresses),
        word,
        checksum,
    )
    body = b"".join(address(a).packed for a in advert.addresses)
    trailer = advert.auth_data if advert.version == 2 else b""
    return header + body + trailer


def _with_checksum(message: bytes, checksum: int) -> bytes:
    return message[:6] + checksum.to_bytes(2, "big") + message[8:]


def decode(data: bytes, src_ip: str, dst_ip: str | None = None, ttl: int | None = None) -> Advert:
    """Parse and verify one VRRP message; raise `PacketError` if it is malformed.

    Checks, in RFC 5798 §7.1 / RFC 3768 §7.1 order: TTL (when given), version,
    completeness, checksum; then the field ranges of §5.2. `data` must be the
    IP payload cut to the IP total length (no Ethernet padding).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PacketError(DropReason.NOT_BYTES, type(data).__name__)
    data = bytes(data)
    if ttl is not None and ttl != VRRP_TTL:  # §7.1: MUST verify TTL / Hop Limit is 255
        raise PacketError(DropReason.BAD_TTL, f"ttl {ttl}")
    src, dst = _ip_pair(src_ip, dst_ip)
    if len(data) < _HEADER.size:
        raise PacketError(DropReason.TRUNCATED, f"{len(data)} bytes, header needs {_HEADER.size}")
    version_type, vrid, priority, count, word, checksum = _HEADER.unpack_from(data)
    version, ptype = version_type >> 4, version_type & 0x0F
    if version not in (2, 3):  # §7.1: MUST verify the version
        raise PacketError(DropReason.BAD_VERSION, f"version {version}")
    if version == 2 and src.version != 4:
        raise PacketError(DropReason.BAD_IP_ADDRESS, "VRRPv2 over IPv6")
    _check_length(data, version, count, src.version)  # §7.1: complete packet
    if internet_checksum(_checksummed_bytes(version, data, src, dst)) != 0:  # §7.1 / §5.2.8
        raise PacketError(DropReason.BAD_CHECKSUM, f"checksum 0x{checksum:04x}")
    if ptype != ADVERTISEMENT:  # §5.2.2: unknown type MUST be discarded
        raise PacketError(DropReason.BAD_TYPE, f"type {ptype}")
    return _advert_from(data, version, vrid, priority, count, word, checksum, src.version)


ADVERTS_KEPT = 1024  # a master's adverts, one per VRID: 255 at most from each router of a lab


def decode_kept(data: bytes, src_ip: str, dst_ip: str | None = None, ttl: int | None = None) -> Advert:
    """`decode`, its answer kept for the inputs seen before: a master sends the same bytes every
    interval (an advert carries no sequence number), so a backup decodes and checks each only
    once (issue #15). The same Advert or the same PacketError as `decode` (errors are not
    kept: a malformed advert is decoded again); inputs of other types go to `decode` as they are."""
    if type(data) is bytes and type(src_ip) is str and (dst_ip is None or type(dst_ip) is str) \
            and (ttl is None or type(ttl) is int):
        return _decode_kept(data, src_ip, dst_ip, ttl)
    return decode(data, src_ip, dst_ip, ttl)


@lru_cache(maxsize=ADVERTS_KEPT)
def _decode_kept(data: bytes, src_ip: str, dst_ip: str | None, ttl: int | None) -> Advert:
    return decode(data, src_ip, dst_ip, ttl)


def _ip_pair(src_ip: str, dst_ip: str | None) -> tuple[IPAddress, IPAddress]:
    try:
        src = address(src_ip)
        dst = address(dst_ip if dst_ip is not None else vrrp_group(src_ip))
    except ValueError as exc:
        raise PacketError(DropReason.BAD_IP_ADDRESS, str(exc)) from None
    if src.version != dst.version:
        raise PacketError(DropReason.BAD_IP_ADDRESS, f"src {src} and dst {dst} differ in family")
    return src, dst


def _check_length(data: bytes, version: int, count: int, family: int) -> None:
    address_len = 4 if family == 4 else 16
    expected = _HEADER.size + count * address_len + (AUTH_DATA_LEN if version == 2 else 0)
    if len(data) < expected:
        raise PacketError(DropReason.TRUNCATED, f"{len(data)} bytes, {count} addresses need {expected}")
    if len(data) > expected:
        raise PacketError(DropReason.LENGTH_MISMATCH, f"{len(data)} bytes, {count} addresses need {expected}")


def _advert_from(
    data: bytes, version: int, vrid: int, priority: int, count: int, word: int, checksum: int, family: int
) -> Advert:
    if vrid == 0:  # §5.2.3: VRID is 1..255
        raise PacketError(DropReason.BAD_VRID, "VRID 0")
    if version == 3:
        auth_type, adver_int, auth_data = AUTH_NONE, word & 0x0FFF, b""  # reserved bits ignored (§5.2.6)
        if count == 0:  # §5.2.5: minimum 1
            raise PacketError(DropReason.BAD_ADDRESS_COUNT, "no address")
    else:
        auth_type, adver_int, auth_data = word >> 8, word & 0xFF, data[-AUTH_DATA_LEN:]
    if adver_int == 0:  # a zero interval would make every timer fire at once
        raise PacketError(DropReason.BAD_INTERVAL, "interval 0")
    address_len = 4 if family == 4 else 16
    addresses = tuple(
        address_text(data[i : i + address_len])
        for i in range(_HEADER.size, _HEADER.size + count * address_len, address_len)
    )
    try:
        return Advert(version, vrid, priority, adver_int, addresses, auth_type, auth_data, checksum)
    except ValueError as exc:  # unreachable after the checks above; kept so decode never leaks it
        raise PacketError(DropReason.LENGTH_MISMATCH, str(exc)) from None


def _checksummed_bytes(version: int, message: bytes, src: IPAddress, dst: IPAddress) -> bytes:
    """What the checksum covers: v2 the message alone (RFC 3768 §5.3.8), v3 a
    pseudo-header plus the message (RFC 5798 §5.2.8). For IPv4 the pseudo-header
    is the classic src, dst, zero, protocol, length: keepalived and FRR both
    require it."""
    if version == 2:
        return message
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, VRRP_PROTO, len(message))
    else:  # RFC 2460 §8.1
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(message), VRRP_PROTO)
    return pseudo + message


def internet_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum; 0 when `data` already holds a correct one."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
