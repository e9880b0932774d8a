"""Explain a run: the human summary and the timeline plot, from results.json alone.

Nothing here needs root or a lab: `vrrplab report DIR` can redraw an old run.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from vrrplab.analysis.metrics import DELAYED_S


def load_results(path: Path) -> dict:
    if path.is_dir():
        path = path / "results.json"
    return json.loads(path.read_text())


def _s(value) -> str:
    return "never" if value is None else f"{value:.3f} s"


def summary(results: dict) -> str:
    vrrp = results["vrrp"]
    gateways = vrrp.get("gateways", [])
    vips = (", ".join(f"VIP {g['vip']} VRID {g['vrid']} for {g['client']}" for g in gateways)
            if len(gateways) > 1 else f"VIP {vrrp['vip']}, VRID {vrrp['vrid']}")
    lines = [f"{results['scenario']} on {results['speaker']} (VRRPv{vrrp['version']}, "
             f"advert {vrrp['advert_int_s']:g} s, {vips})"]
    for f in results["faults"]:
        lines.append(f"  {f['name']}: {f['kind']} {f['target']} at {f['at_s']:.3f} s -> {_outcome(f)}")
        if f.get("attack"):
            lines.append(f"      {_attack_line(f)}")
        for target, impact in f["per_target"].items():
            lines.append(f"      ping {target}: {_impact(f, impact)}")
        for name, gw in f.get("gateways", {}).items():
            lines.append(f"      {_gateway_line(name, gw)}")
    for router, warnings in results.get("config_warnings", {}).items():
        lines += [f"  {router}'s config check warned: {w.strip()}" for w in warnings]
    latency = results.get("latency")
    if latency and latency.get("samples"):
        lines.append(f"  this machine: timer wake-up p99 {latency['p99_s'] * 1000:.1f} ms, worst "
                     f"{latency['max_s'] * 1000:.1f} ms over {latency['samples']} sleeps "
                     f"(a stall at a timer's expiry widens that window, and says so)")
    checks = results["checks"]
    passed = sum(c["ok"] for c in checks)
    unjudged = sum(1 for c in checks if c.get("judged") is False)
    lines.append(f"checks: {passed}/{len(checks)} ok" +
                 (f" ({unjudged} not judged: the machine was too busy)" if unjudged else ""))
    for c in checks:
        mark = "ok" if c["ok"] else "FAIL"
        mark = "not judged" if c.get("judged") is False else mark
        lines.append(f"  [{mark}] {c['name']}: {c['detail']}")
    if results.get("lesson"):
        lines.append(textwrap.fill(results["lesson"], width=88, initial_indent="why: ",
                                   subsequent_indent="     "))
    verdict = f"verdict: {results['verdict'].upper()}"
    if unjudged:  # a pass with a check the machine was too busy to judge says so
        verdict += f" ({unjudged} timing check{'s' if unjudged > 1 else ''} not judged)"
    lines.append(verdict)
    return "\n".join(lines)


def _outcome(f: dict) -> str:
    bound = "Skew_Time" if f["bound_kind"] == "skew_time" else f["bound_kind"]
    if f["expected_master"] is None:
        outcome = (f"the routers stepped down (last advert {_s(f.get('last_router_advert_s'))} "
                   f"after the fault): no master, the VIP on no router")
    elif f.get("unstable"):
        outcome = "repeated elections"
    elif f["takeover_s"] is None:
        outcome = f"{f['new_master'] or 'nobody'} stays master, no takeover"
    elif f["kind"] == "stop_attack":
        outcome = (f"{f['expected_master']} advertises {_s(f['takeover_s'])} after the attack "
                   f"stopped (RFC bound {f['bound_s']:.3f} s, {bound})")
    else:
        outcome = (f"{f['new_master']} master after {_s(f['takeover_s'])} "
                   f"(RFC bound {f['bound_s']:.3f} s, {bound})")
    timing = f.get("timing")
    if timing and timing.get("measured_s") is not None:
        # the judged figure: from the instant the RFC counts from, in its two-sided window
        outcome += (f"; {timing['measured_s']:.3f} s from {timing['basis']}; RFC "
                    f"{timing['figure']} {timing['figure_s']:.3f} s, window "
                    f"{timing['lower_s']:.3f}-{timing['upper_s']:.3f} s")
    if f.get("master_changes", 0) > 1 or f.get("unstable"):
        outcome += f"; {f['master_changes']} changes of master on the wire"
    return outcome


def _gateway_line(name: str, gw: dict) -> str:
    """Load sharing: one group's fate across a fault, as its own client saw it."""
    before, after = gw["expected_before"], gw["expected_master"]
    moved = f"moves {before} -> {after}" if before != after else f"stays on {after}"
    return (f"group {name} ({gw['vip']}, VRID {gw['vrid']}): {moved}; {gw['client']} lost "
            f"{gw['lost_probes']} probes, longest gap {_s(gw['data_gap_s'])}")


