"""VRRP codec: golden bytes cross-checked against scapy, checksums, typed decode errors."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.layers.vrrp import VRRP, VRRPv3

from vrrplab.vrrp.packet import (
    AUTH_NONE,
    AUTH_PASS,
    Advert,
    DropReason,
    PacketError,
    address,
    address_text,
    decode,
    decode_kept,
    encode,
    pass_auth_data,
)

SRC, GROUP = "192.168.1.2", "224.0.0.18"
SRC6, GROUP6 = "fe80::2", "ff02::12"


def scapy_v3(src: str = SRC, dst: str = GROUP, **fields: object) -> bytes:
    """VRRPv3 message bytes as scapy builds them (checksum over its own IPv4/IPv6 pseudo-header).

    The message is taken from the re-parsed IP packet's payload: scapy's own
    dissector picks VRRP (v2) for messages shorter than 16 bytes."""
    if ":" in src:
        return bytes(IPv6(bytes(IPv6(src=src, dst=dst, hlim=255) / VRRPv3(**fields))).payload)
    return bytes(IP(bytes(IP(src=src, dst=dst, ttl=255) / VRRPv3(**fields))).payload)


def scapy_v2(**fields: object) -> bytes:
    return bytes(IP(bytes(IP(src=SRC, dst=GROUP, ttl=255) / VRRP(**fields))).payload)


def auth_ints(password: str) -> dict[str, int]:
    data = pass_auth_data(password)
    return {"auth1": int.from_bytes(data[:4], "big"), "auth2": int.from_bytes(data[4:], "big")}


V3_CASES = [
    (10, 100, 100, ("192.168.1.1",)),
    (1, 255, 1, ("10.0.0.1", "10.0.0.2", "10.0.0.3")),
    (255, 1, 4095, ("172.16.0.254",)),
    (42, 0, 10, ("192.0.2.1", "198.51.100.7")),
]


@pytest.mark.parametrize(("vrid", "priority", "adv", "addresses"), V3_CASES)
def test_v3_ipv4_encode_matches_scapy(vrid: int, priority: int, adv: int, addresses: tuple[str, ...]) -> None:
    advert = Advert(3, vrid, priority, adv, addresses)
    expected = scapy_v3(vrid=vrid, priority=priority, adv=adv, addrlist=list(addresses))
    assert encode(advert, SRC) == expected
    assert encode(advert, SRC, GROUP) == expected


@pytest.mark.parametrize(("vrid", "priority", "adv", "addresses"), V3_CASES)
def test_v3_ipv4_decodes_scapy_bytes(vrid: int, priority: int, adv: int, addresses: tuple[str, ...]) -> None:
    data = scapy_v3(vrid=vrid, priority=priority, adv=adv, addrlist=list(addresses))
    advert = decode(data, SRC, GROUP, ttl=255)
    assert advert == Advert(3, vrid, priority, adv, addresses)
    assert advert.checksum == int.from_bytes(data[6:8], "big")
    assert advert.advert_int_s == pytest.approx(adv / 100)


def test_v3_golden_literal() -> None:
    # VRID 10, priority 100, 1 s, VIP 192.168.1.1 from 192.168.1.2 to 224.0.0.18
    golden = bytes.fromhex("310a6401006406adc0a80101")
    assert encode(Advert(3, 10, 100, 100, ("192.168.1.1",)), SRC) == golden
    assert decode(golden, SRC, GROUP) == Advert(3, 10, 100, 100, ("192.168.1.1",))


def test_v3_ipv6_matches_scapy() -> None:
    advert = Advert(3, 7, 150, 50, ("fe80::1", "2001:db8::1"))
    expected = scapy_v3(SRC6, GROUP6, vrid=7, priority=150, adv=50, addrlist=["fe80::1", "2001:db8::1"])
    assert encode(advert, SRC6) == expected
    assert decode(expected, SRC6, GROUP6) == advert


def test_v3_reserved_bits_ignored_on_receive() -> None:
    data = scapy_v3(vrid=10, priority=100, adv=100, res=0xF, addrlist=["192.168.1.1"])
    assert decode(data, SRC, GROUP).adver_int == 100


@pytest.mark.parametrize(
    ("password", "auth_type"),
    [(None, AUTH_NONE), ("secret", AUTH_PASS), ("exactly8", AUTH_PASS), ("longer-than-eight", AUTH_PASS)],
)
def test_v2_matches_scapy(password: str | None, auth_type: int) -> None:
    auth = pass_auth_data(password) if password else b""
    advert = Advert(2, 51, 150, 1, ("192.168.1.1", "192.168.1.254"), auth_type, auth)
    extra = auth_ints(password) if password else {}
    expected = scapy_v2(vrid=51, priority=150, adv=1, authtype=auth_type, addrlist=["192.168.1.1", "192.168.1.254"], **extra)
    assert encode(advert, SRC) == expected
    assert decode(expected, SRC, GROUP) == advert


def test_pass_auth_is_truncated_and_padded_like_keepalived() -> None:
    assert pass_auth_data("longer-than-eight") == b"longer-t"
    assert pass_auth_data("abc") == b"abc\0\0\0\0\0"
    assert Advert(2, 1, 100, 1, ("10.0.0.1",)).auth_data == bytes(8)


def test_v3_checksum_includes_the_ipv4_pseudo_header() -> None:
    advert = Advert(3, 10, 100, 100, ("192.168.1.1",))
    from_a, from_b = encode(advert, "192.168.1.2"), encode(advert, "192.168.1.3")
    assert from_a[6:8] != from_b[6:8]
    with pytest.raises(PacketError) as caught:
        decode(from_a, "192.168.1.3", GROUP)  # a forged source breaks the checksum
    assert caught.value.reason is DropReason.BAD_CHECKSUM


def test_v3_checksum_without_pseudo_header_is_rejected() -> None:
    # What a non-conforming peer would send: the checksum over the VRRP message only.
    zeroed = bytes.fromhex("310a640100640000c0a80101")
    wrong = zeroed[:6] + _plain_checksum(zeroed).to_bytes(2, "big") + zeroed[8:]
    with pytest.raises(PacketError) as caught:
        decode(wrong, SRC, GROUP)
    assert caught.value.reason is DropReason.BAD_CHECKSUM


def test_v2_checksum_ignores_the_ip_addresses() -> None:
    advert = Advert(2, 10, 100, 1, ("192.168.1.1",))
    assert encode(advert, "192.168.1.2") == encode(advert, "10.9.8.7", "192.168.1.3")
    assert decode(encode(advert, SRC), "10.9.8.7", GROUP) == advert


def _plain_checksum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


VALID = scapy_v3(vrid=10, priority=100, adv=100, addrlist=["192.168.1.1"])


@pytest.mark.parametrize(
    ("data", "kwargs", "reason"),
    [
        (b"", {}, DropReason.TRUNCATED),
        (VALID[:7], {}, DropReason.TRUNCATED),
        (VALID[:-1], {}, DropReason.TRUNCATED),
        (VALID + b"\0", {}, DropReason.LENGTH_MISMATCH),
        (VALID, {"ttl": 254}, DropReason.BAD_TTL),
        (VALID[:6] + bytes([VALID[6] ^ 0xFF]) + VALID[7:], {}, DropReason.BAD_CHECKSUM),
        (VALID[:3] + b"\x02" + VALID[4:], {}, DropReason.TRUNCATED),  # count says 2, one present
        (bytes([0x11]) + VALID[1:], {}, DropReason.BAD_VERSION),
        (bytes([0x41]) + VALID[1:], {}, DropReason.BAD_VERSION),
        (scapy_v3(type=2, addrlist=["192.168.1.1"]), {}, DropReason.BAD_TYPE),
        (scapy_v3(vrid=0, addrlist=["192.168.1.1"]), {}, DropReason.BAD_VRID),
        (scapy_v3(adv=0, addrlist=["192.168.1.1"]), {}, DropReason.BAD_INTERVAL),
        (scapy_v3(addrlist=[]), {}, DropReason.BAD_ADDRESS_COUNT),
        (scapy_v2(adv=0, addrlist=["192.168.1.1"]), {}, DropReason.BAD_INTERVAL),
        (VALID, {"src_ip": "not-an-ip"}, DropReason.BAD_IP_ADDRESS),
        (VALID, {"dst_ip": GROUP6}, DropReason.BAD_IP_ADDRESS),
        (scapy_v2(addrlist=["192.168.1.1"]), {"src_ip": SRC6, "dst_ip": GROUP6}, DropReason.BAD_IP_ADDRESS),
        ("not bytes", {}, DropReason.NOT_BYTES),
        (5, {}, DropReason.NOT_BYTES),
    ],
)
def test_malformed_input_raises_typed_error(data: bytes, kwargs: dict[str, object], reason: DropReason) -> None:
    args = {"src_ip": SRC, "dst_ip": GROUP, **kwargs}
    with pytest.raises(PacketError) as caught:
        decode(data, **args)  # type: ignore[arg-type]
    assert caught.value.reason is reason
    assert reason.value in str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"version": 1},
        {"vrid": 0},
        {"vrid": 256},
        {"priority": 256},
        {"adver_int": 0},
        {"adver_int": 4096},
        {"addresses": ()},
        {"addresses": ("192.168.1.1", "fe80::1")},
        {"auth_type": 1},
    ],
)
def test_advert_rejects_impossible_fields(fields: dict[str, object]) -> None:
    base: dict[str, object] = {"version": 3, "vrid": 1, "priority": 100, "adver_int": 100, "addresses": ("10.0.0.1",)}
    with pytest.raises(ValueError):
        Advert(**{**base, **fields})  # type: ignore[arg-type]


def test_encode_refuses_v2_over_ipv6_and_family_mixes() -> None:
    with pytest.raises(ValueError):
        encode(Advert(2, 1, 100, 1, ("10.0.0.1",)), SRC6)
    with pytest.raises(ValueError):
        encode(Advert(3, 1, 100, 100, ("10.0.0.1",)), SRC, GROUP6)


# -- addresses parsed once (issue #15: a third of a backup's CPU per advert) ------------------


@pytest.mark.parametrize("value", ["192.168.1.2", "0.0.0.0", "255.255.255.255", "fe80::2", "2001:db8::1",
                                   "::ffff:192.0.2.1", b"\xc0\xa8\x01\x02", 3232235778])
def test_address_is_ipaddress_s_own_answer_kept(value):
    import ipaddress
    assert address(value) == ipaddress.ip_address(value)
    assert address(value) is address(value)  # parsed once


def test_address_refuses_a_bad_value_every_time_and_keeps_types_apart():
    """Known-bad: what ipaddress refuses stays refused on every call (no answer is kept for
    it), and a value equal to a kept one but of another type gets its own answer: 1.0 is no
    address even once 1 (0.0.0.1) has been parsed."""
    for _ in range(2):
        with pytest.raises(ValueError):
            address("192.168.1.300")
    assert str(address(1)) == "0.0.0.1"
    with pytest.raises(ValueError):
        address(1.0)
    with pytest.raises(ValueError):  # unhashable: ipaddress's own refusal, not a TypeError
        address(["192.168.1.2"])


@pytest.mark.parametrize("packed", [bytes([192, 168, 1, 2]), bytes(4), b"\xff" * 4, bytes.fromhex("fe80" + "0" * 26 + "02"),
                                    bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 1])])
def test_address_text_reads_like_ipaddress(packed):
    import ipaddress
    assert address_text(packed) == str(ipaddress.ip_address(packed))


def test_decoded_addresses_read_as_before():
    message = encode(Advert(3, 7, 100, 100, ("fe80::1", "2001:db8:0:0:0:0:0:1")), SRC6)
    assert decode(message, SRC6, GROUP6, 255).addresses == ("fe80::1", "2001:db8::1")


def test_decode_kept_answers_as_decode_and_refuses_every_time():
    """A master's advert is the same bytes every interval: decoded once, the same Advert after.
    Known-bad: the same bytes with a TTL of 254, or cut short, are refused each time, even
    after the good ones were kept; a bytearray or a bad source goes to `decode` itself."""
    message = encode(Advert(3, 7, 100, 100, ("192.168.1.1",)), SRC)
    first = decode_kept(message, SRC, GROUP, 255)
    assert first == decode(message, SRC, GROUP, 255) and decode_kept(message, SRC, GROUP, 255) is first
    for _ in range(2):
        with pytest.raises(PacketError) as ttl:
            decode_kept(message, SRC, GROUP, 254)
        assert ttl.value.reason is DropReason.BAD_TTL
        with pytest.raises(PacketError) as short:
            decode_kept(message[:-1], SRC, GROUP, 255)
        assert short.value.reason is DropReason.TRUNCATED
    assert decode_kept(bytearray(message), SRC, GROUP, 255) == first
    with pytest.raises(PacketError) as bad:
        decode_kept(message, ["192.168.1.2"], GROUP, 255)  # unhashable: not kept, refused as before
    assert bad.value.reason is DropReason.BAD_IP_ADDRESS
    with pytest.raises(PacketError) as forged:  # another source: its own answer (v3's pseudo-header)
        decode_kept(message, "192.168.1.3", GROUP, 255)
    assert forged.value.reason is DropReason.BAD_CHECKSUM
