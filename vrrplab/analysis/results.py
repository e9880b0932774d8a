"""Turn a run's raw record into the results document (`results.json`).

Reads the artifacts the run left (pcap, probe log) plus the runner's record,
computes each fault's numbers with `metrics`, the named checks with `checks`,
and the verdict. The schema is documented in docs/ARCHITECTURE.md; every time
is in seconds, and every instant (`*_s` on the timeline) is relative to `t0`.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
from pathlib import Path

from vrrplab import i18n
from vrrplab.analysis import formula, metrics, timing
from vrrplab.analysis.checks import build_checks
from vrrplab.bundled.log import read_events
from vrrplab.faults.catalogue import ATTACK_KINDS, KINDS
from vrrplab.faults.files import PRIORITY_SCRIPT, attack_log, read_attack_log
from vrrplab.run.capture import read_dropped, read_pcap
from vrrplab.run.latency import LOG_NAME as LATENCY_LOG
from vrrplab.run.latency import read_latency
from vrrplab.run.probe import probe_log_name, read_probe_log
from vrrplab.vrrp import bounds

SCHEMA_VERSION = 2  # 2: two-sided timing windows (faults[].timing, gap_window), latency


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def build_results(record) -> dict:
    scenario = record.scenario
    topo = scenario.topology
    vrrp = topo.vrrp
    lan = topo.lan_instance()
    t0 = record.t0
    # IPv6 adverts come from the link-local address (RFC 5798 §5.1.2.1): both name the router
    ip_to_router = {str(a): r.name for r in topo.routers
                    for a in r.interface(lan.interface).own_addresses()}
    ip_to_node = {str(a): n.name for n in topo.nodes for i in n.interfaces
                  for a in i.own_addresses()}
    adverts, arps = read_pcap(record.out / "capture.pcap")
    targets = [str(t) for t in scenario.probe.targets]
    by_client = {p.source: read_probe_log(record.out / probe_log_name(n, p.source),
                                          [str(t) for t in p.targets])
                 for n, p in enumerate(scenario.probes)}
    traces = by_client[scenario.probe.source]
    attackers = _attackers(record, t0)
    gateways = topo.gateway_instances()
    snapshots = {s.label: s.as_dict() for s in record.snapshots}

    faults = []
    ends = [f.at for f in record.faults[1:]] + [record.probe_end or record.end]
    before = "converge"
    for fr, end in zip(record.faults, ends):
        gw = topo.gateway_of(fr.fault)
        client = scenario.client_of(gw)
        gateway_target = next(iter(by_client[client]))  # the client's first target
        fault = _fault_result(fr, end, [a for a in adverts if a.vrid == gw.vrid], gw,
                              by_client[client], ip_to_router, vrrp, t0, gateway_target)
        if fr.fault.kind in ATTACK_KINDS:
            fault["attack"] = _attack_run(attackers, fr, record.faults, t0)
        if len(gateways) > 1:
            fault["gateway"] = gw.name
            fault["gateways"] = {
                g.name: _gateway_result(g, scenario.client_of(g), by_client, adverts,
                                        ip_to_router, fr.at, end, vrrp.advert_int,
                                        snapshots.get(before), snapshots.get(fr.fault.name))
                for g in gateways}
        fault.update(_degraded_priority(fr.fault, fault["bound_kind"], vrrp))
        before = fr.fault.name
        faults.append(fault)

    results = {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "lesson": scenario.lesson,
        "topology": topo.name,
        "speaker": _speaker_label(record.speakers),
        "speakers": record.speakers,
        "speaker_versions": record.versions,
        # what the run changed for its speakers (speakers.fit): said, never silent
        "adapted": list(scenario.adapted),
        "scale": dict(scenario.scale),  # the lab grown by --routers / --vrids (loader.scale)
        "run_id": record.run_id,
        "started_at": dt.datetime.fromtimestamp(t0, dt.timezone.utc).isoformat(timespec="milliseconds"),
        "t0": t0,
        "duration_s": _r(record.end - t0, 3),
        "stages_s": stage_durations(record.marks, t0),
        "interrupted": record.interrupted,
        "signal": signal_name(record.signal),
        "errors": record.errors,
        "vrrp": {
            "version": vrrp.version,
            "advert_int_s": vrrp.advert_int,
            "vrid": lan.vrid,
            "vip": str(lan.ping_address()),  # IPv6: the global one, which the client pings
            "gateway_vip": str(lan.vips[0].ip),  # the first (IPv6: link-local, the gateway)
            "preempt": vrrp.preempt,
            "preempt_delay_s": vrrp.preempt_delay,
            # a sync group moves together: its members' VRIDs (the capture sees the LAN's)
            "sync_group_vrids": [i.vrid for i in vrrp.instances if i.vrid != lan.vrid]
            if vrrp.sync_group else [],
            "use_vmac": vrrp.use_vmac,
            # what VRRPv2 PASS puts on the wire (8 bytes, in clear): the security lessons
            # compare it with what the attacker read
            "auth_pass_on_wire": _wire_password(vrrp),
            "gateways": [{"instance": g.name, "vrid": g.vrid, "vip": str(g.ping_address()),
                          "client": scenario.client_of(g),
                          "priorities": {r.name: vrrp.priority(r.name, g.name)
                                         for r in vrrp.routers}} for g in gateways],
            "routers": {r.name: {"priority": r.priority,
                                 "ip": str(topo.node(r.name).interface(lan.interface).address.ip),
                                 "skew_time_s": _r(vrrp.skew_time(r.name)),
                                 "master_down_interval_s": _r(vrrp.master_down_interval(r.name)),
                                 "script_delay_s": _script_delay(r),
                                 # what its failing checks may take off (or add to) it
                                 "check_weights": [t.weight for t in r.track_scripts
                                                   if t.weight]}
                        for r in vrrp.routers},
        },
        "probe": {"source": scenario.probe.source, "interval_s": record.probe_interval,
                  "targets": targets},
        # load sharing: the other clients' probes, as "probes" holds the main one's
        "clients": {source: {"gateway": str(topo.node(source).gateway),
                             "probes": _probe_document(client_traces, t0)}
                    for source, client_traces in by_client.items()
                    if source != scenario.probe.source},
        "faults": faults,
        "snapshots": [{**s.as_dict(), "t": _r(s.t - t0)} for s in record.snapshots],
        "timeline": {
            "adverts": [{"t": _r(a.t - t0), "router": ip_to_node.get(a.src, a.src), "src": a.src,
                         "vrid": a.vrid, "priority": a.priority, "version": a.version, "ttl": a.ttl}
                        for a in adverts],
            "arp": [{"t": _r(a.t - t0), "op": a.op, "ip": a.ip, "mac": a.mac,
                     "gratuitous": a.gratuitous} for a in arps],
            # the sync group's other members, captured on their own links
            "member_adverts": [{"t": _r(a.t - t0), "router": ip_to_node.get(a.src, a.src),
                                "vrid": a.vrid, "priority": a.priority}
                               for a in _member_adverts(record.out)],
        },
        "probes": _probe_document(traces, t0),
        "phase_evidence": _phase_evidence(record, faults, t0),
        "config_warnings": record.config_warnings,
        # the routers' own keepalived.conf (run --config) and what lint says of them
        "given_configs": {**scenario.given.as_results(), "checks_tried": record.checks_tried}
        if scenario.given else None,
        "speaker_cpu_s": record.cpu_s,
        "speaker_usage": _usage(record.usage, t0),
        "auth_evidence": record.auth_evidence,
        "auth_mismatch": len({vrrp.auth_pass_of(r.name)[:8] for r in vrrp.routers
                              if vrrp.auth_pass_of(r.name)}) > 1,
        "attackers": attackers,
        "speaker_starts": _speaker_starts(record, t0),
        "latency": _latency(record.out / LATENCY_LOG, t0),
        # packets the kernel dropped before the client's tcpdump read them: a lost advert
        # would move a takeover's basis (null: tcpdump did not say)
        "capture_dropped": read_dropped(record.out / "capture.pcap"),
        "artifacts": _artifacts(record),
    }
    timing.annotate(results)
    with i18n.using(i18n.DEFAULT):  # results.json is English; the summary translates
        results["checks"] = build_checks(results)
    failed = [c for c in results["checks"] if not c["ok"]]
    results["verdict"] = "fail" if failed or record.errors or not results["checks"] else "pass"
    if record.interrupted:
        results["verdict"] = "interrupted"
    return results


def _member_adverts(out: Path) -> list:
    """Adverts captured on the sync group members' links (capture.<segment>.pcap), by time."""
    found = [a for pcap in sorted(Path(out).glob("capture.*.pcap")) for a in read_pcap(pcap)[0]]
    return sorted(found, key=lambda a: a.t)


