"""The independent capture's reader and its takeover comparison (tests/wire.py), without a lab:
agreed within the tolerance, and a capture shifted on purpose must be caught."""

from __future__ import annotations

import pytest

from tests.wire import (ICMP_PROTO, VRRP_PROTO, Frame, parse_pcap, shifted, takeover_differences,
                        wire_takeover)

T0 = 1_800_000_000.0
R1, R2 = "192.168.1.10", "192.168.1.20"


def _wire() -> list[Frame]:
    """r1 adverts every second till 10.3 s, its goodbye at 12.0, r2's first advert 12.61."""
    frames = [Frame(T0 + t + 0.3, R1, "224.0.0.18", VRRP_PROTO, vrid=10, priority=120) for t in range(11)]
    frames.append(Frame(T0 + 12.0, R1, "224.0.0.18", VRRP_PROTO, vrid=10, priority=0))
    frames += [Frame(T0 + 12.6105 + t, R2, "224.0.0.18", VRRP_PROTO, vrid=10, priority=100) for t in range(3)]
    frames.append(Frame(T0 + 12.7, "192.168.1.100", "192.168.1.1", ICMP_PROTO, ident=1, seq=5))
    return sorted(frames, key=lambda f: f.t)


def _results(takeover_s: float, after_last_s: float) -> dict:
    return {"t0": T0, "vrrp": {"vrid": 10},
            "timeline": {"adverts": [{"router": "r1", "src": R1}, {"router": "r2", "src": R2}]},
            "faults": [{"name": "stop-r1", "at_s": 12.0, "old_master": "r1", "new_master": "r2",
                        "takeover_s": takeover_s, "takeover_after_last_advert_s": after_last_s},
                       {"name": "no-move", "at_s": 20.0, "old_master": "r2", "new_master": "r2",
                        "takeover_s": None, "takeover_after_last_advert_s": None}]}


def test_the_wire_agrees_with_a_faithful_report():
    assert wire_takeover(_wire(), T0 + 12.0, R1, R2, 10) == (pytest.approx(0.6105), pytest.approx(2.3105))
    assert takeover_differences(_results(0.6105, 2.3105), _wire(), 0.001) == []
    # inside the tolerance
    assert takeover_differences(_results(0.6113, 2.3098), _wire(), 0.001) == []


@pytest.mark.parametrize("by_s", [0.0015, -0.002, 0.05])
def test_a_shifted_capture_is_caught(by_s):
    """The new master's adverts moved on the wire: both figures disagree, and say by how much."""
    problems = takeover_differences(_results(0.6105, 2.3105), shifted(_wire(), R2, by_s), 0.001)
    assert len(problems) == 2, problems
    assert all(p.startswith("stop-r1: takeover") for p in problems)
    assert f"{-by_s * 1e3:+.3f} ms" in problems[0]


def test_the_old_masters_adverts_shifted_move_only_the_second_figure():
    problems = takeover_differences(_results(0.6105, 2.3105), shifted(_wire(), R1, -0.003), 0.001)
    assert problems == ["stop-r1: takeover_after_last_advert_s 2.310500 s reported, "
                        "2.313500 s on the wire (-3.000 ms)"]


def test_a_capture_without_the_new_master_is_caught():
    wire = [f for f in _wire() if f.src != R2]
    assert takeover_differences(_results(0.6105, 2.3105), wire, 0.001) == [
        "stop-r1: takeover_s 0.610500 s, not on the wire",
        "stop-r1: takeover_after_last_advert_s 2.310500 s, not on the wire"]


def test_the_reader_agrees_with_vrrplabs_scapy_reader(tmp_path):
    """The same pcap through tests/wire.py's plain reader and vrrplab's scapy one."""
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import Ether
    from scapy.layers.vrrp import VRRP
    from scapy.utils import wrpcap

    from vrrplab.run.capture import read_pcap

    packets = []
    for n, (src, prio) in enumerate([(R1, 120), (R1, 0), (R2, 100)]):
        pkt = Ether() / IP(src=src, dst="224.0.0.18", ttl=255) \
            / VRRP(vrid=10, priority=prio, addrlist=["192.168.1.1"])
        pkt.time = T0 + n * 0.25 + 0.000123
        packets.append(pkt)
    echo = Ether() / IP(src="192.168.1.100", dst="192.168.1.1") / ICMP(type=8, id=7, seq=9)
    echo.time = T0 + 1.0
    packets.append(echo)
    wrpcap(str(tmp_path / "c.pcap"), packets)
    frames = parse_pcap((tmp_path / "c.pcap").read_bytes())
    adverts, _ = read_pcap(tmp_path / "c.pcap")
    assert [(f.t, f.src, f.vrid, f.priority) for f in frames if f.proto == VRRP_PROTO] == [
        (pytest.approx(a.t, abs=1e-6), a.src, a.vrid, a.priority) for a in adverts]
    assert [(f.dst, f.ident, f.seq) for f in frames if f.proto == ICMP_PROTO] == [("192.168.1.1", 7, 9)]
    # cut short at the end (a capture killed mid-write): the whole records are kept
    assert len(parse_pcap((tmp_path / "c.pcap").read_bytes()[:-5])) == 3
    with pytest.raises(ValueError):
        parse_pcap(b"\x00" * 40)
