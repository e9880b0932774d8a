"""report.html: one self-contained page per run, readable on a classroom projector.

From results.json and the run directory's own files (timeline.png, the configs and
logs each router ran), nothing else: no root, no lab, no network. The page embeds
its images as data: URIs and has no script and no external stylesheet, so it opens
from a USB key in any browser. Templates are Jinja2 (`vrrplab/templates/`), with
autoescape on and the i18n extension fed by `vrrplab.i18n`: the words are in the
template, in English, for the catalogues; this module prepares the numbers.

Files of the run directory are read by plain name only (no path, no link followed,
regular files under a size limit), and report.html is written to a temporary file
then renamed over the old one: a symlink planted at report.html is replaced, never
written through.
"""

from __future__ import annotations

import base64
import bisect
import functools
import io
import json
import math
import os
import re
import stat
from pathlib import Path

import jinja2

from vrrplab import i18n
from vrrplab.analysis import formula as formula_text
from vrrplab.analysis.report import checks_in_language, plot_timeline, scale_line, speaker_shown
from vrrplab.analysis.timing import reason_in_language
from vrrplab.faults.catalogue import KINDS
from vrrplab.features import describe_adaptation
from vrrplab.i18n import _
from vrrplab.rundir import replace_file
from vrrplab.vrrp import bounds, timers
from vrrplab.vrrp.packet import virtual_mac

TEMPLATE = "report.html"
REPORT_NAME = "report.html"
IMAGE_LIMIT = 4 * 1024 * 1024  # timeline.png is ~0.1 MB; anything far larger is not ours
TEXT_LIMIT = 512 * 1024  # a config or a log (a run's keepalived log is ~10 KB)
LOG_LINES = 14  # per router and phase: the relevant lines, then "and N more"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# keepalived's lines worth showing a class (the rest is start-up chatter)
RELEVANT = re.compile(r"Entering|Stopping|leaving|priority|VIPs|Sending/queueing gratuitous|"
                      r"received|passwd|Script|script|Netlink|[Ee]rror|WARNING|Stopped Keepalived|"
                      r"Starting Keepalived|fault|FAULT|track")
NOISE = re.compile(r"max_auto_priority|Registering gratuitous")
KEEPALIVED_STAMP = re.compile(r"^\w{3} \w{3} +\d+ [\d:]{8} \d{4}: ")  # "Fri Dec  4 15:18:52 2026: "
BUNDLED_EVENTS = {"state", "vips", "garp", "advert", "priority", "script", "link", "drop",
                  "warning", "error", "stop"}
PING_INTERVAL_S = 1.0  # the lesson's `ping -t`: one echo a second


# -- reading the run directory --------------------------------------------------------


class RunFiles:
    """The run directory's files by plain name: no path, no link, regular files, bounded."""

    def __init__(self, run_dir: Path | None):
        self.run_dir = run_dir

    def read(self, name: str, limit: int = TEXT_LIMIT) -> bytes | None:
        if self.run_dir is None or not SAFE_NAME.match(name or ""):
            return None
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.run_dir / name, flags)
        except OSError:  # absent, a symlink (ELOOP), unreadable
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                return None
            with os.fdopen(fd, "rb", closefd=False) as f:
                return f.read(limit + 1)[:limit]
        except OSError:
            return None
        finally:
            os.close(fd)

    def text(self, name: str, limit: int = TEXT_LIMIT) -> str | None:
        data = self.read(name, limit)
        return None if data is None else data.decode("utf-8", errors="replace")


# -- numbers ----------------------------------------------------------------------------


def number(value, digits: int = 3) -> str:
    """A measured number in the page's language (0.609 / 0,609); None is a dash."""
    if value is None or isinstance(value, bool):
        return "—"
    return str(value) if isinstance(value, int) else i18n.number(value, digits)


def short(value) -> str:
    """A configured quantity as people write it (1, 0.5, 0.01), in the page's language."""
    return i18n.number(value)


def seconds(value, digits: int = 3) -> str:
    return "—" if value is None else f"{number(value, digits)}\u00a0s"


def milliseconds(value, digits: int = 1) -> str:
    return "—" if value is None else f"{number(value * 1000, digits)}\u00a0ms"


# -- the page's parts -------------------------------------------------------------------


