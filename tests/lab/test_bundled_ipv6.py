"""VRRPv3 over IPv6 on the bundled speaker, for real: two daemons, a kill, a takeover. Needs root.

The test re-runs this file as a script under `unshare --net --mount --pid
--fork --kill-child --mount-proc`: a private namespace that holds the bridge,
and whose processes (each node is a `sleep` holding its own network and
mount namespaces, made by `unshare`) die with it. Nothing is made in the host's namespace; no
`ip netns` (its files would live in the host's /run).

    r1 eth0 02:00:00:00:00:01  2001:db8:1::10   priority 120, primary_ip global (the driver finds its link-local)
    r2 eth0 02:00:00:00:00:02  2001:db8:1::20   priority 100, primary_ip fe80::ff:fe00:2 (its link-local)
    c1 eth0 02:00:00:00:00:64  2001:db8:1::100  tcpdump, the neighbour cache
           \\          |          /
            +------- br0 --------+    (the private namespace; mcast_snooping 0)

VRID 10, VRRPv3, advert 0.2 s, VIPs fe80::1/64 (first: RFC 5798 §5.2.9) and
2001:db8:1::1/64. r1 becomes MASTER, r2 stays BACKUP; c1 pings both VIPs (its
neighbour cache: r1's MAC); r1's daemon is SIGKILLed and its link set down;
r2 must take over within Master_Down_Interval + margin, hold both VIPs, and
its unsolicited NAs (Override set) must move c1's cache entries to its MAC.
"""

from __future__ import annotations

import json
import os
import signal
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
MACS = {"r1": "02:00:00:00:00:01", "r2": "02:00:00:00:00:02", "c1": "02:00:00:00:00:64"}
GLOBALS = {"r1": "2001:db8:1::10", "r2": "2001:db8:1::20", "c1": "2001:db8:1::100"}
R2_LINK_LOCAL = "fe80::ff:fe00:2"  # EUI-64 of r2's MAC (RFC 4291 appendix A)
VIPS = ("fe80::1", "2001:db8:1::1")
ADVERT_S = 0.2
MDI_R2 = 3 * ADVERT_S + (256 - 100) / 256 * ADVERT_S  # RFC 5798 §6.1, priority 100
TAKEOVER_BOUND_S = MDI_R2 + 1.0  # generous: a kill, a link down, a few processes scheduled


