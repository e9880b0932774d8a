"""Explain a run: the human summary and the timeline plot, from results.json alone.

Nothing here needs root or a lab: `vrrplab report DIR` can redraw an old run.
The summary speaks the chosen language (vrrplab.i18n); results.json stays English.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from vrrplab import i18n
from vrrplab.analysis.checks import build_checks
from vrrplab.analysis.metrics import DELAYED_S
from vrrplab.analysis.stored import load_results  # noqa: F401 (read back, checked: stored)
from vrrplab.boundedio import for_terminal
from vrrplab.features import describe_adaptation, describe_missing
from vrrplab.i18n import N_, _, ngettext, number

# results.json's verdicts, as the summary says them
VERDICTS = {"pass": N_("PASS"), "fail": N_("FAIL"), "interrupted": N_("INTERRUPTED")}


def _s(value) -> str:
    return _("never") if value is None else _("{seconds} s").format(seconds=number(value, 3))


def _stored(words: str | None) -> str | None:
    """English words results.json holds (a verdict, a basis, a lesson), in the reader's
    language when the catalogue has them."""
    return _(words) if words else words


def checks_in_language(results: dict) -> tuple[list[dict], bool]:
    """The checks in the reader's language, and whether they are.

    results.json holds them in English. The checks are pure, so they are built again from
    the same document in the chosen language, once built again in English they are the
    stored ones: a results.json that another version of vrrplab wrote keeps its own
    (English) checks rather than this version's judgement of it.
    """
    stored = results["checks"]
    if i18n.language() == i18n.DEFAULT:
        return stored, True
    try:
        with i18n.using(i18n.DEFAULT):
            again = build_checks(results)
        if json.loads(json.dumps(again)) != json.loads(json.dumps(stored)):
            return stored, False
        return build_checks(results), True
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return stored, False


# each stage of a run as the summary names it (analysis/results.STAGES, and the report)
STAGE_WORDS = {"lab_build": N_("lab {s} s"), "speakers_start": N_("speakers {s} s"),
               "first_master": N_("first master {s} s"), "probes_start": N_("probes {s} s"),
               "arp_settle": N_("ARP {s} s"), "steps": N_("steps {s} s"),
               "teardown": N_("teardown {s} s"), "report": N_("report {s} s")}


def _stages_line(stages: dict[str, float]) -> str:
    """Where the wall time went: "time: lab 0.22 s, speakers 0.05 s, ... (total 16.1 s)"."""
    parts = [_(STAGE_WORDS[name]).format(s=number(seconds, 2))
             for name, seconds in stages.items() if name in STAGE_WORDS]
    return _("time: {stages} (total {total} s)").format(
        stages=", ".join(parts), total=number(sum(stages.values()), 1))


def speaker_shown(results: dict, router: str) -> str | None:
    """The router's speaker as people read it: its name and version ("frr 8.4.4") when the
    run recorded it, else its kind."""
    return (results.get("speaker_versions") or {}).get(router) \
        or results.get("speakers", {}).get(router)


def _skipped_summary(results: dict) -> str:
    lines = [_("{scenario} on {speaker}: SKIPPED, nothing was started").format(
        scenario=results["scenario"], speaker=results["speaker"])]
    lines += ["  " + describe_missing(m).localized() for m in results["skipped_because"]]
    return "\n".join(lines)


def _speakers_line(results: dict) -> str:
    """Each router's speaker and version; one phrase when more than two routers run the
    same (a lab grown to 16 routers)."""
    shown = {router: speaker_shown(results, router) for router in results["speakers"]}
    if len(shown) > 2 and len(set(shown.values())) == 1:
        return _("speakers: {speaker} on all {n} routers").format(
            speaker=next(iter(shown.values())), n=len(shown))
    return _("speakers: {list}").format(list=", ".join(
        f"{router} {speaker}" for router, speaker in shown.items()))


def scale_line(scale: dict, topology: str) -> str:
    """The lab grown by --routers / --vrids (loader.scale): said, as the run was not the
    topology's as written."""
    parts = []
    if "routers" in scale:
        parts.append(ngettext("{n} router", "{n} routers", scale["routers"]).format(
            n=scale["routers"]))
    if "vrids" in scale:
        parts.append(ngettext("{n} VRID on the LAN", "{n} VRIDs on the LAN",
                              scale["vrids"]).format(n=scale["vrids"]))
    return _("lab grown from {topology}: {what}").format(topology=topology,
                                                          what=", ".join(parts))