def _phase_evidence(record, faults: list[dict], t0: float) -> list[dict]:
    """Each phase's log evidence, with its window in seconds since t0 (converge: from the
    start to the first fault; a fault: from its instant to the next one's)."""
    edges = [0.0] + [f["at_s"] for f in faults]
    last = record.phases_end or record.end
    ends = [f["at_s"] for f in faults] + [_r(last - t0) if last else None]
    return [{**phase, "window_s": [start, end]}
            for phase, start, end in zip(record.phase_evidence, edges, ends)]


def _script_delay(router) -> float:
    """How long a router's health checks take to notice a change: interval x rise, + timeout."""
    return bounds.healthcheck_notice_s(router.track_scripts, either_way=True)


def _speaker_starts(record, t0: float) -> dict[str, list[float]]:
    """When each bundled speaker's Startup set its timers (its `listening` lines), since t0;
    keepalived's log has no sub-second time, so its routers have none."""
    starts = {}
    for router, kind in record.speakers.items():
        if kind != "bundled":
            continue
        path = Path(record.out) / f"{router}.bundled.log"
        events = read_events(path.read_text(errors="replace")) if path.exists() else []
        starts[router] = [_r(e["at"] - t0) for e in events
                          if e["event"] == "listening" and isinstance(e.get("at"), (int, float))]
    return starts