def test_vrrpv3_ipv6_failover(tmp_path: Path) -> None:
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import Ether
    from scapy.layers.vrrp import VRRPv3
    from scapy.utils import rdpcap

    from tests.lab.hostcheck import host_snapshot
    from vrrplab.bundled.log import read_events
    from vrrplab.vrrp.packet import decode

    before = host_snapshot(tmp_path)
    proc = subprocess.run([*PRIVATE, sys.executable, __file__, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = json.loads((tmp_path / "results.json").read_text())
    logs = {r: read_events((tmp_path / f"{r}.bundled.log").read_text()) for r in ("r1", "r2")}

    # one MASTER, one BACKUP, talking VRRPv3 over IPv6
    assert "MASTER" in _states(logs["r1"]) and _states(logs["r2"])[:1] == ["BACKUP"], logs
    assert set(VIPS) <= set(found["addresses_before"]["r1"]), found
    assert not set(VIPS) & set(found["addresses_before"]["r2"]), found
    assert found["neighbours_before"] == {vip: MACS["r1"] for vip in VIPS}, found

    # the kill: r2 takes over in time, with both VIPs, and c1's cache follows its NAs
    assert found["takeover_s"] <= TAKEOVER_BOUND_S, found
    assert found["takeover_s"] >= MDI_R2 - 0.25, found  # SIGKILL sends no goodbye: a full MDI
    assert set(VIPS) <= set(found["addresses_after"]["r2"]), found
    assert found["neighbours_after"] == {vip: MACS["r2"] for vip in VIPS}, found
    assert not [e for e in logs["r2"] if e["event"] in ("drop", "error")], logs["r2"]
    (stop,) = [e for e in logs["r2"] if e["event"] == "stop"]
    assert stop["reason"] == "SIGTERM" and stop["counters"]["VI_6"]["adverts_received"] > 0, stop

    # the wire, as c1 saw it
    packets = rdpcap(str(tmp_path / "c1.pcap"))
    adverts = [p for p in packets if IPv6 in p and p[IPv6].nh == 112]
    senders = {p[Ether].src: p[IPv6].src for p in adverts}
    assert senders[MACS["r2"]] == R2_LINK_LOCAL  # RFC 5798 §5.1.2.1: from the link-local address
    assert senders[MACS["r1"]] == found["r1_link_local"] and senders[MACS["r1"]].startswith("fe80:")
    for p in adverts:
        ip6 = p[IPv6]
        assert (ip6.dst, ip6.hlim) == ("ff02::12", 255)  # §5.1.2.2, §5.1.2.3
        advert = decode(bytes(ip6.payload), ip6.src, ip6.dst, ip6.hlim)  # the checksum too
        assert (advert.version, advert.vrid, advert.addresses) == (3, 10, VIPS)
        theirs = IPv6(bytes(ip6))
        checksum = theirs[VRRPv3].chksum
        del theirs[VRRPv3].chksum
        assert IPv6(bytes(theirs))[VRRPv3].chksum == checksum  # scapy agrees on the pseudo-header
    nas = [p for p in packets if ICMPv6ND_NA in p and p[Ether].src == MACS["r2"] and p[ICMPv6ND_NA].S == 0]
    assert {p[ICMPv6ND_NA].tgt for p in nas} == set(VIPS), [p.summary() for p in nas]
    for p in nas:
        assert (p[IPv6].src, p[IPv6].dst, p[IPv6].hlim) == (R2_LINK_LOCAL, "ff02::1", 255)
        assert (p[ICMPv6ND_NA].R, p[ICMPv6ND_NA].O) == (1, 1)
        assert p[ICMPv6NDOptDstLLAddr].lladdr == MACS["r2"]
    assert host_snapshot(tmp_path) == before


def _states(events: list[dict]) -> list[str]:
    return [e["new"] for e in events if e["event"] == "state"]


# -- inside the private namespace (run as a script) --------------------------------------


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=CMD_TIMEOUT_S).stdout


class Node:
    """Network and mount namespaces held by a `sleep`, with one veth to the bridge. The
    node mounts its own sysfs, as Mininet's `mnexec -n` does: /sys/class/net (the
    daemon reads MACs and link states there) shows the namespace of its mounter."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.holder = subprocess.Popen(["unshare", "--net", "--mount", "sh", "-c",
                                        "mount -t sysfs sysfs /sys && exec sleep 600"])
        _wait(lambda: _comm(self.holder.pid) == "sleep", 5, f"{name}'s namespaces")
        _run("ip", "link", "add", f"{name}-eth0", "type", "veth", "peer", "name", f"{name}-br")
        _run("ip", "link", "set", f"{name}-br", "master", "br0", "up")
        _run("ip", "link", "set", f"{name}-eth0", "netns", str(self.holder.pid))
        self.run("ip", "link", "set", "lo", "up")
        self.run("ip", "link", "set", f"{name}-eth0", "name", "eth0", "address", MACS[name])
        self.run("ip", "link", "set", "eth0", "up")
        self.run("ip", "-6", "addr", "add", f"{GLOBALS[name]}/64", "dev", "eth0", "nodad")

    def argv(self, *argv: str) -> list[str]:
        return ["nsenter", f"--net=/proc/{self.holder.pid}/ns/net", f"--mount=/proc/{self.holder.pid}/ns/mnt",
                *argv]

    def run(self, *argv: str) -> str:
        return _run(*self.argv(*argv))

    def addresses(self) -> list[str]:
        data = json.loads(self.run("ip", "-j", "-6", "addr", "show", "dev", "eth0"))
        return [a["local"] for link in data for a in link.get("addr_info", [])]

    def neighbour(self, address: str) -> str | None:
        data = json.loads(self.run("ip", "-j", "-6", "neigh", "show", address, "dev", "eth0"))
        return data[0].get("lladdr") if data else None


def _comm(pid: int) -> str | None:
    """The process's command name: `sleep` once `sh` has mounted sysfs and exec'd it."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout} s")
        time.sleep(0.02)
    return value