def _routers(results: dict) -> list[str]:
    return list(results["vrrp"].get("routers", {}))


def _snapshots(results: dict) -> dict[str, dict]:
    return {s["label"]: s for s in results.get("snapshots", [])}


def _mac_owner(results: dict, mac: str | None) -> str | None:
    if not mac:
        return None
    for snap in results.get("snapshots", []):
        for router, router_mac in snap.get("macs", {}).items():
            if router_mac == mac:
                return router
    return None


def topology(results: dict) -> dict:
    """Boxes and lines for the inline SVG: clients above the LAN, routers below, upstream."""
    vrrp = results["vrrp"]
    gateways = vrrp.get("gateways") or [{"instance": None, "vrid": vrrp["vrid"],
                                         "vip": vrrp["vip"], "client": results["probe"]["source"],
                                         "priorities": {r: v["priority"] for r, v in
                                                        vrrp["routers"].items()}}]
    converge = _snapshots(results).get("converge", {})
    states = converge.get("states", {})
    converge_vips = converge.get("vips", {})
    vip_addresses = {g["vip"] for g in gateways} | {vrrp.get("gateway_vip")}
    clients = [results["probe"]["source"], *results.get("clients", {})]
    attackers = list(results.get("attackers", {}))
    upstream = [t for t in results["probe"].get("targets", []) if t not in vip_addresses]
    routers = _routers(results)
    # a box per router side by side: a lab grown to 16 routers widens the drawing (the SVG
    # scales to the page) rather than overlapping its boxes
    box_w = 230 if len(routers) <= 4 else 190
    width = max(1000, len(routers) * (box_w + 24) + 60)
    nodes, lines, labels = [], [], []

    def row(names, y, h, kind, text_of, left=False):
        """Boxes spread evenly; `left`: packed from the left (the VIPs' labels go right)."""
        n = len(names)
        step = width / (n + 1)
        placed = {}
        for i, name in enumerate(names):
            centre = 40 + box_w / 2 + i * (box_w + 30) if left and n < 4 else step * (i + 1)
            x = centre - box_w / 2
            nodes.append({"x": x, "y": y, "w": box_w, "h": h, "kind": kind(name),
                          "lines": text_of(name)})
            placed[name] = x + box_w / 2
        return placed

    def client_lines(name):
        gw = next((g for g in gateways if g["client"] == name), gateways[0])
        gateway = vrrp.get("gateway_vip") or gw["vip"] if len(gateways) == 1 else gw["vip"]
        return [name, _("client"), _("gateway {vip}").format(vip=gateway)]

    top = row(clients + attackers, 20, 100,
              lambda n: "attacker" if n in attackers else "client",
              lambda n: [n, _("attacker")] if n in attackers else client_lines(n), left=True)
    lan_y = 200
    lines.append({"x1": 30, "y1": lan_y, "x2": width - 30, "y2": lan_y, "kind": "segment"})
    labels.append({"x": 34, "y": lan_y - 14, "text": _("LAN"), "anchor": "start", "kind": "segment"})
    for x in top.values():
        lines.append({"x1": x, "y1": 120, "x2": x, "y2": lan_y, "kind": "link"})
    for i, g in enumerate(reversed(gateways)):  # above the LAN, right-aligned, one per group
        vips = g["vip"]
        if len(gateways) == 1 and vrrp.get("gateway_vip") not in (None, g["vip"]):
            vips = f"{vrrp['gateway_vip']}, {g['vip']}"  # IPv6: the link-local VIP first
        labels.append({"x": width - 34, "y": lan_y - 14 - 28 * i, "anchor": "end", "kind": "vip",
                       "text": f"VIP {vips} · VRID {g['vrid']}"})

    def router_lines(name):
        info = vrrp["routers"][name]
        if len(gateways) > 1:
            prio = " / ".join(f"{g['priorities'].get(name, '?')}" for g in gateways)
        else:
            prio = str(gateways[0]["priorities"].get(name, info["priority"]))
        out = [name, info.get("ip", ""), _("priority {priority}").format(priority=prio)]
        speaker = speaker_shown(results, name)
        if speaker:
            out.append(speaker)
        if len(gateways) > 1:  # load sharing: which groups' VIPs it held at the start
            held = [str(g["vrid"]) for g in gateways if g["vip"] in converge_vips.get(name, [])]
            if held:
                out.append(_("master of VRID {vrids}").format(vrids=", ".join(held)))
        elif states.get(name):
            out.append(_("at the start: {state}").format(state=states[name]))
        return out

    def router_kind(name):
        if len(gateways) > 1:
            holds = any(g["vip"] in converge_vips.get(name, []) for g in gateways)
            return "master" if holds else "router"
        return "master" if states.get(name) == "MASTER" else "router"

    router_y, router_h = 270, 170
    placed = row(routers, router_y, router_h, router_kind, router_lines)
    for x in placed.values():
        lines.append({"x1": x, "y1": lan_y, "x2": x, "y2": router_y, "kind": "link"})
    height = router_y + router_h + 20
    if upstream or vrrp.get("sync_group_vrids"):
        up_y = router_y + router_h + 60
        lines.append({"x1": 30, "y1": up_y, "x2": width - 30, "y2": up_y, "kind": "segment"})
        labels.append({"x": 34, "y": up_y - 14, "text": _("upstream"), "anchor": "start",
                       "kind": "segment"})
        for x in placed.values():
            lines.append({"x1": x, "y1": router_y + router_h, "x2": x, "y2": up_y, "kind": "link"})
        height = up_y + 20
        if upstream:
            hosts = row(upstream, up_y + 50, 70, lambda n: "host",
                        lambda n: [n, _("upstream host")])
            for x in hosts.values():
                lines.append({"x1": x, "y1": up_y, "x2": x, "y2": up_y + 50, "kind": "link"})
            height = up_y + 130
    return {"width": width, "height": height, "nodes": nodes, "lines": lines, "labels": labels,
            "sync_group_vrids": vrrp.get("sync_group_vrids") or [],
            "load_sharing": len(gateways) > 1}