def _latency(path: Path, t0: float) -> dict:
    """The sampler's figures, its stalls since t0 (vrrplab.run.latency)."""
    latency = read_latency(path)
    return {"samples": latency.samples, "p99_s": latency.p99_s, "max_s": _r(latency.max_s),
            "stalls": [[_r(a - t0), _r(b - t0)] for a, b in latency.stalls]}


def _probe_document(traces, t0: float) -> dict:
    return {t: {"sent": [_r(s - t0) for s in tr.sent],
                "recv": [_r(r - t0) if r is not None else None for r in tr.recv]}
            for t, tr in traces.items()}


def _gateway_result(gw, client, by_client, adverts, ip_to_router, at, end, advert_int,
                    before: dict | None, after: dict | None) -> dict:
    """Load sharing: what one gateway (one LAN instance) and its client lived through."""
    vip = str(gw.ping_address())  # what its client pings (IPv6: the global VIP)
    trace = by_client[client].get(vip)
    impact = _impact(trace, at, end) if trace else {}
    mine = [a for a in adverts if a.vrid == gw.vrid and a.src in ip_to_router]
    _new, old = metrics.masters_around(mine, at, end, bounds.masters_window_s(advert_int))

    def expected(snap):
        return (snap or {}).get("gateways", {}).get(gw.name, {}).get("expected_master")

    return {"vip": vip, "vrid": gw.vrid, "client": client,
            "expected_before": expected(before), "expected_master": expected(after),
            "old_master": _router_name(old, ip_to_router),
            **_mastership(mine, at, end, ip_to_router),
            "lost_probes": impact.get("lost_probes"), "delayed_probes": impact.get("delayed_probes"),
            "data_gap_s": impact.get("data_gap_s")}


