"""bench.md: what a person reads, one table (a row per scenario x speaker x fault).

Columns: runs, first attempts that passed the fault's checks, flaky runs,
then per metric the median with min-max and p95, and the baseline change of
the takeover median. Under the table: the findings (regressions, failed
thresholds, flaky runs), word for word as the command printed them.

Leaves to others: every figure (stats.py, thresholds.py).
"""

from __future__ import annotations

from vrrplab.bench.stats import METRICS
from vrrplab.bench.thresholds import fmt

HEADERS = {"takeover_s": "takeover", "ratio": "takeover / bound", "data_gap_s": "data gap",
           "lost_probes": "lost probes", "measured_s": "judged takeover"}


def _cell(figures: dict, metric: str) -> str:
    if not figures["n"]:
        return "-"
    return (f"{fmt(figures['median'], metric)} ({fmt(figures['min'], metric)}-"
            f"{fmt(figures['max'], metric)}, p95 {fmt(figures['p95'], metric)})")


def render(doc: dict) -> str:
    params = doc["params"]
    lines = [f"# vrrplab bench: {doc['verdict'].upper()}", "",
             f"{', '.join(params['scenarios'])} on {', '.join(params['speakers'])}, "
             f"{params['repeat']} runs each, {params['jobs']} at once; started {doc['started_at']}, "
             f"{doc['duration_s']:.0f} s. Figures: median (min-max, p95 nearest rank) over the "
             "first attempts; a failed run is rerun once, reported apart.", ""]
    changes = {}
    if doc.get("baseline"):
        lines[-1:-1] = [f"Baseline: {doc['baseline']['file']}, tolerance "
                        f"{doc['baseline']['tolerance_pct']:g} %.", ""]
        for e in doc["baseline"]["comparison"]:
            if e["metric"] == "takeover_s":
                change = "from 0" if e["change_pct"] is None else f"{e['change_pct']:+.0f} %"
                changes[(e["scenario"], e["speaker"], e["fault"])] = \
                    f"{change}{' **regressed**' if e['regressed'] else ''}"
    head = ["scenario", "speaker", "fault", "runs", "passed", "flaky"] + \
        [HEADERS[m] for m in METRICS] + ["takeover vs baseline"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for group in doc["stats"]:
        flaky = ", ".join(f"#{i}" for i in group["flaky"]) or "0"
        for fault in group["faults"]:
            cells = [group["scenario"], group["speaker"], fault["fault"], str(fault["runs"]),
                     f"{fault['passed']}/{fault['runs']}", flaky]
            cells += [_cell(fault["metrics"][m], m) for m in METRICS]
            cells.append(changes.get((group["scenario"], group["speaker"], fault["fault"]), "-"))
            lines.append("| " + " | ".join(cells) + " |")
    if doc["findings"]:
        lines += ["", "Findings:", ""] + [f"- {line}" for line in doc["findings"]]
    if doc["interrupted"]:
        lines += ["", "Interrupted: these figures cover only the runs that finished."]
    return "\n".join(lines) + "\n"