def formula(results: dict, fault: dict) -> str | None:
    """The RFC figure as arithmetic with this run's numbers, when it is one we can spell."""
    timing = fault.get("timing") or {}
    figure, figure_s = timing.get("figure"), timing.get("figure_s")
    vrrp = results["vrrp"]
    router = fault.get("expected_master")
    info = vrrp.get("routers", {}).get(router) if router else None
    if figure is None or figure_s is None:
        return None
    if figure == "next advert":
        return _("the master's next advert, within one advert interval ({interval})").format(
            interval=f"{short(vrrp['advert_int_s'])}\u00a0s")
    if info is None:
        return None
    interval = vrrp["advert_int_s"]
    priorities = {info["priority"]}
    for gw in vrrp.get("gateways", []):
        if router in gw.get("priorities", {}):
            priorities.add(gw["priorities"][router])
    version, delay = vrrp["version"], vrrp.get("preempt_delay_s") or 0.0
    spelled = {"Skew_Time": (bounds.SKEW_TIME, 0.0),
               "Master_Down_Interval": (bounds.MASTER_DOWN_INTERVAL, 0.0),
               "Master_Down_Interval + preempt_delay": (bounds.MASTER_DOWN_INTERVAL, delay)}
    if figure in spelled:
        kind, with_delay = spelled[figure]
        for p in sorted(priorities):
            value = bounds.takeover_bound_s(kind, timers.skew_time(p, interval, version),
                                            timers.master_down_interval(p, interval, version),
                                            preempt_delay_s=with_delay)
            if math.isclose(value, figure_s, abs_tol=1e-5):
                text = formula_text.bound_text(kind, p, interval, version, with_delay)
                return f"{text} = {seconds(figure_s)}"
    return f"{figure} = {seconds(figure_s)}"


def _bar(timing: dict) -> dict | None:
    """Where the window, the RFC figure and the measured takeover sit on a 0-100 scale."""
    lower, upper = timing.get("lower_s"), timing.get("upper_s")
    measured, figure = timing.get("measured_s"), timing.get("figure_s")
    if lower is None or upper is None:
        return None
    points = [v for v in (lower, upper, measured, figure) if v is not None]
    lo, hi = min(points), max(points)
    pad = max((hi - lo) * 0.25, 0.01)
    lo, hi = max(0.0, lo - pad), hi + pad

    def at(v):
        return None if v is None else round(5 + 90 * (v - lo) / (hi - lo), 2)

    return {"lower": at(lower), "upper": at(upper), "figure": at(figure),
            "measured": at(measured), "start": number(lo, 2), "end": number(hi, 2)}