def _mastership(adverts, at: float, end: float, ip_to_router) -> dict:
    """Who is master once the fault's window settles, and how often the role moved."""
    return {"settled_master": _router_name(metrics.settled_master(adverts, at, end), ip_to_router),
            "master_changes": metrics.master_changes(adverts, at, end)}


def _impact(trace, at: float, end: float) -> dict:
    """What the client's probes to one target lived through in the fault's window."""
    impact = metrics.data_impact(trace.sent, trace.recv, at, end)
    return {"data_gap_s": _r(impact.data_gap_s), "lost_probes": impact.lost_probes,
            "delayed_probes": impact.delayed_probes, "recovered_at": impact.recovered_at}


def _fault_result(fr, end, all_adverts, gw, traces, ip_to_router, vrrp, t0, gateway) -> dict:
    fault = fr.fault
    at = fr.at
    vrid = gw.vrid
    # who is master is decided among the lab's routers; an attacker's adverts
    # (another source address) are counted apart, as foreign_adverts
    adverts = [a for a in all_adverts if a.src in ip_to_router]
    foreign = [a for a in all_adverts if a.src not in ip_to_router and at <= a.t < end]
    around = bounds.masters_window_s(vrrp.advert_int)
    new_master_ip, old_master_ip = metrics.masters_around(adverts, at, end, around)
    if _silent_before(adverts, at, around):
        # the routers had been silenced (a rogue master): whoever speaks first takes over
        new_master_ip = next((a.src for a in adverts if at <= a.t < end and a.priority > 0), None)
        old_master_ip = None
    changed = new_master_ip is not None and new_master_ip != old_master_ip
    first_new = metrics.first_advert_after(adverts, at, new_master_ip, vrid) if changed else None
    old_last = metrics.last_advert_before(adverts, at, old_master_ip, vrid) if old_master_ip else None
    old_last_in_window = metrics.last_advert_before(adverts, end, old_master_ip, vrid) \
        if changed and old_master_ip else None
    takeover = first_new.t - at if first_new else None
    adverts_before = old_last
    new_master = ip_to_router.get(new_master_ip, new_master_ip)
    bound_kind = fault.bound or KINDS[fault.kind].bound
    bound = formula.fault_bound_s(bound_kind, fault, vrrp, gw.name)
    mastership = _mastership(adverts, at, end, ip_to_router)
    per_target = {}
    for target, trace in traces.items():
        impact = _impact(trace, at, end)
        recovered = impact.pop("recovered_at")
        per_target[target] = {**impact, "recovered_at_s": _r(recovered - t0) if recovered else None}
        per_target[target]["answered_after_s"] = _r(_answered_after(trace, at, end))
        per_target[target]["last_reply_s"] = _r(_last_reply(trace, at, end))
    gateway_impact = per_target.get(gateway, {"data_gap_s": None, "lost_probes": 0,
                                              "delayed_probes": 0, "answered_after_s": None,
                                              "last_reply_s": None})
    if fault.kind == "stop_attack" and fault.expect_master:
        # the attack is over: how long until the expected router advertises again
        # (at once if it kept the role, up to its Master_Down_Interval if silenced)
        expected_ip = next(ip for ip, r in ip_to_router.items() if r == fault.expect_master)
        first = metrics.first_advert_after(adverts, at, expected_ip, vrid)
        takeover = first.t - at if first else None
        new_master = _router_name(metrics.settled_master(adverts, at, end), ip_to_router)
    return {
        "name": fault.name,
        "kind": fault.kind,
        "target": fault.target,
        "priority": fault.priority,  # set_priority: the priority asked for
        "at_s": _r(at - t0),
        "takeover_s": _r(takeover),
        "data_gap_s": gateway_impact["data_gap_s"],
        "lost_probes": gateway_impact["lost_probes"],
        "delayed_probes": gateway_impact["delayed_probes"],
        "answered_after_s": gateway_impact["answered_after_s"],
        "last_reply_s": gateway_impact["last_reply_s"],
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
        "unstable": fault.unstable,
        "silent": KINDS[fault.kind].silences,
        "masters_seen": sorted({ip_to_router.get(a.src, a.src) for a in adverts
                                if at <= a.t < end and a.priority > 0}),
        "priorities_seen": _priorities_seen(adverts, at, end, ip_to_router),
        "master_changes": mastership["master_changes"],
        "zero_adverts": sum(1 for a in adverts if at <= a.t < end and a.priority == 0),
        "last_router_advert_s": _last_router_advert(adverts, at, end),
        "foreign_adverts": {"count": len(foreign), "sources": sorted({a.src for a in foreign}),
                            "priorities": sorted({a.priority for a in foreign})},
        "settled_master": mastership["settled_master"],
        "per_target": per_target,
        "error": fr.error,
        "vip": gateway,  # the gateway this fault is about, as its client pings it
        "applied_s": _r(fr.applied_at - fr.at) if fr.applied_at else None,
        "spread_s": _r(fr.spread_s),  # --spread-faults: the random wait before it
        # nothing fails over, the router keeps forwarding into its cut: upstream stays lost
        "upstream_cut": KINDS[fault.kind].cuts_upstream and not fault.takeover,
    }