def summary(results: dict) -> str:
    if results.get("verdict") == "skipped":
        return _skipped_summary(results)
    vrrp = results["vrrp"]
    gateways = vrrp.get("gateways", [])
    vips = (", ".join(_("VIP {vip} VRID {vrid} for {client}").format(
                vip=g["vip"], vrid=g["vrid"], client=g["client"]) for g in gateways)
            if len(gateways) > 1
            else _("VIP {vip}, VRID {vrid}").format(vip=vrrp["vip"], vrid=vrrp["vrid"]))
    lines = [_("{scenario} on {speaker} (VRRPv{version}, advert {advert} s, {vips})").format(
        scenario=results["scenario"], speaker=results["speaker"], version=vrrp["version"],
        advert=number(vrrp["advert_int_s"]), vips=vips)]
    for f in results["faults"]:
        lines.append("  " + _("{fault}: {kind} {target} at {at} s -> {outcome}").format(
            fault=f["name"], kind=f["kind"], target=f["target"], at=number(f["at_s"], 3),
            outcome=_outcome(f)))
        if f.get("attack"):
            lines.append(f"      {_attack_line(f)}")
        for target, impact in f["per_target"].items():
            lines.append("      " + _("ping {target}: {impact}").format(
                target=target, impact=_impact(f, impact)))
        for name, gw in f.get("gateways", {}).items():
            lines.append(f"      {_gateway_line(name, gw)}")
    if any((results.get("speaker_versions") or {}).values()):
        lines.append("  " + _speakers_line(results))
    lines += ["  " + (_("known finding: {what}") if a.get("change") == "known"
                      else _("adapted: {what}")).format(what=describe_adaptation(a).localized())
              for a in results.get("adapted", [])]
    if results.get("scale"):
        lines.append("  " + scale_line(results["scale"], results["topology"]))
    if results.get("capture_dropped"):
        lines.append("  " + ngettext(
            "the client's capture lost {n} packet (the kernel's buffer was full): a lost "
            "advert would move a takeover's figures", "the client's capture lost {n} packets "
            "(the kernel's buffer was full): a lost advert would move a takeover's figures",
            results["capture_dropped"]).format(n=results["capture_dropped"]))
    lines += _given_lines(results.get("given_configs"), results.get("speakers", {}))
    for router, warnings in results.get("config_warnings", {}).items():
        lines += ["  " + _("{router}'s config check warned: {warning}").format(
            router=router, warning=w.strip()) for w in warnings]
    if results.get("stages_s"):
        lines.append("  " + _stages_line(results["stages_s"]))
    latency = results.get("latency")
    if latency and latency.get("samples"):
        lines.append("  " + _("this machine: timer wake-up p99 {p99} ms, worst {worst} ms over "
                              "{samples} sleeps (a stall at a timer's expiry widens that window, "
                              "and says so)").format(
            p99=number(latency["p99_s"] * 1000, 1), worst=number(latency["max_s"] * 1000, 1),
            samples=latency["samples"]))
    checks, translated = checks_in_language(results)
    passed = sum(c["ok"] for c in checks)
    unjudged = sum(1 for c in checks if c.get("judged") is False)
    lines.append(_("checks: {passed}/{total} ok").format(passed=passed, total=len(checks)) +
                 # each not-judged check says why (a busy machine, an interruption)
                 (ngettext(" ({n} not judged)", " ({n} not judged)", unjudged).format(
                     n=unjudged) if unjudged else ""))
    if not translated:
        lines.append("  " + _("(the checks as results.json holds them, in English: another "
                              "version of vrrplab wrote it)"))
    for c in checks:
        mark = _("ok") if c["ok"] else _("FAIL")
        mark = _("not judged") if c.get("judged") is False else mark
        lines.append("  " + _("[{mark}] {name}: {detail}").format(
            mark=mark, name=c["name"], detail=c["detail"]))
    if results.get("lesson"):
        why = _("why: ")
        lines.append(textwrap.fill(_stored(results["lesson"]), width=88, initial_indent=why,
                                   subsequent_indent=" " * len(why)))
    word = VERDICTS.get(results["verdict"])
    verdict = _("verdict: {verdict}").format(
        verdict=_(word) if word else results["verdict"].upper())
    if unjudged:  # a verdict with a check it could not judge says so
        verdict += ngettext(" ({n} check not judged)", " ({n} checks not judged)",
                            unjudged).format(n=unjudged)
    lines.append(verdict)
    return for_terminal("\n".join(lines))  # names, details, the lesson: text from files