def one_second_pings(results: dict, fault: dict) -> tuple[int, int] | None:
    """Replies a `ping` once a second would have lost in this fault's window: (fewest, most)
    over every phase of the second, taken from this run's own probes to the VIP."""
    vip = fault.get("vip") or results["vrrp"]["vip"]
    trace = results.get("probes", {}).get(vip)
    interval = results.get("probe", {}).get("interval_s")
    if not trace or not interval or not trace.get("sent"):
        return None
    start, end = fault["at_s"], fault.get("window_end_s")
    sent, recv = trace["sent"], trace["recv"]
    first = bisect.bisect_left(sent, start)
    last = bisect.bisect_right(sent, end) if end is not None else len(sent)
    if last - first < 2:
        return None
    counts = []
    steps = max(1, round(PING_INTERVAL_S / interval))
    for k in range(steps):  # a ping sent at start + k x interval, then every second
        lost, t = 0, start + k * interval
        while end is None or t <= end:
            i = bisect.bisect_left(sent, t, first, last)
            if i >= last:
                break
            if abs(sent[i] - t) <= interval and recv[i] is None:
                lost += 1
            t += PING_INTERVAL_S
        counts.append(lost)
    return min(counts), max(counts)


def faults(results: dict, checks: list[dict]) -> list[dict]:
    """Each fault as the page shows it: what was done, the takeover in its window, the client."""
    shown = []
    for f in results["faults"]:
        kind = KINDS.get(f["kind"])
        own = [c for c in checks if c["phase"] == f["name"]]
        timing = f.get("timing")
        impact = f.get("per_target", {}).get(f.get("vip") or results["vrrp"]["vip"], {})
        parts = []
        if timing:  # a part's name is an identifier in results.json: shown translated
            parts = ([{"sign": "−", **p, "part": _stored(p.get("part"))}
                      for p in timing.get("lower_parts", [])] +
                     [{"sign": "+", **p, "part": _stored(p.get("part"))}
                      for p in timing.get("upper_parts", [])])
        shown.append({
            "f": f,
            "ok": all(c["ok"] for c in own) and not f.get("error"),
            "what": _(kind.what) if kind else f["kind"],
            "timing": timing,
            "formula": formula(results, f),
            "bar": _bar(timing) if timing and timing.get("measured_s") is not None else None,
            "parts": parts,
            "impact": impact,
            "gap_window": f.get("gap_window"),
            "gateways": f.get("gateways") or {},
        })
    return shown


def _log_lines(files: RunFiles, name: str, span: list[int] | None, t0: float) -> tuple[list[str], int]:
    """The relevant lines of a router's log between two byte offsets, and how many more.
    A message repeated in the phase (an advert discarded every second) is shown once,
    where it first appeared, with its count."""
    data = files.read(name)
    if data is None:
        return [], 0
    if span:
        data = data[span[0]:span[1]]
    found: list[list] = []  # [line, the message without its time, count]
    index: dict[str, list] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.startswith("{"):  # the bundled speaker's JSON lines
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or event.get("event") not in BUNDLED_EVENTS:
                continue
            message = str(event.get("msg") or event.get("event"))
            when = event.get("t")
            line = (f"+{number(when - t0)} s  {message}" if isinstance(when, (int, float))
                    else message)
        elif RELEVANT.search(line) and not NOISE.search(line):
            line = line.rstrip()
            message = KEEPALIVED_STAMP.sub("", line)
        else:
            continue
        if message in index:
            index[message][2] += 1
        else:
            index[message] = [line, message, 1]
            found.append(index[message])
    shown = [line if n == 1 else f"{line}  (×{n})" for line, _message, n in found]
    return shown[:LOG_LINES], max(0, len(shown) - LOG_LINES)


def _phase_of(check: dict, names: list[str]) -> str:
    for name in names:
        if check["name"].startswith(f"{name}: "):
            return name
    return "converge"


