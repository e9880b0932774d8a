"""Turn a run's raw record into the results document (`results.json`).

Reads the artifacts the run left (pcap, probe log) plus the runner's record,
computes each fault's numbers with `metrics`, the named checks with `checks`,
and the verdict. The schema is documented in docs/ARCHITECTURE.md; every time
is in seconds, and every instant (`*_s` on the timeline) is relative to `t0`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from vrrplab import faults as fault_kinds
from vrrplab import metrics
from vrrplab.capture import read_pcap
from vrrplab.checks import build_checks
from vrrplab.probe import read_probe_log

SCHEMA_VERSION = 1


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def build_results(record) -> dict:
    scenario = record.scenario
    topo = scenario.topology
    vrrp = topo.vrrp
    lan = topo.lan_instance()
    t0 = record.t0
    ip_to_router = {str(r.interface(lan.interface).address.ip): r.name for r in topo.routers}
    adverts, arps = read_pcap(record.out / "capture.pcap")
    lan_adverts = [a for a in adverts if a.vrid == lan.vrid]
    targets = [str(t) for t in scenario.probe.targets]
    traces = read_probe_log(record.out / "probes.log", targets)

    faults = []
    ends = [f.at for f in record.faults[1:]] + [record.probe_end or record.end]
    for fr, end in zip(record.faults, ends):
        faults.append(_fault_result(fr, end, lan_adverts, lan.vrid, traces, ip_to_router,
                                    vrrp, t0, targets[0]))

    results = {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "lesson": scenario.lesson,
        "topology": topo.name,
        "speaker": _speaker_label(record.speakers),
        "speakers": record.speakers,
        "run_id": record.run_id,
        "started_at": dt.datetime.fromtimestamp(t0, dt.timezone.utc).isoformat(timespec="milliseconds"),
        "t0": t0,
        "duration_s": _r(record.end - t0, 3),
        "interrupted": record.interrupted,
        "errors": record.errors,
        "vrrp": {
            "version": vrrp.version,
            "advert_int_s": vrrp.advert_int,
            "vrid": lan.vrid,
            "vip": str(lan.vips[0].ip),
            "preempt": vrrp.preempt,
            "use_vmac": vrrp.use_vmac,
            "routers": {r.name: {"priority": r.priority,
                                 "ip": str(topo.node(r.name).interface(lan.interface).address.ip),
                                 "skew_time_s": _r(vrrp.skew_time(r.name)),
                                 "master_down_interval_s": _r(vrrp.master_down_interval(r.name))}
                        for r in vrrp.routers},
        },
        "probe": {"source": scenario.probe.source, "interval_s": record.probe_interval,
                  "targets": targets},
        "faults": faults,
        "snapshots": [{**s, "t": _r(s["t"] - t0)} for s in record.snapshots],
        "timeline": {
            "adverts": [{"t": _r(a.t - t0), "router": ip_to_router.get(a.src, a.src), "src": a.src,
                         "vrid": a.vrid, "priority": a.priority, "version": a.version, "ttl": a.ttl}
                        for a in adverts],
            "arp": [{"t": _r(a.t - t0), "op": a.op, "ip": a.ip, "mac": a.mac,
                     "gratuitous": a.gratuitous} for a in arps],
        },
        "probes": {t: {"sent": [_r(s - t0) for s in tr.sent],
                       "recv": [_r(r - t0) if r is not None else None for r in tr.recv]}
                   for t, tr in traces.items()},
        "evidence": record.evidence,
        "config_warnings": record.config_warnings,
        "speaker_cpu_s": record.cpu_s,
        "auth_evidence": record.auth_evidence,
        "auth_mismatch": len({vrrp.auth_pass_of(r.name)[:8] for r in vrrp.routers
                              if vrrp.auth_pass_of(r.name)}) > 1,
        "artifacts": _artifacts(record),
    }
    for fault in results["faults"]:
        target = vrrp.router(fault["target"])
        if fault["bound_kind"] == "healthcheck" and fault["kind"] == "cut_upstream":
            fault["degraded_priority"] = target.priority + sum(
                s.weight for s in target.track_scripts if s.weight < 0)
    results["checks"] = build_checks(results)
    failed = [c for c in results["checks"] if not c["ok"]]
    results["verdict"] = "fail" if failed or record.errors or not results["checks"] else "pass"
    if record.interrupted:
        results["verdict"] = "interrupted"
    return results


def _fault_result(fr, end, adverts, vrid, traces, ip_to_router, vrrp, t0, gateway) -> dict:
    fault = fr.fault
    at = fr.at
    new_master_ip, old_master_ip = metrics.masters_around(adverts, at, end, 2 * vrrp.advert_int)
    changed = new_master_ip is not None and new_master_ip != old_master_ip
    first_new = metrics.first_advert_after(adverts, at, new_master_ip, vrid) if changed else None
    old_last = metrics.last_advert_before(adverts, at, old_master_ip, vrid) if old_master_ip else None
    old_last_in_window = metrics.last_advert_before(adverts, end, old_master_ip, vrid) \
        if changed and old_master_ip else None
    takeover = first_new.t - at if first_new else None
    adverts_before = old_last
    new_master = ip_to_router.get(new_master_ip, new_master_ip)
    bound_kind = fault.bound or fault_kinds.BOUNDS[fault.kind]
    bound = fault_kinds.bound_s(bound_kind, fault, vrrp)
    per_target = {}
    for target, trace in traces.items():
        impact = metrics.data_impact(trace.sent, trace.recv, at, end)
        per_target[target] = {"data_gap_s": _r(impact.data_gap_s), "lost_probes": impact.lost_probes,
                              "delayed_probes": impact.delayed_probes,
                              "recovered_at_s": _r(impact.recovered_at - t0)
                              if impact.recovered_at else None}
    gateway_impact = per_target.get(gateway, {"data_gap_s": None, "lost_probes": 0,
                                              "delayed_probes": 0})
    return {
        "name": fault.name,
        "kind": fault.kind,
        "target": fault.target,
        "at_s": _r(at - t0),
        "takeover_s": _r(takeover),
        "data_gap_s": gateway_impact["data_gap_s"],
        "lost_probes": gateway_impact["lost_probes"],
        "delayed_probes": gateway_impact["delayed_probes"],
        "bound_s": _r(bound),
        "bound_kind": bound_kind,
        "new_master": new_master,
        "expected_master": fault.expect_master,
        "old_master": ip_to_router.get(old_master_ip, old_master_ip),
        "since_last_advert_s": _r(at - adverts_before.t) if adverts_before else None,
        "takeover_after_last_advert_s": _r(first_new.t - adverts_before.t)
        if first_new and adverts_before else None,
        "old_master_last_advert_s": _r(old_last_in_window.t - at)
        if old_last_in_window and old_last_in_window.t >= at else None,
        "window_end_s": _r(end - t0),
        "takeover": fault.takeover,
        "silent": fault.kind in fault_kinds.SILENT,
        "masters_seen": sorted({ip_to_router.get(a.src, a.src) for a in adverts
                                if at <= a.t < end and a.priority > 0}),
        "priorities_seen": _priorities_seen(adverts, at, end, ip_to_router),
        "master_changes": metrics.master_changes(adverts, at, end),
        "settled_master": _router_name(metrics.settled_master(adverts, at, end), ip_to_router),
        "per_target": per_target,
        "error": fr.error,
    }


def _router_name(ip: str | None, ip_to_router: dict) -> str | None:
    return ip_to_router.get(ip, ip) if ip else None


def _priorities_seen(adverts, at: float, end: float, ip_to_router: dict) -> dict[str, list[int]]:
    seen: dict[str, set[int]] = {}
    for a in adverts:
        if at <= a.t < end:
            seen.setdefault(ip_to_router.get(a.src, a.src), set()).add(a.priority)
    return {router: sorted(p) for router, p in sorted(seen.items())}


def _speaker_label(speakers: dict[str, str]) -> str:
    kinds = list(speakers.values())
    return kinds[0] if len(set(kinds)) == 1 else "+".join(kinds)


def _artifacts(record) -> list[str]:
    return sorted(p.name for p in Path(record.out).iterdir() if p.is_file())


def write_results(results: dict, out: Path) -> Path:
    path = out / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)
    return path
