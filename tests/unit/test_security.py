"""The security lessons without a lab: the attacker in the topology, the attack
kinds' validation, the guard's rules, and the checks on an attack's numbers."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from vrrplab.analysis.checks import _attack_checks, _elections_check, _silenced_checks
from vrrplab.errors import InputError
from vrrplab.faults import actions as faults
from vrrplab.faults.files import read_attack_log
from vrrplab.loader import load_scenario, load_topology
from vrrplab.run.observe import Snapshot

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ["rogue-router", "rogue-router-guarded", "sniff-password", "sniff-password-guarded",
            "priority-zero-storm", "priority-zero-storm-guarded"]


def test_attacked_topology_has_mallory_as_attacker():
    topo = load_topology(ROOT / "topologies/attacked.yaml")
    assert [n.name for n in topo.attackers] == ["mallory"]
    assert str(topo.node("mallory").interface("eth0").address) == "192.168.1.66/24"
    assert topo.lan_segment() == "lan" and [r.name for r in topo.routers] == ["r1", "r2"]


@pytest.mark.parametrize("name", SECURITY)
def test_security_scenarios_load_and_never_probe_the_attacker(name):
    scenario = load_scenario(ROOT / f"scenarios/{name}.yaml")
    assert scenario.lesson and scenario.description
    assert scenario.probe.source == "c1"
    assert "192.168.1.66" not in [str(t) for t in scenario.probe.targets]
    kinds = [f.kind for f in scenario.faults]
    assert kinds[-1] == "stop_attack" and ("guard_vrrp" in kinds) == name.endswith("-guarded")


def test_rogue_router_expects_no_master_and_the_storm_is_unstable():
    rogue = load_scenario(ROOT / "scenarios/rogue-router.yaml").faults[0]
    assert rogue.expect_master is None and rogue.holders() == ()
    storm = load_scenario(ROOT / "scenarios/priority-zero-storm.yaml").faults[0]
    assert storm.unstable and storm.rate == 1.5


def _scenario(tmp_path: Path, steps: str, topology: str = "attacked") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ndescription: a test\ntopology: {topology}\nsteps:\n"
                    + textwrap.indent("- wait_master: r1\n" + steps, "  "))
    return path


@pytest.mark.parametrize("steps,message", [
    ("- fault: {name: f, kind: rogue_router, target: r1, expect_master: none}\n",
     "steps[1].fault.target: expected an attacker host for kind rogue_router: one of mallory, got 'r1'"),
    ("- fault: {name: f, kind: guard_vrrp, target: mallory, expect_master: r1}\n",
     "steps[1].fault.target: expected one of r1, r2, got 'mallory'"),
    ("- fault: {name: f, kind: stop, target: r1, expect_master: none}\n",
     "steps[1].fault.expect_master: expected a router (none only for rogue_router, zero_storm"),
    ("- fault: {name: f, kind: stop, target: r1, expect_master: r2, unstable: true}\n",
     "steps[1].fault.unstable: expected no unstable for kind stop"),
    ("- fault: {name: f, kind: rogue_router, target: mallory, expect_master: none, rate: 3}\n",
     "steps[1].fault.rate: expected no rate for kind rogue_router"),
    ("- fault: {name: f, kind: stop_attack, target: mallory, expect_master: r1}\n",
     "steps[1].fault.kind: expected an attack running on mallory before stop_attack"),
    ("- fault: {name: f, kind: rogue_router, target: mallory, expect_master: none}\n"
     "- fault: {name: g, kind: zero_storm, target: mallory, expect_master: r1, unstable: true}\n",
     "steps[2].fault.kind: expected a stop_attack on mallory first"),
    ("- fault: {name: f, kind: rogue_router, target: mallory, expect_master: none,"
     " vip_holders: [r1]}\n", "steps[1].fault.vip_holders: expected no vip_holders with expect_master: none"),
])
def test_bad_attack_steps(tmp_path, steps, message):
    path = _scenario(tmp_path, steps)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_attack_on_a_lab_without_attacker(tmp_path):
    path = _scenario(tmp_path, "- fault: {name: f, kind: zero_storm, target: c1, expect_master: r1,"
                     " unstable: true}\n", topology="textbook")
    with pytest.raises(InputError, match="topology textbook has none"):
        load_scenario(path)


class FakeLab:
    def __init__(self):
        self.rules: dict[str, str] = {}

    def mac(self, node: str, interface: str) -> str:
        return f"02:00:00:00:{node[1]}{node[1]}:{interface[-1]}{interface[-1]}"

    def nft(self, node: str, rules: str) -> None:
        self.rules[node] = self.rules.get(node, "") + rules


def test_guard_accepts_vrrp_only_from_the_routers_address_and_mac():
    topo = load_topology(ROOT / "topologies/attacked.yaml")
    ctx = SimpleNamespace(topology=topo, lab=FakeLab())
    fault = load_scenario(ROOT / "scenarios/rogue-router-guarded.yaml").faults[0]
    _, undo = faults.guard_vrrp(ctx, fault)
    rules = ctx.lab.rules["r1"].splitlines()
    accepts = [r for r in rules if r.endswith(" accept")]
    assert "add rule inet vrrplab_guard input ip protocol vrrp ip saddr 192.168.1.10 " \
           "ether saddr 02:00:00:00:11:00 accept" in accepts
    assert len(accepts) == 4  # r1 and r2, on the LAN and upstream
    assert not any("192.168.1.66" in r for r in rules)
    assert rules[-1] == "add rule inet vrrplab_guard input ip protocol vrrp drop"
    undo()
    assert ctx.lab.rules["r1"].endswith("delete table inet vrrplab_guard\n")


def test_attack_log_skips_what_is_not_json(tmp_path):
    log = tmp_path / "mallory.attack.log"
    log.write_text('WARNING: scapy says something\n{"t": 1.0, "event": "sniffed", '
                   '"password": "Lab2pass"}\n{"t": 2.0, "event": "forg\n')
    assert read_attack_log(log) == [{"t": 1.0, "event": "sniffed", "password": "Lab2pass"}]


def _fault(**extra) -> dict:
    base = {"name": "rogue", "kind": "rogue_router", "at_s": 5.0, "window_end_s": 10.0,
            "lost_probes": 0, "answered_after_s": 0.01, "data_gap_s": 0.01,
            "last_router_advert_s": 0.8, "master_changes": 0, "masters_seen": ["r1"],
            "zero_adverts": 0, "foreign_adverts": {"count": 4, "sources": ["192.168.1.66"],
                                                   "priorities": [255]},
            "attack": {"password_read": "Lab2pass", "sniffed_from": "192.168.1.10"}}
    return {**base, **extra}


RESULTS = {"vrrp": {"advert_int_s": 1, "auth_pass_on_wire": "Lab2pass"}}


def test_silenced_routers_and_a_lost_gateway_pass():
    checks = _silenced_checks(_fault(lost_probes=700, answered_after_s=None), RESULTS)
    assert all(c["ok"] for c in checks), checks


def test_a_router_still_speaking_or_a_client_still_served_fail():
    checks = _silenced_checks(_fault(last_router_advert_s=4.5), RESULTS)
    assert [c["ok"] for c in checks] == [False, False]


def test_repeated_elections_need_two_changes():
    assert _elections_check(_fault(master_changes=4, masters_seen=["r1", "r2"]))["ok"]
    assert not _elections_check(_fault(master_changes=0))["ok"]


def test_attack_checks_show_the_password_read():
    checks = _attack_checks(_fault(), RESULTS)
    assert all(c["ok"] for c in checks)
    assert "it read 'Lab2pass'" in checks[1]["detail"]
    wrong = _attack_checks(_fault(attack={"password_read": None}), RESULTS)
    assert not wrong[1]["ok"]
    storm = _attack_checks(_fault(kind="zero_storm", zero_adverts=1), {"vrrp": {}})
    assert len(storm) == 1 and not storm[0]["ok"]


def test_rogue_router_results_from_synthetic_traces(tmp_path):
    """rogue-router's story on hand-made traces: r1 silenced at 6.2 s, back at 12.734 s
    (the last forgery at 9.2 s + its Master_Down_Interval)."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    from scapy.layers.vrrp import VRRP
    from scapy.utils import wrpcap

    from tests.unit import synthetic
    from vrrplab.analysis.results import build_results
    from vrrplab.run.runner import FaultRecord, RunRecord

    t0 = synthetic.T0
    scenario = load_scenario(ROOT / "scenarios/rogue-router.yaml")

    def advert(t, src, priority):
        pkt = Ether() / IP(src=src, dst="224.0.0.18", ttl=255) / VRRP(
            vrid=10, priority=priority, addrlist=["192.168.1.1"], authtype=1,
            auth1=0x4c616232, auth2=0x70617373)
        pkt.time = t0 + t
        return pkt

    packets = [advert(t, "192.168.1.10", 120) for t in (1, 2, 3, 4, 5, 6)]
    packets += [advert(t, "192.168.1.66", 255) for t in (6.2, 7.2, 8.2, 9.2)]
    packets += [advert(t, "192.168.1.10", 120) for t in (12.734, 13.734)]  # 9.2 + MDI 3.531
    wrpcap(str(tmp_path / "capture.pcap"), sorted(packets, key=lambda p: p.time))
    lines, n, t = [], 0, 1.0
    while t < 14.5:
        for idx in (0, 1):
            lines.append(f"S {idx} {n} {t0 + t:.6f}")
            if not 6.2 <= t < 12.74:
                lines.append(f"R {idx} {n} {t0 + t + 0.0002:.6f}")
            n += 1
        t += 0.01
    (tmp_path / "probes.log").write_text("\n".join(lines) + "\n")
    (tmp_path / "mallory.attack.log").write_text(
        f'{{"t": {t0 + 6.0}, "event": "sniffed", "src": "192.168.1.10", "password": "Lab2pass"}}\n'
        f'{{"t": {t0 + 6.1}, "event": "forging", "src": "192.168.1.66", "priority": 255}}\n'
        f'{{"t": {t0 + 9.6}, "event": "stopped", "sent": 4}}\n')
    rec = RunRecord(scenario, {"r1": "keepalived", "r2": "keepalived"}, 0.01, tmp_path, "t", t0)
    rec.end, rec.probe_start, rec.probe_end = t0 + 15, t0 + 1, t0 + 14.5
    rogue, stop = scenario.faults
    rec.faults = [FaultRecord(rogue, t0 + 5.5, lambda: None), FaultRecord(stop, t0 + 9.5, lambda: None)]
    line = [["MASTER", "(VI_LAN) Entering MASTER STATE"]]
    rec.phase_evidence = [
        {"phase": name, "instance": None,
         "routers": {"r1": {"log": "r1.keepalived.log", "bytes": [0, 1], "states": states},
                     "r2": {"log": "r2.keepalived.log", "bytes": [0, 1], "states": []}}}
        for name, states in (("converge", line), ("rogue-mallory", [["BACKUP", "(VI_LAN) "
                             "Entering BACKUP STATE"]]), ("stop-mallory", line))]
    macs = {"r1": synthetic.R1_MAC, "r2": synthetic.R2_MAC}
    up = {"r1": ["192.168.1.10", "192.168.1.1"], "r2": ["192.168.1.20"]}
    down = {"r1": ["192.168.1.10"], "r2": ["192.168.1.20"]}
    rec.snapshots = [
        Snapshot("converge", t0 + 1.2, "r1", ["r1"], states={"r1": "MASTER", "r2": "BACKUP"},
                 vips=up, macs=macs, client_arp=synthetic.R1_MAC),
        Snapshot("rogue-mallory", t0 + 6.3, None, [], states={"r1": "BACKUP", "r2": "BACKUP"},
                 vips=down, macs=macs, client_arp=synthetic.R1_MAC),
        Snapshot("stop-mallory", t0 + 12.7, "r1", ["r1"], states={"r1": "MASTER", "r2": "BACKUP"},
                 vips=up, macs=macs, client_arp=synthetic.R1_MAC),
    ]
    results = build_results(rec)
    failed = [c for c in results["checks"] if not c["ok"]]
    assert failed == [] and results["verdict"] == "pass"
    attack, back = results["faults"]
    assert attack["foreign_adverts"] == {"count": 4, "sources": ["192.168.1.66"], "priorities": [255]}
    assert attack["masters_seen"] == ["r1"] and attack["lost_probes"] > 300
    assert attack["attack"]["password_read"] == "Lab2pass" and attack["attack"]["sent"] == 4
    assert back["new_master"] == "r1" and back["takeover_s"] == pytest.approx(3.234)
    assert back["answered_after_s"] == pytest.approx(3.24, abs=0.02)
    assert results["attackers"]["mallory"]["password_read"] == "Lab2pass"
    assert any(a["router"] == "mallory" for a in results["timeline"]["adverts"])
    from vrrplab.analysis.report import plot_timeline, summary
    text = summary(results)
    assert "read the password 'Lab2pass'" in text and "the last reply 0.700 s after" in text
    assert plot_timeline(results, tmp_path / "t.png").exists()


