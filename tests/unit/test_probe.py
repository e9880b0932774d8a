"""The prober's packets and its log format, without sending anything."""

from __future__ import annotations

from scapy.layers.inet import ICMP, IP

from vrrplab.probe import echo_request, parse_echo_reply, read_probe_log


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


def test_read_probe_log_pairs_sends_and_replies(tmp_path):
    log = tmp_path / "probes.log"
    log.write_text("S 0 0 10.000000\nS 1 1 10.000100\nR 0 0 10.000300\nS 0 2 10.010000\n"
                   "R 1 1 10.000500\nS 1 3 10.0101")  # last line cut by a kill
    traces = read_probe_log(log, ["192.168.1.1", "203.0.113.100"])
    assert traces["192.168.1.1"].sent == [10.0, 10.01]
    assert traces["192.168.1.1"].recv == [10.0003, None]
    assert traces["203.0.113.100"].sent == [10.0001]  # the unfinished line is not read
    assert traces["203.0.113.100"].recv == [10.0005]
