"""Pure: a bench's thresholds, each ok / failed / skipped with its figures in words.

Per scenario x speaker:
- `(run)` "all runs passed every check": every first attempt's verdict is pass
  (a failed first attempt fails this even when its rerun passed: flaky).
Per fault:
- "all runs passed their checks": the fault's checks (`FAULT: ...`) in every
  first attempt;
- "every takeover within its timing window": each run's judged takeover
  (timing.measured_s) as a ratio to its RFC figure (timing.figure_s) must lie
  in the window [lower_s, upper_s] / figure_s; a run whose timing is not judged
  (the machine stalled past the figure) is named, not failed; skipped when the
  fault has nothing to time;
- with a baseline, "median METRIC vs baseline" for each metric: fails when the
  new median > baseline median x (1 + tolerance / 100); skipped when the
  baseline has no such figure.

Leaves to others: computing the spread (stats.py), writing (document, junit,
markdown).
"""

from __future__ import annotations

import statistics

from vrrplab.bench.stats import METRICS, RUN_LEVEL, UNITS, fault_checks_failed, run_passed

CHECKS = "all runs passed their checks"
RUN_CHECKS = "all runs passed every check"
WINDOW = "every takeover within its timing window"


def fmt(value, metric: str) -> str:
    if value is None:
        return "-"
    if metric == "lost_probes":
        return f"{value:g}"
    return f"{value:.3f}{UNITS.get(metric, '')}"


def _threshold(group: dict, fault: str, name: str, status: str, message: str) -> dict:
    return {"scenario": group["scenario"], "speaker": group["speaker"], "fault": fault,
            "name": name, "status": status, "message": message}


def _first_attempts(runs: list[dict], group: dict) -> list[dict]:
    return [r for r in runs if r["scenario"] == group["scenario"]
            and r["speaker"] == group["speaker"] and r.get("attempt", 1) == 1
            and r.get("verdict") not in ("interrupted", "skipped")]


def _retry_word(runs: list[dict], group: dict, index: int) -> str:
    for r in runs:
        if (r["scenario"], r["speaker"], r["index"], r.get("attempt")) == (
                group["scenario"], group["speaker"], index, 2):
            return "rerun passed: flaky" if r.get("verdict") == "pass" else "rerun failed too"
    return "not rerun"


def _checks(runs: list[dict], group: dict, fault: str) -> dict:
    first = _first_attempts(runs, group)
    bad = [r for r in first if not run_passed(r, fault)]
    name = RUN_CHECKS if fault == RUN_LEVEL else CHECKS
    passed = f"{len(first) - len(bad)}/{len(first)} first attempts passed"
    if not first:
        return _threshold(group, fault, name, "skipped", "no finished run")
    if not bad:
        return _threshold(group, fault, name, "ok", passed)
    lines = []
    for r in bad:
        why = fault_checks_failed(r, fault) or r.get("errors") or [r.get("error") or r.get("verdict")]
        lines.append(f"run {r['index']} ({r.get('verdict')}; {_retry_word(runs, group, r['index'])}): "
                     + "; ".join(str(w) for w in why))
    return _threshold(group, fault, name, "failed", passed + "; " + " | ".join(lines))


def _window(runs: list[dict], group: dict, fault: str) -> dict:
    first = _first_attempts(runs, group)
    ratios, outside, unjudged, missing = [], [], [], []
    window = None
    for r in first:
        fig = r.get("faults", {}).get(fault)
        timing = fig and fig.get("timing")
        if not timing or not timing.get("figure_s"):
            continue
        figure = timing["figure_s"]
        lower = (timing.get("lower_s") or 0.0) / figure
        upper = timing.get("upper_s")
        upper = upper / figure if upper is not None else None
        window = (lower, upper, timing.get("figure") or "the RFC figure")
        measured = fig.get("measured_s")
        if not timing.get("judged", True):
            unjudged.append(r["index"])
            continue
        if measured is None:
            missing.append(r["index"])
            continue
        ratio = measured / figure
        ratios.append(ratio)
        if ratio < lower or (upper is not None and ratio > upper):
            where = "early" if ratio < lower else "late"
            edges = (f"{timing.get('lower_s') or 0.0:.3f}-"
                     + ("none" if upper is None else f"{timing['upper_s']:.3f} s"))
            ratios_text = f"{lower:.3f}-" + ("none" if upper is None else f"{upper:.3f}")
            outside.append(f"run {r['index']}: {measured:.3f} s = {ratio:.3f} x {window[2]} "
                           f"{figure:.3f} s, window {edges} ({ratios_text} x) ({where})")
    if window is None:
        return _threshold(group, fault, WINDOW, "skipped", "nothing to time")
    upper_text = "none" if window[1] is None else f"{window[1]:.3f}"
    parts = [f"ratio to {window[2]}: " + (f"median {statistics.median(ratios):.3f}, "
                                          f"max {max(ratios):.3f}, " if ratios else "")
             + f"window {window[0]:.3f}-{upper_text}"]
    if unjudged:
        parts.append("not judged (machine too busy): runs " + ", ".join(map(str, unjudged)))
    if missing:
        parts.append("no takeover seen: runs " + ", ".join(map(str, missing)))
    failed = outside or missing
    return _threshold(group, fault, WINDOW, "failed" if failed else "ok",
                      "; ".join(outside + parts))