def _degraded_priority(fault, bound_kind: str, vrrp) -> dict:
    """The priority the target advertises once degraded: set_priority's, or a failing
    health check's (its scripts' negative weights, not set_priority's own scripts)."""
    if bound_kind == bounds.HEALTHCHECK and fault.kind == "cut_upstream":
        target = vrrp.router(fault.target)
        return {"degraded_priority": target.priority + sum(
            s.weight for s in target.track_scripts
            if s.weight < 0 and not s.name.startswith(PRIORITY_SCRIPT))}
    if fault.kind == "set_priority":
        return {"degraded_priority": fault.priority}
    return {}


def _last_router_advert(adverts, at: float, end: float) -> float | None:
    """Since `at`, the last advert of any router in the window (a silenced LAN stops early)."""
    times = [a.t for a in adverts if at <= a.t < end and a.priority > 0]
    return _r(max(times) - at) if times else None


def _silent_before(adverts, at: float, recent: float) -> bool:
    """No router advertised (priority > 0) in the `recent` seconds before `at`."""
    return not any(at - recent <= a.t < at and a.priority > 0 for a in adverts)


def _answered_after(trace, at: float, end: float) -> float | None:
    """From `at` to the first reply to a probe sent after it (None: no reply in the window)."""
    replies = [r for s, r in zip(trace.sent, trace.recv) if at <= s < end and r is not None]
    return min(replies) - at if replies else None


def _last_reply(trace, at: float, end: float) -> float | None:
    """From `at` to the last reply received in the window (a lost gateway: early, then none)."""
    replies = [r for r in trace.recv if r is not None and at <= r < end]
    return max(replies) - at if replies else None


def _wire_password(vrrp) -> str | None:
    if vrrp.version != 2 or not vrrp.routers or not vrrp.auth_pass_of(vrrp.routers[0].name):
        return None
    return vrrp.auth_pass_of(vrrp.routers[0].name)[:8]


def _attackers(record, t0: float) -> dict:
    """Each attacker host's log (its JSON lines), and the password it read off the wire."""
    found = {}
    for node in record.scenario.topology.attackers:
        path = attack_log(record.out, node.name)
        if not path.exists():
            continue
        events = [{**e, "t": _r(e["t"] - t0)} for e in read_attack_log(path)
                  if isinstance(e.get("t"), (int, float))]
        read = [e.get("password") for e in events if e.get("event") == "sniffed"]
        found[node.name] = {"log": path.name, "password_read": next(iter(read), None),
                            "events": events}
    return found


