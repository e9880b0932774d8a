"""A synthetic run for unit tests: a pcap and a probe log written by hand.

The story: r1 (priority 120) is master, advertises every second; at t0+5.5 its
keepalived stops (a priority-0 advert 1 ms later), r2 (priority 100) takes over
one Skew_Time (0.609 s) after that goodbye, 0.8 ms late as keepalived is here,
and the client's probes to the VIP sent in between are lost. Nothing of the
lab is needed to compute and check this. `record(out, after_goodbye=...)` moves
r2's takeover: known-bad input for the timing checks.
"""

from __future__ import annotations

from pathlib import Path

from scapy.layers.inet import IP
from scapy.layers.l2 import ARP, Ether
from scapy.layers.vrrp import VRRP
from scapy.utils import wrpcap

from vrrplab.loader import load_scenario
from vrrplab.run.observe import Snapshot
from vrrplab.run.runner import FaultRecord, RunRecord

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000.0
FAULT_AT = T0 + 5.5
GOODBYE_AT = FAULT_AT + 0.001
SKEW = 156 / 256
AFTER_GOODBYE = SKEW + 0.0008  # keepalived's reaction here: under a millisecond
TAKEOVER_AT = GOODBYE_AT + AFTER_GOODBYE
R1_MAC, R2_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def _advert(t: float, src: str, priority: int):
    pkt = (Ether(src=R1_MAC if src.endswith(".10") else R2_MAC, dst="01:00:5e:00:00:12")
           / IP(src=src, dst="224.0.0.18", ttl=255)
           / VRRP(vrid=10, priority=priority, addrlist=["192.168.1.1"], authtype=1,
                  auth1=0x4c616232, auth2=0x70617373))
    pkt.time = t
    return pkt


def _garp(t: float, mac: str):
    pkt = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc="192.168.1.1",
                                                        pdst="192.168.1.1")
    pkt.time = t
    return pkt


def write_capture(path: Path, after_goodbye: float = AFTER_GOODBYE) -> None:
    takeover = GOODBYE_AT + after_goodbye
    packets = [_advert(T0 + 1 + i, "192.168.1.10", 120) for i in range(5)]
    packets.append(_advert(GOODBYE_AT, "192.168.1.10", 0))
    packets += [_advert(takeover + i, "192.168.1.20", 100) for i in range(4)]
    packets.append(_garp(takeover + 0.0005, R2_MAC))
    wrpcap(str(path), sorted(packets, key=lambda p: p.time))


def write_probes(path: Path, until: float = T0 + 9.5) -> None:
    lines, n, t = [], 0, T0 + 1.0
    while t < until:
        for idx in (0, 1):
            lines.append(f"S {idx} {n} {t:.6f}")
            lost = idx == 0 and FAULT_AT <= t < TAKEOVER_AT + 0.005
            if not lost:
                lines.append(f"R {idx} {n} {t + 0.0002:.6f}")
            n += 1
        t += 0.01
    path.write_text("\n".join(lines) + "\n")


def phases(converge_master: str = "r1", fault_master: str = "r2") -> list[dict]:
    """The logs' evidence per phase, as the runner collects it (keepalived's words)."""
    line = "(VI_LAN) Entering MASTER STATE"

    def routers(master):
        return {r: {"log": f"{r}.keepalived.log", "bytes": [0, 100],
                    "states": [["MASTER", line]] if r == master else []} for r in ("r1", "r2")}

    return [{"phase": "converge", "instance": None, "routers": routers(converge_master)},
            {"phase": "stop-r1", "instance": "VI_LAN", "routers": routers(fault_master)}]


def record(out: Path, after_goodbye: float = AFTER_GOODBYE) -> RunRecord:
    """A RunRecord as the runner would leave it after failover-basic's first fault."""
    scenario = load_scenario(ROOT / "scenarios/failover-basic.yaml")
    write_capture(out / "capture.pcap", after_goodbye)
    write_probes(out / "probes.log")
    rec = RunRecord(scenario, {"r1": "keepalived", "r2": "keepalived"}, 0.01, out, "test-run", T0)
    rec.end = T0 + 10
    rec.probe_start, rec.probe_end = T0 + 1.0, T0 + 9.5
    rec.faults.append(FaultRecord(scenario.faults[0], FAULT_AT, lambda: None,
                                  applied_at=FAULT_AT + 0.0001))
    rec.phase_evidence = phases()
    snap = {"states": {"r1": "MASTER", "r2": "BACKUP"}, "macs": {"r1": R1_MAC, "r2": R2_MAC}}
    rec.snapshots = [
        Snapshot(**snap, label="converge", t=T0 + 1.2, expected_master="r1",
                 expected_holders=["r1"],
                 vips={"r1": ["192.168.1.10", "192.168.1.1"], "r2": ["192.168.1.20"]},
                 client_arp=R1_MAC),
        Snapshot(**{**snap, "states": {"r1": "STOPPED", "r2": "MASTER"}}, label="stop-r1",
                 t=TAKEOVER_AT + 0.1, expected_master="r2", expected_holders=["r2"],
                 vips={"r1": ["192.168.1.10"], "r2": ["192.168.1.20", "192.168.1.1"]},
                 client_arp=R2_MAC),
    ]
    return rec