class StandInLab(FakeLab):
    """Runs a harmless stand-in for the attacker (prints its JSON lines, sends nothing)."""

    STAND_IN = ("import json, signal, sys, time\n"
                "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
                "print(json.dumps({'t': time.time(), 'event': 'sniffed', 'password': 'Lab2pass'}))\n"
                "print(json.dumps({'t': time.time(), 'event': 'forging', 'src': '192.168.1.66',"
                " 'priority': 255}), flush=True)\n"
                "time.sleep(60)\n")

    def __init__(self):
        super().__init__()
        self.argv: list[str] = []

    def popen(self, node, argv, **kwargs):
        import subprocess
        import sys
        self.argv = argv
        return subprocess.Popen([sys.executable, "-c", self.STAND_IN], **kwargs)


def test_attack_fault_starts_logs_and_stops_the_attacker(tmp_path):
    scenario = load_scenario(ROOT / "scenarios/rogue-router.yaml")
    ctx = SimpleNamespace(topology=scenario.topology, lab=StandInLab(), out=tmp_path, attacks={})
    at, undo = faults.rogue_router(ctx, scenario.faults[0])
    assert ctx.lab.argv[1:] == ["-m", "vrrplab.faults.attack", "rogue", "--interval", "1",
                                "--iface", "eth0", "--vrid", "10"]
    proc = ctx.attacks["mallory"]
    assert proc.poll() is None  # forging: it runs until stop_attack
    stop_at, _ = faults.stop_attack(ctx, scenario.faults[1])
    assert proc.poll() is not None and stop_at >= at and ctx.attacks == {}
    undo()  # idempotent: nothing left to stop
    events = read_attack_log(tmp_path / "mallory.attack.log")
    assert [e["event"] for e in events] == ["sniffed", "forging"]


def test_zero_storm_speaks_in_the_current_masters_name(tmp_path):
    scenario = load_scenario(ROOT / "scenarios/priority-zero-storm.yaml")
    speakers = {"r1": SimpleNamespace(state=lambda: "BACKUP"),
                "r2": SimpleNamespace(state=lambda: "MASTER")}
    ctx = SimpleNamespace(topology=scenario.topology, lab=StandInLab(), out=tmp_path, attacks={},
                          speakers=speakers)
    _, undo = faults.zero_storm(ctx, scenario.faults[0])
    undo()
    assert ctx.lab.argv[3:8] == ["zero-storm", "--spoof", "192.168.1.20", "--rate", "1.5"]
