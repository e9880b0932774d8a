"""Build analysis.json.gz: one real results.json per scenario x speaker, and what the
analysis (timing windows, checks, verdict) made of it when the file was written.

    .venv/bin/python tests/unit/data/make_analysis_golden.py BENCH_DIR

BENCH_DIR is a `vrrplab bench` output of the whole catalogue on keepalived and bundled.
The probe series is cut to its first probes before the first fault (the analysis only
counts those answered), to keep the file small. test_analysis_unchanged.py re-runs the analysis on each input.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from pathlib import Path

from vrrplab.analysis import timing
from vrrplab.analysis.checks import build_checks

OUT = Path(__file__).with_name("analysis.json.gz")
DERIVED_FAULT_KEYS = ("timing", "gap_window")
PROBES_KEPT = 50  # the analysis only counts the answered probes before the first fault


def strip(results: dict) -> dict:
    """The input of the analysis: results.json without what the analysis adds."""
    given = copy.deepcopy(results)
    for key in ("checks", "verdict"):
        given.pop(key, None)
    for fault in given["faults"]:
        for key in DERIVED_FAULT_KEYS:
            fault.pop(key, None)
    first = given["faults"][0]["at_s"] if given["faults"] else float("inf")
    for series in given["probes"].values():
        kept = [i for i, s in enumerate(series["sent"]) if s < first][:PROBES_KEPT]
        length = len(series["sent"])
        for key, values in list(series.items()):
            if isinstance(values, list) and len(values) == length:
                series[key] = [values[i] for i in kept]
    return given


def analyse(given: dict) -> dict:
    results = copy.deepcopy(given)
    timing.annotate(results)
    results["checks"] = build_checks(results)
    return {"faults": [{k: f.get(k) for k in DERIVED_FAULT_KEYS} for f in results["faults"]],
            "checks": results["checks"]}


def main(bench: Path) -> None:
    chosen: dict[str, dict] = {}
    for path in sorted(bench.glob("runs/*/*/results.json")):
        results = json.loads(path.read_text())
        name = f"{results['scenario']}.{results['speaker']}"
        if name not in chosen and results["faults"]:
            chosen[name] = strip(results)
    golden = {name: {"input": given, "expected": analyse(given)}
              for name, given in sorted(chosen.items())}
    OUT.write_bytes(gzip.compress(json.dumps(golden, sort_keys=True).encode(), mtime=0))
    print(f"{len(golden)} runs -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
