"""Pure statistics of a bench: one results document -> that run's figures; many -> spread.

`run_figures(results)` reads what a bench compares from a results.json
document (schema 2): per fault `takeover_s`, `ratio` (takeover_s / bound_s),
`data_gap_s`, `lost_probes`, `measured_s` (faults[].timing.measured_s, the
judged takeover) and the timing window; the failed checks, per fault and in
all. `summarize(runs)` groups bench runs by scenario x speaker x fault and
gives each metric's n, min, median, p95 and max over the FIRST attempts (a
rerun of a failed run is reported apart, never mixed into the sample), and how
many first attempts passed their checks.

p95 is the nearest-rank percentile: sort the n values, take the
ceil(0.95 x n)-th (1-based). With n < 20 it is the maximum; it is always one of
the measured values, never an interpolation.

Leaves to others: running (launch/execute), judging thresholds (thresholds.py).
"""

from __future__ import annotations

import math
import statistics

METRICS = ("takeover_s", "ratio", "data_gap_s", "lost_probes", "measured_s")
UNITS = {"takeover_s": " s", "ratio": "", "data_gap_s": " s", "lost_probes": "", "measured_s": " s"}
RUN_LEVEL = "(run)"  # the pseudo-fault of a whole run's checks


def nearest_rank(values: list[float], pct: float) -> float:
    """The pct-th percentile by the nearest-rank method (one of the values)."""
    if not values:
        raise ValueError("no values")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def spread(values: list[float | int | None]) -> dict:
    """n, min, median, p95 (nearest rank), max of the values that are not None."""
    present = [v for v in values if v is not None]
    if not present:
        return {"n": 0, "min": None, "median": None, "p95": None, "max": None}
    return {"n": len(present), "min": min(present), "median": statistics.median(present),
            "p95": nearest_rank(present, 95), "max": max(present)}


def _number(value) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fault_figures(fault: dict) -> dict:
    """One fault of a results document -> the figures a bench keeps."""
    takeover, bound = _number(fault.get("takeover_s")), _number(fault.get("bound_s"))
    timing = fault.get("timing") if isinstance(fault.get("timing"), dict) else None
    return {
        "kind": fault.get("kind"),
        "takeover_s": takeover,
        "bound_s": bound,
        "ratio": takeover / bound if takeover is not None and bound else None,
        "data_gap_s": _number(fault.get("data_gap_s")),
        "lost_probes": _number(fault.get("lost_probes")),
        "measured_s": _number(timing.get("measured_s")) if timing else None,
        "timing": None if timing is None else {
            "figure": timing.get("figure"), "figure_s": _number(timing.get("figure_s")),
            "lower_s": _number(timing.get("lower_s")), "upper_s": _number(timing.get("upper_s")),
            "verdict": timing.get("verdict"), "judged": timing.get("judged", True) is not False},
    }


def run_figures(results: dict) -> dict:
    """A results.json document -> {verdict, failed_checks, faults: {name: figures}}."""
    faults = {}
    for fault in results.get("faults") or []:
        if isinstance(fault, dict) and fault.get("name"):
            faults[fault["name"]] = fault_figures(fault)
    failed = [c.get("name", "?") for c in results.get("checks") or []
              if isinstance(c, dict) and not c.get("ok")]
    return {"verdict": results.get("verdict"), "failed_checks": failed,
            "errors": list(results.get("errors") or []), "faults": faults}


def fault_checks_failed(run: dict, fault: str) -> list[str]:
    """The run's failed checks about this fault (named `FAULT: ...`), or all for RUN_LEVEL."""
    failed = run.get("failed_checks") or []
    if fault == RUN_LEVEL:
        return list(failed)
    return [name for name in failed if name.startswith(f"{fault}: ")]


def run_passed(run: dict, fault: str = RUN_LEVEL) -> bool:
    """A run passed (for a fault: that fault's checks; for the run: verdict pass)."""
    if run.get("verdict") in (None, "error", "interrupted", "skipped"):
        return False
    if fault == RUN_LEVEL:
        return run.get("verdict") == "pass"
    return not fault_checks_failed(run, fault)


def summarize(runs: list[dict]) -> list[dict]:
    """Bench runs (bench.json `runs`) -> one group per scenario x speaker, faults inside.

    Counted: first attempts that finished (verdict pass or fail, or error);
    interrupted and skipped runs are left out of every figure.
    """
    groups: dict[tuple[str, str], dict] = {}
    for run in runs:
        key = (run["scenario"], run["speaker"])
        group = groups.setdefault(key, {"scenario": key[0], "speaker": key[1], "first": [],
                                        "retries": []})
        if run.get("verdict") in ("interrupted", "skipped"):
            continue
        (group["first"] if run.get("attempt", 1) == 1 else group["retries"]).append(run)
    out = []
    for group in groups.values():
        first, retries = group["first"], group["retries"]
        retried_pass = {r["index"] for r in retries if r.get("verdict") == "pass"}
        failed_first = [r["index"] for r in first if not run_passed(r)]
        names: list[str] = []
        for run in first:
            names += [n for n in run.get("faults", {}) if n not in names]
        faults = []
        for name in names:
            with_fault = [r for r in first if name in r.get("faults", {})]
            figures = [r["faults"][name] for r in with_fault]
            faults.append({
                "fault": name,
                "kind": next((f.get("kind") for f in figures if f.get("kind")), None),
                "runs": len(first),
                "passed": sum(run_passed(r, name) for r in first),
                "metrics": {m: spread([f.get(m) for f in figures]) for m in METRICS},
            })
        out.append({
            "scenario": group["scenario"], "speaker": group["speaker"],
            "runs": len(first), "passed": len(first) - len(failed_first),
            "failed": failed_first,
            "retried": len(retries),
            "flaky": sorted(i for i in failed_first if i in retried_pass),
            "failed_twice": sorted(r["index"] for r in retries if r.get("verdict") != "pass"),
            "faults": faults,
        })
    return out