def baseline_index(baseline: dict | None) -> dict:
    """A bench.json document -> {(scenario, speaker, fault, metric): median}."""
    index = {}
    for group in (baseline or {}).get("stats", []):
        for fault in group.get("faults", []):
            for metric, figures in fault.get("metrics", {}).items():
                index[(group["scenario"], group["speaker"], fault["fault"], metric)] = \
                    figures.get("median")
    return index


def compare(groups: list[dict], baseline: dict | None, tolerance_pct: float) -> list[dict]:
    """Every median against the baseline's: change in % and whether it regressed."""
    index = baseline_index(baseline)
    entries = []
    for group in groups:
        for fault in group["faults"]:
            for metric in METRICS:
                new = fault["metrics"][metric]["median"]
                old = index.get((group["scenario"], group["speaker"], fault["fault"], metric))
                if new is None or old is None:
                    continue
                limit = old * (1 + tolerance_pct / 100)
                change = (new - old) / old * 100 if old else (0.0 if new == old else None)
                change_text = "from 0" if change is None else f"{change:+.0f} %"
                entries.append({
                    "scenario": group["scenario"], "speaker": group["speaker"],
                    "fault": fault["fault"], "metric": metric, "baseline": old, "median": new,
                    "change_pct": change, "regressed": new > limit,
                    "text": f"{group['scenario']} {group['speaker']} {fault['fault']} {metric} "
                            f"median {fmt(old, metric)} -> {fmt(new, metric)} "
                            f"({change_text}, tolerance {tolerance_pct:g} %)"})
    return entries


def judge(runs: list[dict], groups: list[dict], baseline: dict | None,
          tolerance_pct: float) -> tuple[list[dict], list[dict]]:
    """(thresholds, baseline comparison entries) for a bench."""
    comparison = compare(groups, baseline, tolerance_pct) if baseline is not None else []
    by_key = {(e["scenario"], e["speaker"], e["fault"], e["metric"]): e for e in comparison}
    out = []
    for group in groups:
        out.append(_checks(runs, group, RUN_LEVEL))
        for fault in group["faults"]:
            out.append(_checks(runs, group, fault["fault"]))
            out.append(_window(runs, group, fault["fault"]))
            if baseline is None:
                continue
            for metric in METRICS:
                name = f"median {metric} vs baseline"
                entry = by_key.get((group["scenario"], group["speaker"], fault["fault"], metric))
                if entry is None:
                    if fault["metrics"][metric]["median"] is not None:
                        out.append(_threshold(group, fault["fault"], name, "skipped",
                                              "no baseline figure"))
                    continue
                out.append(_threshold(group, fault["fault"], name,
                                      "failed" if entry["regressed"] else "ok", entry["text"]))
    return out, comparison


def findings(groups: list[dict], thresholds: list[dict]) -> list[str]:
    """The lines a person must read: every failed threshold, every flaky run."""
    lines = []
    for group in groups:
        if group["flaky"]:
            lines.append(f"{group['scenario']} {group['speaker']}: flaky: run(s) "
                         + ", ".join(map(str, group["flaky"])) + " failed, then passed when rerun")
    for t in thresholds:
        if t["status"] == "failed":
            if t["name"].endswith("vs baseline"):
                lines.append(f"regression: {t['message']}")
            else:
                where = "" if t["fault"] == RUN_LEVEL else f" {t['fault']}"
                lines.append(f"{t['scenario']} {t['speaker']}{where}: {t['name']}: FAILED: "
                             f"{t['message']}")
    return lines
