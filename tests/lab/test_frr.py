"""FRR's vrrpd as a speaker, alone and paired with the others, for real. Needs root.

The bounds are the RFC's, from the configured priorities and interval (RFC 3768 §6.1: the
textbook runs VRRPv2 at 1 s): a priority-0 advert moves the role after the backup's
Skew_Time, a returning r1 preempts after its own Master_Down_Interval. vrrpd computes its
Skew_Time in whole centiseconds, rounded down (its windows say so: analysis/windows.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.lab.hostcheck import host_snapshot

pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
SKEW_R2 = (256 - 100) / 256  # r2, priority 100
MDI_R1 = 3 + (256 - 120) / 256  # r1, priority 120, returning


def _run(tmp_path, scenario: str, speaker: str) -> dict:
    proc = subprocess.run([*VRRPLAB, "run", scenario, "--speaker", speaker,
                           "--out", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=180)
    results = json.loads(proc.stdout)
    assert proc.returncode == 0, (proc.stderr, [c for c in results.get("checks", [])
                                                if not c["ok"]])
    return results


def _run_dir(tmp_path, scenario: str):
    [run] = (tmp_path / scenario).iterdir()
    return run


@pytest.mark.parametrize("speaker, kinds", [
    ("frr", {"r1": "frr", "r2": "frr"}),
    ("r1=frr,r2=keepalived", {"r1": "frr", "r2": "keepalived"}),
    ("r1=bundled,r2=frr", {"r1": "bundled", "r2": "frr"}),
])
def test_failover_basic_on_frr_and_with_frr(tmp_path, speaker, kinds):
    before = host_snapshot(tmp_path)
    results = _run(tmp_path, "failover-basic", speaker)
    assert results["verdict"] == "pass" and results["speakers"] == kinds
    frr_routers = [r for r, k in kinds.items() if k == "frr"]
    assert all(results["speaker_versions"][r].startswith("frr 8.") for r in frr_routers)
    # the textbook's password and sync group left out on both routers, said; the virtual MAC
    assert [(a["change"], a.get("feature")) for a in results["adapted"]] == [
        ("without", "auth"), ("without", "sync_group"), ("use_vmac", None)]
    stop, restart = results["faults"]
    assert stop["new_master"] == "r2" and restart["new_master"] == "r1"
    assert stop["bound_s"] == pytest.approx(SKEW_R2, abs=0.01)
    assert restart["bound_s"] == pytest.approx(MDI_R1, abs=0.01)
    run = _run_dir(tmp_path, "failover-basic")
    for router in frr_routers:
        log = (run / f"{router}.frr.log").read_text()
        assert "-> Master" in log, log[-2000:]
        assert (run / f"{router}.frr.conf").read_text().count("vrrp 10 ") >= 4
        # vrrpd's own view at the end (vtysh show vrrp json): r1 is back as master
        view = json.loads((run / f"{router}.frr-show-vrrp.json").read_text())
        lan = next(v for v in view if v["vrid"] == 10)
        assert lan["v4"]["status"] == ("Master" if router == "r1" else "Backup"), lan
    assert host_snapshot(tmp_path) == before



def _runs_on_frr() -> list[str]:
    from vrrplab.loader import list_scenarios, load_scenario
    from vrrplab.speakers import fit

    names = []
    for path in list_scenarios():
        scenario = load_scenario(path)
        if not fit.missing(scenario, {r.name: "frr" for r in scenario.topology.routers}):
            names.append(scenario.name)
    return names


# What vrrpd does on this kernel that the lesson does not expect: a finding, measured and
# kept, never a check loosened. vrrpd steps down by putting its macvlan in protodown
# (no carrier); the VIP stays a local address and the kernel still delivers what the
# bridge sends to the virtual MAC, which it learnt from the old master: silenced by a
# rogue priority-255 router, r1 keeps answering the client's pings.
# Over IPv6 (features.KNOWN["frr"]["ipv6"], FRR 8.4's vrrpd with its zebra): a router that
# becomes master finds no link-local address on its macvlan yet (zebra reports it up before
# putting its addresses back), drops its pending advert and sends the next at its
# Adver_Timer, so both takeovers fail their windows, every time.
KNOWN_FINDINGS = {
    "rogue-router": ["rogue-mallory: the client loses its gateway"],
    "ipv6": ["stop-r1: takeover within the RFC window",
             "restart-r1: takeover within the RFC window"],
}
# Checks a known finding fails in some runs only, named so that nothing else may fail.
# ipv6: r1's first advert comes one interval late at the first convergence too, so r2's
# Master_Down_Timer expires and r2 is Master as well for about an interval; the converge
# snapshot sees the VIP up on both when it falls in it (3 runs in 15 here). After a
# fault the client loses nothing (0 probes over those 15 runs): both "ping ... resumes"
# checks must pass, since a protodown macvlan still receives and, with IPv6's
# ignore_routes_with_linkdown, answers through its parent (features.py says more).
MAY_FAIL = {"ipv6": ["VIP on r1's interface only"]}
# the faults whose new master's first advert vrrpd sends one advertisement interval late
ONE_INTERVAL_LATE = {"ipv6": ["stop-r1", "restart-r1"]}


def _one_interval_late(results: dict, fault_name: str) -> None:
    """The takeover is the RFC's, with the window's own parts, plus exactly one advert
    interval (vrrpd's Adver_Timer: its first advert was dropped, the next goes one interval
    on); the unsolicited NAs for the gateway go at the RFC's instant, inside the window."""
    fault = next(f for f in results["faults"] if f["name"] == fault_name)
    timing, interval = fault["timing"], results["vrrp"]["advert_int_s"]
    assert timing["verdict"] == "late", timing
    measured = timing["measured_s"]
    assert timing["lower_s"] + interval <= measured <= timing["upper_s"] + interval, \
        (fault_name, measured, timing["lower_s"], timing["upper_s"], interval)
    gateway = results["vrrp"]["gateway_vip"]
    [na, *_] = [a["t"] for a in results["timeline"]["arp"]
                if a["op"] == "na" and a["gratuitous"] and a["ip"] == gateway
                and a["t"] > fault["at_s"]]
    assert timing["lower_s"] <= na - timing["basis_at_s"] <= timing["upper_s"], \
        (fault_name, na - timing["basis_at_s"], timing["lower_s"], timing["upper_s"])


