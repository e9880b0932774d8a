"""The prober and the capture filter on IPv6, for real, in a throwaway namespace. Needs root.

The test re-runs this file as a script under `unshare --net --mount --pid --fork
--kill-child --mount-proc`: everything below lives in that private namespace
and dies with it; nothing is made in the host's namespace, no `ip netns`.

    c1 (the private namespace)                         peer (`unshare --net sleep`)
    c1  02:00:00:00:00:64  ---- veth ----  eth0  02:00:00:00:00:01
        192.168.1.100/24                         192.168.1.1/24
        2001:db8:1::100/64                       2001:db8:1::1/64, fe80::ff:fe00:1
        tcpdump -i c1 CAPTURE_FILTER
        python -m vrrplab.run.probe 127.0.0.1 ::1 192.168.1.1 2001:db8:1::1 fe80::ff:fe00:1%c1

While c1 probes all five targets (loopback and across the link, both families,
one scoped link-local), the peer puts on the wire a VRRPv3 advert over IPv6, an
unsolicited NA, an IPv4 VRRP advert, a gratuitous ARP and ICMPv6 echoes. Every
target must answer; the pcap must hold the adverts, ARP and the NAs (the
unsolicited one, and the solicited ones of c1's neighbour discovery) and no
echo at all, neither the prober's nor the peer's.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
PRIVATE = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
CMD_TIMEOUT_S = 10.0
C1_MAC, PEER_MAC = "02:00:00:00:00:64", "02:00:00:00:00:01"
PEER_LINK_LOCAL = "fe80::ff:fe00:1"  # EUI-64 of the peer's MAC (RFC 4291 appendix A)
TARGETS = ["127.0.0.1", "::1", "192.168.1.1", "2001:db8:1::1", f"{PEER_LINK_LOCAL}%c1"]
PROBE_INTERVAL_S = 0.01
PROBE_FOR_S = 1.5


def test_ipv6_prober_and_capture_filter(tmp_path: Path) -> None:
    from scapy.layers.inet import ICMP
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest
    from scapy.utils import rdpcap

    from tests.lab.hostcheck import host_snapshot
    from vrrplab.run.capture import AdvertSeen, read_pcap
    from vrrplab.run.probe import read_probe_log

    if not Path("/proc/sys/net/ipv6").exists():
        pytest.skip("this kernel has no IPv6")
    before = host_snapshot(tmp_path)
    proc = subprocess.run([*PRIVATE, sys.executable, __file__, "inside", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # the prober: every target answers, IPv4 and IPv6 alike, in one run
    traces = read_probe_log(tmp_path / "probes.log", TARGETS)
    for target, trace in traces.items():
        answered = [r for r in trace.recv if r is not None]
        assert len(trace.sent) >= PROBE_FOR_S / PROBE_INTERVAL_S / 3, (target, len(trace.sent))
        assert len(answered) >= 0.9 * len(trace.sent), (target, len(answered), len(trace.sent))
        assert all(0 <= r - s < 0.5 for s, r in zip(trace.sent, trace.recv) if r is not None), target

    # the capture: adverts, ARP and NAs, and not one echo
    packets = rdpcap(str(tmp_path / "capture.pcap"))
    echoes = [p.summary() for p in packets if ICMP in p or ICMPv6EchoRequest in p or ICMPv6EchoReply in p]
    assert not echoes, echoes[:5]
    adverts, arps = read_pcap(tmp_path / "capture.pcap")
    assert [(a.src, a.vrid, a.priority, a.version, a.ttl) for a in adverts] == [
        (PEER_LINK_LOCAL, 10, 120, 3, 255), ("192.168.1.1", 10, 120, 2, 255)]
    assert all(isinstance(a, AdvertSeen) for a in adverts)
    unsolicited = [(a.op, a.ip, a.mac) for a in arps if a.op == "na" and a.gratuitous]
    assert unsolicited == [("na", "2001:db8:1::1", PEER_MAC)], arps
    solicited = {(a.ip, a.mac) for a in arps if a.op == "na" and not a.gratuitous}
    assert ("2001:db8:1::1", PEER_MAC) in solicited, arps  # c1 resolving its target
    assert [(a.op, a.ip, a.gratuitous) for a in arps if a.op != "na" and a.gratuitous] == [
        ("request", "192.168.1.1", True)], arps
    assert host_snapshot(tmp_path) == before


# -- inside the private namespace (run as a script) --------------------------------------


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=CMD_TIMEOUT_S).stdout


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout} s")
        time.sleep(0.02)
    return value


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _ready(addr_show: str, address: str) -> bool:
    """`address` is in `ip addr show`'s output, and usable (not tentative)."""
    return any(f"inet6 {address}/" in line and "tentative" not in line for line in addr_show.splitlines())


