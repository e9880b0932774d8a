"""The prober's packets and its log format, without sending anything."""

from __future__ import annotations

import socket
import struct

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    IPv6,
)

from vrrplab.run.probe import (
    ICMPV6_ECHO_REPLY,
    echo_request,
    echo_request6,
    icmp6_filter_passing,
    next_round,
    parse_echo_reply,
    parse_echo_reply6,
    parse_target,
    read_probe_log,
    reply_key,
)


def test_echo_request_is_a_valid_icmp_echo():
    raw = echo_request(0x1234, 70000)
    pkt = ICMP(raw)
    assert pkt.type == 8 and pkt.id == 0x1234 and pkt.seq == 70000 & 0xFFFF
    rebuilt = ICMP(bytes(pkt.copy()))  # scapy recomputes nothing: compare with a fresh checksum
    del rebuilt.chksum
    assert ICMP(bytes(rebuilt)).chksum == pkt.chksum


def test_reply_parsing_matches_our_ident_only():
    request = echo_request(0x1234, 42)
    reply = bytes(IP(src="192.168.1.1", dst="192.168.1.100") / ICMP(type=0, id=0x1234, seq=42)
                  / request[8:])
    assert parse_echo_reply(reply, 0x1234) == 42
    assert parse_echo_reply(reply, 0x4321) is None
    assert parse_echo_reply(reply[:24], 0x1234) is None
    other = bytes(IP() / ICMP(type=3, code=1) / (b"\0" * 28))
    assert parse_echo_reply(other, 0x1234) is None


def test_echo_request6_is_an_icmpv6_echo_the_kernel_checksums():
    raw = echo_request6(0x1234, 70000)
    echo = ICMPv6EchoRequest(raw)
    assert (echo.type, echo.code, echo.id, echo.seq) == (128, 0, 0x1234, 70000 & 0xFFFF)
    assert echo.cksum == 0  # left to the kernel: it alone knows the source (RFC 3542 §3.1)
    assert echo.data == struct.pack("!I", 70000) + b"vrrplab-probe"
    assert raw == bytes(ICMPv6EchoRequest(id=0x1234, seq=70000 & 0xFFFF, data=echo.data, cksum=0))


def test_reply6_parsing_matches_our_ident_only_without_an_ip_header():
    request = echo_request6(0x1234, 42)
    reply = bytes(ICMPv6EchoReply(id=0x1234, seq=42, data=request[8:]))  # as the raw socket reads it
    assert parse_echo_reply6(reply, 0x1234) == 42
    assert parse_echo_reply6(reply, 0x4321) is None
    assert parse_echo_reply6(reply[:11], 0x1234) is None
    assert parse_echo_reply6(request, 0x1234) is None  # our own request, looped back on ::1
    assert parse_echo_reply6(bytes(ICMPv6ND_NA(tgt="2001:db8:1::1")), 0x1234) is None
    assert parse_echo_reply6(bytes(ICMPv6DestUnreach() / IPv6() / ICMPv6EchoRequest(request)), 0x1234) is None
    with_header = bytes(IPv6(src="2001:db8:1::1", dst="2001:db8:1::100") / ICMPv6EchoReply(reply))
    assert parse_echo_reply6(with_header, 0x1234) is None  # it never sees one, and does not look for one
    assert parse_echo_reply(reply, 0x1234) is None  # the IPv4 parser expects a header


def test_icmp6_filter_passes_echo_replies_only():
    words = struct.unpack("=8I", icmp6_filter_passing(ICMPV6_ECHO_REPLY))
    passing = [t for t in range(256) if not words[t >> 5] & (1 << (t & 31))]  # Linux: a set bit blocks
    assert passing == [129]


def test_targets_map_replies_back_by_address():
    v4, v6 = parse_target("192.168.1.1"), parse_target("2001:DB8:1:0::1")
    assert (v4.family, v4.sockaddr) == (socket.AF_INET, ("192.168.1.1", 0))
    assert (v6.family, v6.sockaddr, v6.text) == (socket.AF_INET6, ("2001:db8:1::1", 0, 0, 0), "2001:DB8:1:0::1")
    assert reply_key(socket.AF_INET, ("192.168.1.1", 0)) == v4.key
    assert reply_key(socket.AF_INET6, ("2001:db8:1::1", 0, 0, 0)) == v6.key  # the text as given stays
    lo = parse_target("fe80::1%lo")
    assert lo.sockaddr == ("fe80::1", 0, 0, socket.if_nametoindex("lo"))
    assert reply_key(socket.AF_INET6, ("fe80::1%lo", 0, 0, socket.if_nametoindex("lo"))) == lo.key


@pytest.mark.parametrize("target, says", [
    ("fe80::1", "link-local"), ("fe80::1%no-such-if0", "no interface"), ("2001:db8::1%lo", "link-local"),
    ("gateway", "not an IPv4 or IPv6 address"), ("192.168.1.0/24", "not an IPv4 or IPv6 address")])
def test_targets_refused_with_a_reason(target, says):
    with pytest.raises(ValueError, match=says):
        parse_target(target)


def test_read_probe_log_pairs_sends_and_replies(tmp_path):
    log = tmp_path / "probes.log"
    log.write_text("S 0 0 10.000000\nS 1 1 10.000100\nR 0 0 10.000300\nS 0 2 10.010000\n"
                   "R 1 1 10.000500\nS 1 3 10.0101")  # last line cut by a kill
    traces = read_probe_log(log, ["192.168.1.1", "203.0.113.100"])
    assert traces["192.168.1.1"].sent == [10.0, 10.01]
    assert traces["192.168.1.1"].recv == [10.0003, None]
    assert traces["203.0.113.100"].sent == [10.0001]  # the unfinished line is not read
    assert traces["203.0.113.100"].recv == [10.0005]


def test_read_probe_log_keeps_ipv6_targets_as_given(tmp_path):
    log = tmp_path / "probes.log"
    log.write_text("S 0 0 10.000000\nS 1 1 10.000100\nR 1 1 10.000400\n")
    traces = read_probe_log(log, ["192.168.1.1", "2001:db8:1::1"])
    assert traces["2001:db8:1::1"].recv == [10.0004] and traces["192.168.1.1"].recv == [None]


def test_rounds_stay_on_the_grid_and_a_missed_one_is_skipped_not_burst():
    """1 ms pacing: on time, the next round; each round's own cost never pushes the grid
    (no drift); descheduled 3.5 ms, the rounds missed are skipped and the next is the first
    deadline still ahead."""
    interval = 0.001
    assert next_round(0, 0.00002, interval) == 1
    assert next_round(41, 0.04104, interval) == 42  # 40 us late: still round 42, at 42 ms
    assert next_round(10, 0.0135, interval) == 14  # 11, 12, 13 missed: skipped
    assert next_round(10, 0.0099999999, interval) == 11  # float rounding never goes back