@pytest.mark.parametrize("scenario", [s for s in _runs_on_frr() if s != "failover-basic"])
def test_every_scenario_frr_can_run(scenario, tmp_path):
    proc = subprocess.run([*VRRPLAB, "run", scenario, "--speaker", "frr",
                           "--out", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout)
    failed = [c["name"] for c in results["checks"] if not c["ok"]]
    expected = KNOWN_FINDINGS.get(scenario, [])
    known = expected + MAY_FAIL.get(scenario, [])
    assert [f for f in failed if not any(f.startswith(e) for e in known)] == [], \
        (proc.stderr[-3000:], failed)
    assert all(any(f.startswith(e) for f in failed) for e in expected), \
        f"{scenario}: the known finding is gone: {expected}"
    assert proc.returncode == (1 if expected else 0)
    assert set(results["speakers"].values()) == {"frr"}
    for fault_name in ONE_INTERVAL_LATE.get(scenario, []):
        _one_interval_late(results, fault_name)
    for check in results["checks"]:
        if not check["ok"] and check["name"].startswith("VIP on r1's interface only"):
            assert " is on r1, r2;" in check["detail"], check  # both Master, none lost it
    # the run says why, beside its checks (features.KNOWN through speakers.fit)
    assert [a["feature"] for a in results["adapted"] if a["change"] == "known"] == (
        ["ipv6"] if scenario in ONE_INTERVAL_LATE else [])