def _outcome(f: dict) -> str:
    bound = "Skew_Time" if f["bound_kind"] == "skew_time" else f["bound_kind"]
    if f["expected_master"] is None:
        outcome = _("the routers stepped down (last advert {delay} after the fault): no master, "
                    "the VIP on no router").format(delay=_s(f.get("last_router_advert_s")))
    elif f.get("unstable"):
        outcome = _("repeated elections")
    elif f["takeover_s"] is None:
        outcome = _("{router} stays master, no takeover").format(
            router=f["new_master"] or _("nobody"))
    elif f["kind"] == "stop_attack":
        outcome = _("{router} advertises {delay} after the attack stopped (RFC bound {bound} s, "
                    "{kind})").format(router=f["expected_master"], delay=_s(f["takeover_s"]),
                                      bound=number(f["bound_s"], 3), kind=bound)
    else:
        outcome = _("{router} master after {delay} (RFC bound {bound} s, {kind})").format(
            router=f["new_master"], delay=_s(f["takeover_s"]), bound=number(f["bound_s"], 3),
            kind=bound)
    timing = f.get("timing")
    if timing and timing.get("measured_s") is not None:
        # the judged figure: from the instant the RFC counts from, in its two-sided window
        outcome += _("; {measured} s from {basis}; RFC {figure} {figure_s} s, window "
                     "{lower}-{upper} s").format(
            measured=number(timing["measured_s"], 3), basis=_stored(timing["basis"]),
            figure=_stored(timing["figure"]), figure_s=number(timing["figure_s"], 3),
            lower=number(timing["lower_s"], 3), upper=number(timing["upper_s"], 3))
    if f.get("master_changes", 0) > 1 or f.get("unstable"):
        outcome += ngettext("; {n} changes of master on the wire",
                            "; {n} changes of master on the wire",
                            f["master_changes"]).format(n=f["master_changes"])
    return outcome


def _gateway_line(name: str, gw: dict) -> str:
    """Load sharing: one group's fate across a fault, as its own client saw it."""
    before, after = gw["expected_before"], gw["expected_master"]
    moved = (_("moves {before} -> {after}") if before != after
             else _("stays on {after}")).format(before=before, after=after)
    return ngettext("group {name} ({vip}, VRID {vrid}): {moved}; {client} lost {n} probes, "
                    "longest gap {gap}",
                    "group {name} ({vip}, VRID {vrid}): {moved}; {client} lost {n} probes, "
                    "longest gap {gap}", gw["lost_probes"]).format(
        name=name, vip=gw["vip"], vrid=gw["vrid"], moved=moved, client=gw["client"],
        n=gw["lost_probes"], gap=_s(gw["data_gap_s"]))