def shown_checks(results: dict) -> tuple[list[dict], bool]:
    """The checks in the reader's language (as the summary shows them), each with its
    phase (read from the English name results.json holds) and its name without the
    phase; and whether they are in that language."""
    stored = results.get("checks", [])
    shown, translated = checks_in_language(results)
    if len(shown) != len(stored):
        shown, translated = stored, False
    names = [f["name"] for f in results["faults"]]
    out = []
    for english, check in zip(stored, shown, strict=True):
        phase = _phase_of(english, names)
        short = check["name"]
        if phase != "converge" and short.startswith(phase):
            short = short[len(phase):].lstrip(" \u00a0\u202f:")
        out.append({**check, "phase": phase, "short": short})
    return out, translated


def phases(results: dict, files: RunFiles, checks: list[dict]) -> list[dict]:
    """The lesson's verification steps, phase by phase, with what they were judged on."""
    names = [f["name"] for f in results["faults"]]
    snapshots = _snapshots(results)
    evidence: dict[str, list[dict]] = {}
    for ev in results.get("phase_evidence", []):
        evidence.setdefault(ev["phase"], []).append(ev)
    t0 = results.get("t0") or 0.0
    vrrp = results["vrrp"]
    out = []
    for phase in ["converge", *names]:
        own = [c for c in checks if c["phase"] == phase]
        snap = snapshots.get(phase)
        vips = {}
        if snap:
            gateway_vips = [g["vip"] for g in vrrp.get("gateways", [])] or [vrrp["vip"]]
            for router, addresses in snap.get("vips", {}).items():
                vips[router] = [a for a in gateway_vips if a in addresses]
        logs = []
        window = None
        for ev in evidence.get(phase, []):
            window = window or ev.get("window_s")
            for router, seen in ev.get("routers", {}).items():
                lines, more = _log_lines(files, seen.get("log", ""), seen.get("bytes"), t0)
                states = [s[1] for s in seen.get("states", [])]
                logs.append({"router": router, "log": seen.get("log"), "lines": lines or states,
                             "more": more, "from_file": bool(lines), "bytes": seen.get("bytes")})
        arp_owner = _mac_owner(results, snap.get("client_arp")) if snap else None
        out.append({"name": phase, "checks": own, "snapshot": snap, "vips": vips,
                    "arp_owner": arp_owner, "logs": logs, "window": window,
                    "ok": all(c["ok"] for c in own)})
    return [p for p in out if p["checks"] or p["snapshot"] or p["logs"]]


def claims(results: dict) -> list[dict]:
    """Where the lesson's words meet the lab's measurements: agrees, differs, or says more."""
    vrrp = results["vrrp"]
    found = []
    for f in results["faults"]:
        rule = (f.get("timing") or {}).get("rule")
        if f.get("takeover_s") is None or f.get("old_master") == f.get("expected_master"):
            continue
        if rule in ("goodbye", "silence", "demoted"):
            pings = one_second_pings(results, f)
            lost = f.get("lost_probes", 0)
            gap = f.get("data_gap_s")
            status = "differs"
            if pings and 1 <= pings[0] and pings[1] <= 2:
                status = "agrees"
            found.append({
                "kind": "pings", "fault": f, "status": status, "pings": pings,
                "lost": lost, "late": f.get("delayed_probes", 0), "gap": gap,
                "interval": results["probe"]["interval_s"],
                "formula": formula(results, f), "rule": rule,
                "lesson": _("1-2 ping packets lost"),
            })
        elif rule in ("start", "rejoin", "promoted"):
            found.append({"kind": "preempt", "fault": f, "status": "more",
                          "formula": formula(results, f), "rule": rule,
                          "lesson": _("if ROUTER1 becomes available again with its priority "
                                      "120, it reclaims the MASTER role")})
    converge = _snapshots(results).get("converge")
    if converge and converge.get("client_arp") and ":" not in vrrp["vip"]:
        vmac = virtual_mac(vrrp["vrid"])
        seen = converge["client_arp"]
        found.append({"kind": "arp", "status": "agrees" if seen == vmac else "differs",
                      "vmac": vmac, "seen": seen, "owner": _mac_owner(results, seen),
                      "use_vmac": bool(vrrp.get("use_vmac")), "vip": vrrp["vip"],
                      "lesson": _("The MAC address should be that of the VRRP virtual "
                                  "interface (00:00:5e:00:01:0a)")})
    if vrrp.get("auth_pass_on_wire") is not None:
        readers = {n: a.get("password_read") for n, a in results.get("attackers", {}).items()
                   if a.get("password_read")}
        found.append({"kind": "password", "status": "more", "password": vrrp["auth_pass_on_wire"],
                      "readers": readers,
                      "lesson": "auth_type PASS · auth_pass SecurePassword123 # Max 8 characters"})
    return found