def _impact(f: dict, impact: dict) -> str:
    lost = (f"{impact['lost_probes']} lost, {impact['delayed_probes']} answered late "
            f"(> {DELAYED_S * 1000:g} ms)")
    if f["expected_master"] is None:  # no recovery in this window: say when replies stopped
        return f"{lost}; the last reply {_s(impact.get('last_reply_s'))} after the fault"
    if f["kind"] == "stop_attack":
        return f"answered again {_s(impact.get('answered_after_s'))} after the attack stopped, {lost}"
    return f"longest gap {_s(impact['data_gap_s'])}, {lost}"


def _attack_line(f: dict) -> str:
    """What the attacker read and forged, and whether the routers heard it."""
    attack, foreign = f["attack"], f.get("foreign_adverts", {})
    said = []
    if attack.get("password_read") is not None:
        said.append(f"read the password {attack['password_read']!r} off the wire")
    if attack.get("forged_src"):
        said.append(f"forged adverts from {attack['forged_src']} with priority "
                    f"{attack['forged_priority']} ({attack.get('sent') or '?'} sent)")
    seen = (f"{f.get('zero_adverts', 0)} priority-0 adverts" if f["kind"] == "zero_storm"
            else f"{foreign.get('count', 0)} foreign adverts")
    return f"{f['target']} {', '.join(said) or 'said nothing'}; the client saw {seen}"


def plot_timeline(results: dict, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_data, ax_ctl) = plt.subplots(2, 1, sharex=True, figsize=(14, 6),
                                          gridspec_kw={"height_ratios": [1, 1]})
    _plot_probes(ax_data, results)
    _plot_control_plane(ax_ctl, results)
    for ax in (ax_data, ax_ctl):
        _mark_faults(ax, results)
    vrrp = results["vrrp"]
    fig.suptitle(f"{results['scenario']} on {results['speaker']} - VRRPv{vrrp['version']}, "
                 f"advert {vrrp['advert_int_s']:g} s - {results['verdict'].upper()}")
    ax_ctl.set_xlabel("seconds since the run started")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_probes(ax, results: dict) -> None:
    """Round-trip time of every probe, log scale; lost probes as red ticks on top."""
    colors = ["tab:green", "tab:cyan", "tab:olive", "tab:gray"]
    top = 1.0
    main = results["probe"]["source"]
    traces = [(main, t, tr) for t, tr in results["probes"].items()]
    traces += [(client, t, tr) for client, seen in results.get("clients", {}).items()
               for t, tr in seen["probes"].items()]
    for i, (client, target, trace) in enumerate(traces):
        who = f"{client} " if len(traces) > len(results["probes"]) else ""
        ok = [(s, (r - s) * 1000) for s, r in zip(trace["sent"], trace["recv"]) if r is not None]
        lost = [s for s, r in zip(trace["sent"], trace["recv"]) if r is None]
        if ok:
            xs, ys = zip(*ok)
            top = max(top, max(ys))
            ax.plot(xs, ys, ".", markersize=2, color=colors[i % len(colors)],
                    label=f"{who}ping {target}: reply time")
        if lost:
            ax.plot(lost, [top * 2] * len(lost), "|", color="tab:red", markersize=8,
                    label="lost" if i == 0 else None)
    ax.set_yscale("log")
    ax.set_ylabel("reply time (ms)")
    clients = ", ".join([main, *results.get("clients", {})])
    ax.set_title(f"What the client ({clients}) saw: a probe every "
                 f"{results['probe']['interval_s'] * 1000:g} ms to each target", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, markerscale=4)