def _impact(f: dict, impact: dict) -> str:
    lost = ngettext("{n} lost, {late} answered late (> {limit} ms)",
                    "{n} lost, {late} answered late (> {limit} ms)",
                    impact["lost_probes"]).format(
        n=impact["lost_probes"], late=impact["delayed_probes"], limit=number(DELAYED_S * 1000))
    if f["expected_master"] is None:  # no recovery in this window: say when replies stopped
        return _("{lost}; the last reply {delay} after the fault").format(
            lost=lost, delay=_s(impact.get("last_reply_s")))
    if f["kind"] == "stop_attack":
        return _("answered again {delay} after the attack stopped, {lost}").format(
            delay=_s(impact.get("answered_after_s")), lost=lost)
    return _("longest gap {gap}, {lost}").format(gap=_s(impact["data_gap_s"]), lost=lost)


def _attack_line(f: dict) -> str:
    """What the attacker read and forged, and whether the routers heard it."""
    attack, foreign = f["attack"], f.get("foreign_adverts", {})
    said = []
    if attack.get("password_read") is not None:
        said.append(_("read the password {password!r} off the wire").format(
            password=attack["password_read"]))
    if attack.get("forged_src"):
        said.append(_("forged adverts from {source} with priority {priority} ({sent} sent)")
                    .format(source=attack["forged_src"], priority=attack["forged_priority"],
                            sent=attack.get("sent") or "?"))
    if f["kind"] == "zero_storm":
        zero = f.get("zero_adverts", 0)
        seen = ngettext("{n} priority-0 adverts", "{n} priority-0 adverts", zero).format(n=zero)
    else:
        count = foreign.get("count", 0)
        seen = ngettext("{n} foreign adverts", "{n} foreign adverts", count).format(n=count)
    return _("{attacker} {actions}; the client saw {seen}").format(
        attacker=f["target"], actions=", ".join(said) or _("said nothing"), seen=seen)


