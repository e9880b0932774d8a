"""Where does a run's wall time go? failover-basic's stages on each speaker.

    .venv/bin/python benchmarks/overhead.py [--repeat 5] [--speaker keepalived ...] [--out DIR]

Runs `vrrplab run failover-basic` piped, N times per speaker, and prints per speaker the
median (min-max) of each stage of results.json's `stages_s` (lab build, speakers start,
first master, probes start, ARP settle, steps, teardown, report), what comes before the
run's clock (t0) and after results.json's last write, the wall time seen from outside
(what a teacher waits for: the namespace set up and taken down included), and
the scenario's intrinsic time: what it must wait for whatever the tool (its holds, the
RFC's takeover and return figures, the first election's Master_Down_Interval). Root,
like any lab (issue #15).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vrrplab.analysis.formula import expected
from vrrplab.analysis.results import STAGES
from vrrplab.loader import find_scenario, load_scenario

SCENARIO = "failover-basic"


def intrinsic_s() -> float:
    """The holds, each fault's RFC bound and the first election (the backup's
    Master_Down_Interval: the master starts as BACKUP too): the floor no tool beats."""
    scenario = load_scenario(find_scenario(SCENARIO))
    vrrp = scenario.topology.vrrp
    holds = sum(s.seconds for s in scenario.steps if s.action == "hold")
    faults = sum(expected(f, scenario.topology).bound_s for f in scenario.faults)
    first = vrrp.master_down_interval(scenario.topology.routers[0].name)
    return holds + faults + first


def one_run(speaker: str, out: Path) -> dict:
    argv = [sys.executable, "-m", "vrrplab", "run", SCENARIO, "--speaker", speaker,
            "--out", str(out), "--lang", "en", "--quiet"]
    started, clock = time.time(), time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, check=False, timeout=300)
    wall = time.monotonic() - clock
    newest = max((out / SCENARIO).iterdir(), key=lambda p: p.stat().st_mtime)
    written = (newest / "results.json").stat().st_mtime  # its last write: after the report
    results = json.loads((newest / "results.json").read_text())
    return {**results.get("stages_s", {}), "wall (outside)": wall,
            # the outer command's Python start and checks, unshare, the run's own start
            "before the run's clock": results["t0"] - started,
            # the summary, the exits, the namespaces' end
            "after results.json": started + wall - written,
            "verdict": results["verdict"]}


def table(runs: dict[str, list[dict]], floor: float) -> str:
    keys = (["before the run's clock"] + [stage for stage, _mark in STAGES]
            + ["report", "after results.json", "wall (outside)"])
    speakers = list(runs)
    lines = ["| stage (s) | " + " | ".join(speakers) + " |", "|---|" + "---|" * len(speakers)]
    for key in keys:
        cells = []
        for speaker in speakers:
            values = [r[key] for r in runs[speaker] if r.get(key) is not None]
            cells.append(f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"
                         if values else "-")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append(f"| intrinsic (holds + RFC figures + first election) | "
                 + " | ".join(f"{floor:.3f}" for _ in speakers) + " |")
    passed = " | ".join(f"{sum(r['verdict'] == 'pass' for r in runs[s])}/{len(runs[s])}"
                        for s in speakers)
    lines.append(f"| runs passed | {passed} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--speaker", action="append", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    speakers = args.speaker or ["keepalived", "bundled"]
    out = args.out or Path(tempfile.mkdtemp(prefix="vrrplab-overhead-"))
    runs: dict[str, list[dict]] = {s: [] for s in speakers}
    for n in range(args.repeat):
        for speaker in speakers if n % 2 == 0 else reversed(speakers):
            runs[speaker].append(one_run(speaker, out / speaker))
            print(f"{speaker} #{len(runs[speaker])}: {runs[speaker][-1]}", file=sys.stderr)
    print(f"{SCENARIO}, {args.repeat} runs per speaker, median (min-max)")
    print(table(runs, intrinsic_s()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
