"""bench.json (schema 1): build it, check its shape, write it, read it back.

A baseline (`--baseline FILE`) is a previous bench.json: `load_baseline` reads
and checks it and raises InputError naming the file when it is not one (exit
2, before any run starts). The schema is documented in docs/ARCHITECTURE.md;
`problems(doc)` is its executable form.

Leaves to others: the figures (stats, thresholds), running anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from vrrplab.bench import SCHEMA
from vrrplab.bench.stats import METRICS
from vrrplab.boundedio import read_json
from vrrplab.errors import InputError

MAX_BYTES = 64 * 1024 * 1024  # a bench.json of thousands of runs is a few MB

VERDICTS = ("pass", "fail", "interrupted")
RUN_VERDICTS = ("pass", "fail", "interrupted", "error", "skipped")
STATUSES = ("ok", "failed", "skipped")
TOP = {"schema": int, "vrrplab": str, "started_at": str, "finished_at": str, "duration_s": (int, float),
       "params": dict, "interrupted": bool, "verdict": str, "exit_code": int, "runs": list,
       "stats": list, "thresholds": list, "baseline": (dict, type(None)), "findings": list}


def build(*, version: str, started_at: str, finished_at: str, duration_s: float, params: dict,
          interrupted: bool, exit_code: int, runs: list[dict], stats: list[dict],
          thresholds: list[dict], comparison: list[dict] | None, baseline_path: str | None,
          tolerance_pct: float, findings: list[str]) -> dict:
    verdict = "interrupted" if interrupted else ("pass" if exit_code == 0 else "fail")
    return {
        "schema": SCHEMA, "vrrplab": version, "started_at": started_at,
        "finished_at": finished_at, "duration_s": round(duration_s, 3), "params": params,
        "interrupted": interrupted, "verdict": verdict, "exit_code": exit_code,
        "runs": runs, "stats": stats, "thresholds": thresholds,
        "baseline": None if baseline_path is None else {
            "file": baseline_path, "tolerance_pct": tolerance_pct,
            "comparison": comparison or [],
            "regressions": [e["text"] for e in comparison or [] if e["regressed"]]},
        "findings": findings,
    }


def problems(doc) -> list[str]:
    """What is wrong with a bench.json document (empty: nothing)."""
    if not isinstance(doc, dict):
        return [f"expected a JSON object, got {type(doc).__name__}"]
    if doc.get("schema") != SCHEMA:
        return [f"schema: expected {SCHEMA}, got {doc.get('schema')!r}"]
    missing = [key for key in TOP if key not in doc]
    out = [f"missing: {', '.join(missing)}"] if missing else []
    for key, kind in TOP.items():
        if key not in doc:
            continue
        elif not isinstance(doc[key], kind) or (kind is int and isinstance(doc[key], bool)):
            out.append(f"{key}: expected {getattr(kind, '__name__', kind)}, got "
                       f"{type(doc[key]).__name__}")
    if out:
        return out
    if doc["verdict"] not in VERDICTS:
        out.append(f"verdict: expected one of {VERDICTS}, got {doc['verdict']!r}")
    for i, run in enumerate(doc["runs"]):
        where = f"runs[{i}]"
        if not isinstance(run, dict):
            out.append(f"{where}: expected an object")
            continue
        for key in ("scenario", "speaker", "index", "attempt", "verdict", "faults"):
            if key not in run:
                out.append(f"{where}.{key}: missing")
        if run.get("verdict") not in RUN_VERDICTS:
            out.append(f"{where}.verdict: expected one of {RUN_VERDICTS}, got {run.get('verdict')!r}")
    for i, group in enumerate(doc["stats"]):
        where = f"stats[{i}]"
        if not isinstance(group, dict) or not isinstance(group.get("faults"), list):
            out.append(f"{where}: expected an object with faults: [...]")
            continue
        for key in ("scenario", "speaker", "runs", "passed"):
            if key not in group:
                out.append(f"{where}.{key}: missing")
        for j, fault in enumerate(group["faults"]):
            metrics = fault.get("metrics") if isinstance(fault, dict) else None
            if not isinstance(metrics, dict) or "fault" not in fault:
                out.append(f"{where}.faults[{j}]: expected {{fault, metrics: {{...}}}}")
                continue
            for metric in METRICS:
                figures = metrics.get(metric)
                if not isinstance(figures, dict) or not {"n", "min", "median", "p95", "max"} <= set(figures):
                    out.append(f"{where}.faults[{j}].metrics.{metric}: expected "
                               "{n, min, median, p95, max}")
                elif figures["median"] is not None and not isinstance(figures["median"], (int, float)):
                    out.append(f"{where}.faults[{j}].metrics.{metric}.median: expected a number")
    for i, t in enumerate(doc["thresholds"]):
        if not isinstance(t, dict) or t.get("status") not in STATUSES:
            out.append(f"thresholds[{i}]: expected {{..., status: ok|failed|skipped}}")
    return out


def write(doc: dict, path: Path) -> None:
    """Write atomically (a partial bench.json on interrupt is still whole JSON), a new file
    renamed over the old: a link there is replaced, never written through."""
    from vrrplab.rundir import replace_file

    replace_file(path, lambda tmp: tmp.write_text(json.dumps(doc, indent=2) + "\n"))


def load(path: Path) -> dict:
    """Read and check a bench.json; InputError naming the file when it is not one."""
    doc = read_json(Path(path), MAX_BYTES)  # bounded: a FIFO, /dev/zero, deep nesting
    bad = problems(doc)
    if bad:
        more = [f"... and {len(bad) - 5} more"] if len(bad) > 5 else []
        raise InputError([f"--baseline {path}: not a bench.json (schema {SCHEMA}): {p}"
                          for p in bad[:5]] + more)
    return doc


load_baseline = load