def plot_timeline(results: dict, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # a lab grown to 16 routers: a row of adverts per router, and their legend, need room
    extra = max(0, len(results["vrrp"]["routers"]) - 3)
    fig, (ax_data, ax_ctl) = plt.subplots(2, 1, sharex=True, figsize=(14, 6 + 0.35 * extra),
                                          gridspec_kw={"height_ratios": [1, 1 + 0.15 * extra]})
    _plot_probes(ax_data, results)
    _plot_control_plane(ax_ctl, results)
    for ax in (ax_data, ax_ctl):
        _mark_faults(ax, results)
    vrrp = results["vrrp"]
    word = VERDICTS.get(results["verdict"])
    fig.suptitle(_("{scenario} on {speaker} - VRRPv{version}, advert {advert} s - {verdict}").format(
        scenario=results["scenario"], speaker=results["speaker"], version=vrrp["version"],
        advert=number(vrrp["advert_int_s"]), verdict=_(word) if word else results["verdict"].upper()))
    ax_ctl.set_xlabel(_("seconds since the run started"))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_probes(ax, results: dict) -> None:
    """Round-trip time of every probe, log scale; lost probes as red ticks on top."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

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
                    label=_("{who}ping {target}: reply time").format(who=who, target=target))
        if lost:
            ax.plot(lost, [top * 2] * len(lost), "|", color="tab:red", markersize=8,
                    label=_("lost") if i == 0 else None)
    ax.set_yscale("log")
    # 0.1, 1, 10 (0,1 in French): what the class reads, rather than 10^-1; and no
    # mathtext to parse (a sixth of the plot's time)
    shown = FuncFormatter(lambda y, _pos: number(y))
    ax.yaxis.set_major_formatter(shown)
    low, high = ax.get_ylim()
    # within one decade there may be no 10^n to label: the in-between ticks are, then
    ax.yaxis.set_minor_formatter(shown if high < 10 * low else NullFormatter())
    ax.set_ylabel(_("reply time (ms)"))
    clients = ", ".join([main, *results.get("clients", {})])
    ax.set_title(_("What the client ({clients}) saw: a probe every {interval} ms to each target")
                 .format(clients=clients, interval=number(results["probe"]["interval_s"] * 1000)),
                 fontsize=10)
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
        who = router if known else _("{router} forged").format(router=router)
        ax.scatter(live, [y] * len(live), marker="o", s=18, color=colors.get(router, "tab:red"),
                   label=_("{who} advert (priority {priority})").format(who=who, priority=prio))
        if zero:
            ax.scatter(zero, [y] * len(zero), marker="X", s=60, color="black",
                       label=None if goodbye_labelled else _("priority 0: goodbye"))
            goodbye_labelled = True
        garps = [a["t"] for a in results["timeline"]["arp"]
                 if a["gratuitous"] and a["ip"] == results["vrrp"]["vip"]
                 and _mac_owner(results, a["mac"]) == router]
        announce = (_("{router} unsolicited NA") if ":" in results["vrrp"]["vip"]
                    else _("{router} gratuitous ARP"))
        ax.scatter(garps, [y + 0.25] * len(garps), marker="v", s=20, color=colors.get(router),
                   label=announce.format(router=router) if garps else None)
    ax.set_yticks(range(len(routers)))
    ax.set_yticklabels(routers)
    ax.set_ylim(-0.7, len(routers) - 0.2)
    ax.set_title(_("Who is master: VRRP adverts for VRID {vrid} seen on the wire").format(vrid=vrid),
                 fontsize=10)
    entries = len(ax.get_legend_handles_labels()[0])
    if entries:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  ncol=1 if entries <= 14 else 2)


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
                   label=_("{router} advert").format(router=router) if gw is gateways[0] else None)
        if zero:
            ax.scatter(zero, [y] * len(zero), marker="X", s=60, color="black",
                       label=None if goodbye_labelled else _("priority 0: goodbye"))
            goodbye_labelled = True
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r} VRID {gw['vrid']} ({gw['priorities'][r]})" for gw, r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.2)
    ax.set_title(_("Who is master of each gateway: adverts per VRID seen on the wire"), fontsize=10)
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
        label = (_("no takeover") if f["takeover_s"] is None
                 else _("takeover {delay}").format(delay=_s(f["takeover_s"])))
        ax.annotate(f"{f['name']}\n{label}", (f["at_s"], 1.0),
                    xycoords=("data", "axes fraction"), fontsize=7, va="top", ha="left",
                    xytext=(3, -2), textcoords="offset points")


def _given_lines(given: dict | None, speakers: dict[str, str]) -> list[str]:
    """The routers' own files (run --config): which ran, and what lint found in them."""
    if not given:
        return []
    lines = ["  " + (_("{router} ran its own file {path}") if speakers.get(router) == "keepalived"
                     else _("{router} ran what its file {path} asks for, on the {speaker} "
                            "speaker")).format(router=router, path=f["path"],
                                               speaker=speakers.get(router))
             for router, f in given["files"].items()]
    words = {"error": _("error"), "warning": _("warning"), "note": _("note")}
    for f in given["findings"]:
        place = f"{f['file']}:{f['line']}" if f.get("file") else "-"
        lines.append("    " + f"{place}: {words.get(f['severity'], f['severity'])}: "
                     f"{f.get('said') or f['message']}")
    for check in given.get("checks_tried", []):
        lines.append("  " + checked_once(check))
    return lines


def checked_once(check: dict) -> str:
    """One vrrp_script of the given files, run once before the daemons: its exit and the
    last line it printed (a refusal names itself there)."""
    said = check["said"].strip().splitlines()[-1] if check["said"].strip() else _("nothing")
    exit_code = check["exit"] if check["exit"] is not None else _("none (stopped)")
    return _("{router}'s vrrp_script {name}, run once before the daemons: exit {code}, "
             "said: {said}").format(router=check["router"], name=check["name"],
                                   code=exit_code, said=said)

