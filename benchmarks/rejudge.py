"""Judge a bench's runs again with the current analysis, and print the pass table.

    .venv/bin/python benchmarks/rejudge.py BENCH_DIR

Every results.json holds what the analysis needs (timing windows and checks are pure:
`analysis.timing.annotate`, `analysis.checks.build_checks`), so the runs of a long bench
can be judged by the code as it is now, not as it was when each ran. Prints the table
of first attempts passed per scenario x speaker (reports/benchmarks.md), then every
failed check, first attempts and reruns apart.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from vrrplab.analysis import timing
from vrrplab.analysis.checks import build_checks


def judge(results: dict) -> list[str]:
    """The names and details of the checks that fail now (and the run's own errors)."""
    for fault in results["faults"]:
        fault.pop("timing", None)
        fault.pop("gap_window", None)
    timing.annotate(results)
    failed = [f"{c['name']}: {c['detail']}" for c in build_checks(results) if not c["ok"]]
    return list(results.get("errors") or []) + failed


def main(bench_dir: Path) -> int:
    bench = json.loads((bench_dir / "bench.json").read_text())
    passed, total = collections.Counter(), collections.Counter()
    findings = []
    for run in bench["runs"]:
        key = (run["scenario"], run["speaker"])
        path = Path(run["results"]) if run.get("results") else None
        failed = judge(json.loads(path.read_text())) if path and path.exists() else \
            [run.get("error") or "no results.json"]
        if run["attempt"] == 1:
            total[key] += 1
            passed[key] += not failed
        if failed:
            findings.append((run["scenario"], run["speaker"], run["index"], run["attempt"],
                             failed))
    speakers = sorted({s for _, s in total}, key=["keepalived", "bundled"].index)
    print("| scenario | " + " | ".join(speakers) + " |")
    print("|---|" + "---|" * len(speakers))
    for scenario in sorted({s for s, _ in total}):
        cells = [f"{passed[scenario, s]}/{total[scenario, s]}" for s in speakers]
        print(f"| {scenario} | " + " | ".join(cells) + " |")
    print(f"\n{sum(passed.values())} of {sum(total.values())} first attempts pass")
    for scenario, speaker, index, attempt, failed in findings:
        print(f"- {scenario} {speaker} #{index} attempt {attempt}: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