def _plot_control_plane(ax, results: dict) -> None:
    gateways = results["vrrp"].get("gateways", [])
    if len(gateways) > 1:  # load sharing: a row per router and gateway
        _plot_gateways(ax, results, gateways)
        return
    vrid = results["vrrp"]["vrid"]
    # the routers, then whoever else advertised (an attacker), each on its own row
    routers = list(results["vrrp"]["routers"])
    routers += sorted({a["router"] for a in results["timeline"]["adverts"]
                       if a["vrid"] == vrid and a["router"] not in routers})
    colors = dict(zip(results["vrrp"]["routers"],
                      ["tab:blue", "tab:orange", "tab:purple", "tab:brown"]))
    goodbye_labelled = False
    for y, router in enumerate(routers):
        ads = [a for a in results["timeline"]["adverts"]
               if a["router"] == router and a["vrid"] == vrid]
        live = [a["t"] for a in ads if a["priority"] > 0]
        zero = [a["t"] for a in ads if a["priority"] == 0]
        known = results["vrrp"]["routers"].get(router)
        prio = known["priority"] if known else "/".join(sorted({str(a["priority"]) for a in ads
                                                                 if a["priority"] > 0}))
        who = router if known else f"{router} forged"
        ax.scatter(live, [y] * len(live), marker="o", s=18, color=colors.get(router, "tab:red"),
                   label=f"{who} advert (priority {prio})")
        if zero:
            ax.scatter(zero, [y] * len(zero), marker="X", s=60, color="black",
                       label=None if goodbye_labelled else "priority 0: goodbye")
            goodbye_labelled = True
        garps = [a["t"] for a in results["timeline"]["arp"]
                 if a["gratuitous"] and a["ip"] == results["vrrp"]["vip"]
                 and _mac_owner(results, a["mac"]) == router]
        announce = "unsolicited NA" if ":" in results["vrrp"]["vip"] else "gratuitous ARP"
        ax.scatter(garps, [y + 0.25] * len(garps), marker="v", s=20, color=colors.get(router),
                   label=f"{router} {announce}" if garps else None)
    ax.set_yticks(range(len(routers)))
    ax.set_yticklabels(routers)
    ax.set_ylim(-0.7, len(routers) - 0.2)
    ax.set_title(f"Who is master: VRRP adverts for VRID {vrid} seen on the wire", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _plot_gateways(ax, results: dict, gateways: list[dict]) -> None:
    """One row per (gateway, router): who advertises each VRID, and the goodbyes."""
    colors = dict(zip(results["vrrp"]["routers"],
                      ["tab:blue", "tab:orange", "tab:purple", "tab:brown"]))
    rows = [(gw, router) for gw in gateways for router in results["vrrp"]["routers"]]
    goodbye_labelled = False
    for y, (gw, router) in enumerate(rows):
        ads = [a for a in results["timeline"]["adverts"]
               if a["router"] == router and a["vrid"] == gw["vrid"]]
        live = [a["t"] for a in ads if a["priority"] > 0]
        zero = [a["t"] for a in ads if a["priority"] == 0]
        ax.scatter(live, [y] * len(live), marker="o", s=18, color=colors.get(router),
                   label=f"{router} advert" if gw is gateways[0] else None)
        if zero:
            ax.scatter(zero, [y] * len(zero), marker="X", s=60, color="black",
                       label=None if goodbye_labelled else "priority 0: goodbye")
            goodbye_labelled = True
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r} VRID {gw['vrid']} ({gw['priorities'][r]})" for gw, r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.2)
    ax.set_title("Who is master of each gateway: adverts per VRID seen on the wire", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _mac_owner(results: dict, mac: str) -> str | None:
    for snap in results["snapshots"]:
        for router, router_mac in snap["macs"].items():
            if router_mac == mac:
                return router
    return None


def _mark_faults(ax, results: dict) -> None:
    for f in results["faults"]:
        ax.axvline(f["at_s"], color="red", linestyle="--", linewidth=1)
        if f["takeover_s"] is not None:
            ax.axvspan(f["at_s"], f["at_s"] + f["takeover_s"], color="red", alpha=0.12)
        label = "no takeover" if f["takeover_s"] is None else f"takeover {_s(f['takeover_s'])}"
        ax.annotate(f"{f['name']}\n{label}", (f["at_s"], 1.0),
                    xycoords=("data", "axes fraction"), fontsize=7, va="top", ha="left",
                    xytext=(3, -2), textcoords="offset points")