def configs(results: dict, files: RunFiles) -> list[dict]:
    """Each router's config as it ran (and its scripts), from the run directory."""
    names = [n for n in results.get("artifacts", []) if SAFE_NAME.match(n)]
    out = []
    for router in _routers(results):
        mine = [n for n in names if n.startswith(f"{router}.")
                and not n.endswith((".log", ".pcap"))]
        for suffix in (".keepalived.conf", ".bundled.json", ".frr.conf"):  # not listed: look anyway
            if f"{router}{suffix}" not in mine and files.read(f"{router}{suffix}") is not None:
                mine.insert(0, f"{router}{suffix}")
        shown = [{"name": n, "text": files.text(n)} for n in mine]
        logs = [n for n in names if n.startswith(f"{router}.") and n.endswith(".log")]
        out.append({"router": router, "speaker": speaker_shown(results, router),
                    "files": [s for s in shown if s["text"] is not None],
                    "missing": [s["name"] for s in shown if s["text"] is None], "logs": logs})
    return out


def timeline_uri(results: dict, files: RunFiles) -> str | None:
    """timeline.png as a data: URI: the run's own, else drawn now from results.json."""
    data = files.read("timeline.png", IMAGE_LIMIT)
    if data is None or not data.startswith(PNG_MAGIC):
        buffer = io.BytesIO()
        try:
            plot_timeline(results, buffer)
        except Exception:  # a results document the plot cannot draw: the page says so
            return None
        data = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def verdict(results: dict, checks: list[dict]) -> dict:
    return {"word": results.get("verdict", "fail"),
            "passed": sum(1 for c in checks if c["ok"]), "total": len(checks),
            "unjudged": sum(1 for c in checks if c.get("judged") is False),
            "failed": [c for c in checks if not c["ok"]]}


# -- the page ---------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrrplab", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,  # an older results.json lacks some keys
    )
    env.filters.update(num=number, sec=seconds, ms=milliseconds, stored=_stored)
    return env


def _stored(words: str | None) -> str | None:
    """English words results.json holds (a basis, a part's name and why, a note, a lesson),
    in the reader's language when the catalogue has them; a timing's reason, written with
    its numbers (`timing.reason_in_language`), with the same numbers."""
    if not words:
        return words
    shown = _(words)
    return reason_in_language(words) if shown == words else shown


def environment() -> jinja2.Environment:
    """The templates' environment (compiled once), speaking the language chosen now."""
    env = _environment()
    env.install_gettext_translations(i18n.translations(), newstyle=True)
    return env


def render_html(results: dict, run_dir: Path | None) -> str:
    """The page for one run. Reads only run_dir's own files (timeline.png, configs, logs)."""
    files = RunFiles(Path(run_dir) if run_dir is not None else None)
    template = environment().get_template(TEMPLATE)
    checks, translated = shown_checks(results)
    return template.render(
        lang=i18n.language(),
        r=results,
        verdict=verdict(results, checks),
        checks_translated=translated,
        topology=topology(results),
        timeline=timeline_uri(results, files),
        faults=faults(results, checks),
        phases=phases(results, files, checks),
        claims=claims(results),
        configs=configs(results, files),
        adapted=[(a.get("change") == "known", describe_adaptation(a).localized())
                 for a in results.get("adapted", [])],
        scale=scale_line(results["scale"], results["topology"]) if results.get("scale") else None,
    )


def write_html_report(run_dir: Path, results: dict) -> Path:
    """Write run_dir/report.html: a new file renamed into place (a link there is replaced,
    never followed), readable by everyone like the run's other files."""
    run_dir = Path(run_dir)
    page = render_html(results, run_dir).encode("utf-8")
    return replace_file(run_dir / REPORT_NAME, lambda new: new.write_bytes(page))