def _config(router: str, priority: int, primary: str) -> dict:
    return {"schema": 1, "router": router, "source": "test_bundled_ipv6", "sync_group": None, "scripts": {},
            "instances": [{"name": "VI_6", "vrid": 10, "interface": "eth0", "primary_ip": primary,
                           "vips": ["fe80::1/64", "2001:db8:1::1/64"], "priority": priority, "state": "BACKUP",
                           "version": 3, "advert_int": ADVERT_S, "preempt": True, "preempt_delay": 0.0,
                           "auth_pass": None, "use_vmac": False, "track_scripts": [], "track_interfaces": []}]}


def _logged_state(log: Path, state: str) -> float | None:
    """The time of the first `state` event entering `state`, or None."""
    from vrrplab.bundled.log import read_events

    return next((e["t"] for e in read_events(log.read_text()) if e["event"] == "state" and e["new"] == state),
                None)


def inside(out: Path) -> None:
    _run("ip", "link", "set", "lo", "up")
    _run("ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
    _run("ip", "link", "set", "br0", "up")
    nodes = {name: Node(name) for name in MACS}
    r1, r2, c1 = nodes["r1"], nodes["r2"], nodes["c1"]
    capture_err = out / "tcpdump.err"
    tcpdump = subprocess.Popen(c1.argv("tcpdump", "-i", "eth0", "-n", "-U", "--immediate-mode",
                                       "-w", str(out / "c1.pcap"), "ip6"),
                               stdout=subprocess.DEVNULL, stderr=capture_err.open("w"))
    _wait(lambda: "listening on" in capture_err.read_text(), 10, "tcpdump listening")
    daemons = {}
    for router, priority, primary in (("r1", 120, GLOBALS["r1"]), ("r2", 100, R2_LINK_LOCAL)):
        (out / f"{router}.bundled.json").write_text(json.dumps(_config(router, priority, primary)))
        with (out / f"{router}.bundled.log").open("w") as log:
            daemons[router] = subprocess.Popen(
                nodes[router].argv(sys.executable, "-m", "vrrplab.bundled", "--config",
                                   str(out / f"{router}.bundled.json")), stdout=log, stderr=subprocess.STDOUT,
                # the lab marker, as Lab.popen gives it: the speaker refuses to run without it
                env={**os.environ, "VRRPLAB_LAB_NODE": router})
        state = "MASTER" if router == "r1" else "BACKUP"
        _wait(lambda: _logged_state(out / f"{router}.bundled.log", state), 15, f"{router} {state}")
    time.sleep(10 * ADVERT_S)  # hold: r2 hears r1 and stays BACKUP
    assert _logged_state(out / "r2.bundled.log", "MASTER") is None, "r2 became MASTER beside r1"
    for vip in VIPS:
        c1.run("ping", "-6", "-c", "1", "-W", "2", f"{vip}%eth0" if vip.startswith("fe80") else vip)
    found: dict[str, Any] = {
        "addresses_before": {r: nodes[r].addresses() for r in ("r1", "r2")},
        "neighbours_before": {vip: c1.neighbour(vip) for vip in VIPS},
        "r1_link_local": next(a for a in r1.addresses() if a.startswith("fe80:") and a != VIPS[0]),
    }
    killed_at = time.time()
    daemons["r1"].send_signal(signal.SIGKILL)  # a crash: no goodbye, the VIPs stay on r1 ...
    r1.run("ip", "link", "set", "eth0", "down")  # ... which leaves the LAN
    master_at = _wait(lambda: _logged_state(out / "r2.bundled.log", "MASTER"), 15, "r2 MASTER")
    found["takeover_s"] = master_at - killed_at
    _wait(lambda: all(c1.neighbour(vip) == MACS["r2"] for vip in VIPS), 5, "c1's cache on r2")
    found["addresses_after"] = {"r2": r2.addresses()}
    found["neighbours_after"] = {vip: c1.neighbour(vip) for vip in VIPS}
    daemons["r2"].send_signal(signal.SIGTERM)
    daemons["r2"].wait(CMD_TIMEOUT_S)
    time.sleep(0.2)  # the goodbye advert reaches tcpdump
    tcpdump.send_signal(signal.SIGTERM)
    tcpdump.wait(CMD_TIMEOUT_S)
    (out / "results.json").write_text(json.dumps(found, indent=2))
    # leaving: PID 1 of the private namespace exits, the kernel kills the rest and drops the namespaces


if __name__ == "__main__":
    inside(Path(sys.argv[1]))