def _frames() -> list[bytes]:
    """What the peer puts on the wire: two kinds the capture keeps, and echoes it must not."""
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import ARP, Ether
    from scapy.layers.vrrp import VRRP, VRRPv3

    frames = [
        Ether(src=PEER_MAC, dst="33:33:00:00:00:12") / IPv6(src=PEER_LINK_LOCAL, dst="ff02::12", hlim=255)
        / VRRPv3(vrid=10, priority=120, ipcount=1, addrlist=["2001:db8:1::1"]),
        Ether(src=PEER_MAC, dst="33:33:00:00:00:01") / IPv6(src=PEER_LINK_LOCAL, dst="ff02::1", hlim=255)
        / ICMPv6ND_NA(tgt="2001:db8:1::1", R=1, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC),
        Ether(src=PEER_MAC, dst="01:00:5e:00:00:12") / IP(src="192.168.1.1", dst="224.0.0.18", ttl=255)
        / VRRP(vrid=10, priority=120, addrlist=["192.168.1.1"]),
        Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff")
        / ARP(op=1, hwsrc=PEER_MAC, psrc="192.168.1.1", pdst="192.168.1.1"),
    ]
    frames += [Ether(src=PEER_MAC, dst=C1_MAC) / IPv6(src="2001:db8:1::1", dst="2001:db8:1::100")
               / ICMPv6EchoRequest(id=99, seq=i) for i in range(5)]  # c1's kernel answers: no reply either
    return [bytes(f) for f in frames]


def send_frames(interface: str) -> None:
    """In the peer's namespace: the frames, raw, out of `interface`."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((interface, 0))
        for frame in _frames():
            sock.send(frame)
            time.sleep(0.01)


def inside(out: Path) -> None:
    from vrrplab.run.capture import CAPTURE_FILTER

    _run("ip", "link", "set", "lo", "up")
    for conf in ("all", "default", "lo"):
        _run("sysctl", "-qw", f"net.ipv6.conf.{conf}.disable_ipv6=0")
    _run("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")  # c1 inherits it: no tentative wait
    peer = subprocess.Popen(["unshare", "--net", "sleep", "600"])
    _wait(lambda: _comm(peer.pid) == "sleep", 5, "the peer's namespace")

    def in_peer(*argv: str) -> list[str]:
        return ["nsenter", f"--net=/proc/{peer.pid}/ns/net", *argv]

    _run("ip", "link", "add", "c1", "address", C1_MAC, "type", "veth", "peer", "name", "eth0",
         "address", PEER_MAC)
    _run("ip", "link", "set", "eth0", "netns", str(peer.pid))
    _run(*in_peer("ip", "link", "set", "lo", "up"))
    _run(*in_peer("sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0"))  # a move resets it: set it again
    _run(*in_peer("ip", "addr", "add", "192.168.1.1/24", "dev", "eth0"))
    _run(*in_peer("ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "eth0", "nodad"))
    _run(*in_peer("ip", "link", "set", "eth0", "up"))
    _run("ip", "addr", "add", "192.168.1.100/24", "dev", "c1")
    _run("ip", "-6", "addr", "add", "2001:db8:1::100/64", "dev", "c1", "nodad")
    _run("ip", "link", "set", "c1", "up")
    _wait(lambda: _ready(_run(*in_peer("ip", "-6", "addr", "show", "dev", "eth0")), PEER_LINK_LOCAL), 5,
          "the peer's link-local address, not tentative")  # a tentative one answers no NS (RFC 4862 §5.4)
    _wait(lambda: "LOWER_UP" in _run("ip", "link", "show", "c1"), 5, "c1 up")

    capture_err = out / "tcpdump.err"
    tcpdump = subprocess.Popen(["tcpdump", "-i", "c1", "-n", "-U", "--immediate-mode",
                                "-w", str(out / "capture.pcap"), CAPTURE_FILTER],
                               stdout=subprocess.DEVNULL, stderr=capture_err.open("w"))
    _wait(lambda: "listening on" in capture_err.read_text(), 10, "tcpdump listening")
    prober = subprocess.Popen([sys.executable, "-m", "vrrplab.run.probe", "--interval", str(PROBE_INTERVAL_S),
                               "--out", str(out / "probes.log"), *TARGETS], cwd=ROOT)
    time.sleep(PROBE_FOR_S / 2)
    subprocess.run(in_peer(sys.executable, __file__, "send", "eth0"), check=True, timeout=CMD_TIMEOUT_S * 3)
    time.sleep(PROBE_FOR_S / 2)
    prober.send_signal(signal.SIGTERM)
    assert prober.wait(CMD_TIMEOUT_S) == 0, "the prober failed"
    time.sleep(0.2)
    tcpdump.send_signal(signal.SIGTERM)
    tcpdump.wait(CMD_TIMEOUT_S)
    # leaving: PID 1 of the private namespace exits, the kernel kills the peer and drops both namespaces


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send_frames(sys.argv[2])
    else:
        inside(Path(sys.argv[2]))