def _attack_run(attackers: dict, fr, records, t0: float) -> dict:
    """What the attacker said during this attack: from its start to the next one it ran."""
    node = fr.fault.target
    later = [f.at for f in records if f.fault.target == node and f.at > fr.at
             and f.fault.kind in ATTACK_KINDS]
    start, stop = fr.at - t0, (min(later) - t0) if later else float("inf")
    events = [e for e in attackers.get(node, {}).get("events", []) if start <= e["t"] < stop]
    sniffed = next((e for e in events if e["event"] == "sniffed"), {})
    forging = next((e for e in events if e["event"] == "forging"), {})
    stopped = next((e for e in events if e["event"] == "stopped"), {})
    return {"password_read": sniffed.get("password"), "sniffed_from": sniffed.get("src"),
            "forged_src": forging.get("src"), "forged_priority": forging.get("priority"),
            "forging_at_s": forging.get("t"), "sent": stopped.get("sent")}


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


# the run's stages in order, each ending at the runner's mark of that name (RunRecord.marks)
STAGES = (("lab_build", "lab_built"), ("speakers_start", "speakers_up"),
          ("first_master", "first_master"), ("probes_start", "probes_started"),
          ("arp_settle", "arp_settled"), ("steps", "steps_done"), ("teardown", "teardown_done"))


def stage_durations(marks: dict[str, float], t0: float) -> dict[str, float]:
    """How long each stage the run reached took, from the previous mark (or its start)."""
    durations, since = {}, t0
    for stage, mark in STAGES:
        if mark in marks:
            durations[stage] = _r(marks[mark] - since, 3)
            since = marks[mark]
    return durations


def add_report_stage(results: dict, seconds: float) -> None:
    """The last stage, timed by the command that writes results.json, the plot and the
    page: known only once they are written."""
    results.setdefault("stages_s", {})["report"] = _r(seconds, 3)


def signal_name(signum: int | None) -> str | None:
    return signal.Signals(signum).name if signum else None


def mark_interrupted(results: dict, signum: int) -> None:
    """A stop signal came after the steps (teardown, plot, report): what was measured
    stands, the checks too; the run is marked interrupted."""
    results["interrupted"] = True
    results["signal"] = signal_name(signum)
    results["verdict"] = "interrupted"


def skipped_results(scenario, speakers: dict[str, str], reasons: list[dict],
                    run_id: str) -> dict:
    """results.json of a run that did not start: a speaker lacks what the scenario needs
    (speakers.fit). Verdict "skipped", exit 0: never a failure, never run without it."""
    return {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "lesson": scenario.lesson,
        "topology": scenario.topology.name,
        "scale": dict(scenario.scale),
        "speaker": _speaker_label(speakers),
        "speakers": speakers,
        "run_id": run_id,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
        "verdict": "skipped",
        "skipped_because": reasons,
        "interrupted": False,
        "errors": [],
        "faults": [],
        "checks": [],
    }


def _usage(usage: dict, t0: float) -> dict:
    """Each daemon's CPU and memory at convergence and at the steps' end, instants from t0,
    its pid, and its CPU share in between (the steady state: start-up excluded). None when
    the two samples are of different processes (a fault stopped and restarted the daemon:
    the second one's CPU counts from its own start)."""
    shown = {}
    for router, samples in usage.items():
        shown[router] = {when: {"t_s": _r(s["t"] - t0, 3), "pid": s.get("pid"),
                                "cpu_s": _r(s["cpu_s"], 2), "rss_kib": s["rss_kib"]}
                         for when, s in samples.items()}
        first, last = samples.get("converged"), samples.get("end")
        if first and last and last["t"] - first["t"] > 0:
            shown[router]["steady_cpu_percent"] = _r(
                100 * (last["cpu_s"] - first["cpu_s"]) / (last["t"] - first["t"]), 3) \
                if first.get("pid") == last.get("pid") else None
    return shown


def write_results(results: dict, out: Path) -> Path:
    path = out / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)
    return path
