"""Does the live view slow the measurement? failover-basic with and without it.

    .venv/bin/python benchmarks/live_view.py [--repeat 5] [--speaker keepalived] [--out DIR]

Runs `vrrplab run failover-basic` alternately on a pseudo-terminal (`script`: the rich
live view draws) and piped (plain lines), and prints, per mode, the median (min-max)
of each fault's takeover (from the capture, results.json's `takeover_s`), the client's
longest reply gap, and the run's wall time. Root, like any lab (issue #12).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("live view (pty)", "plain lines (pipe)")


def one_run(mode: str, speaker: str, out: Path) -> dict:
    argv = [sys.executable, "-m", "vrrplab", "run", "failover-basic", "--speaker", speaker,
            "--out", str(out), "--lang", "en"]
    started = time.monotonic()
    if mode == MODES[0]:  # script(1) gives the run a terminal: the live view draws on it
        command = ["script", "-qec", shlex.join(argv), "/dev/null"]
    else:
        command = argv
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, check=False, timeout=300)
    wall = time.monotonic() - started
    newest = max((out / "failover-basic").iterdir(), key=lambda p: p.stat().st_mtime)
    results = json.loads((newest / "results.json").read_text())
    figures = {"wall_s": wall, "verdict": results["verdict"]}
    for fault in results["faults"]:
        figures[f"{fault['name']} takeover_s"] = fault["takeover_s"]
        figures[f"{fault['name']} data_gap_s"] = fault["data_gap_s"]
    return figures


def table(runs: dict[str, list[dict]]) -> str:
    keys = [k for k in runs[MODES[0]][0] if k != "verdict"]
    lines = ["| figure | " + " | ".join(MODES) + " |", "|---|" + "---|" * len(MODES)]
    for key in keys:
        cells = []
        for mode in MODES:
            values = [r[key] for r in runs[mode] if r.get(key) is not None]
            cells.append(f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"
                         if values else "-")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    passed = " | ".join(f"{sum(r['verdict'] == 'pass' for r in runs[m])}/{len(runs[m])}"
                        for m in MODES)
    lines.append(f"| runs passed | {passed} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--speaker", default="keepalived")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="vrrplab-liveview-"))
    runs: dict[str, list[dict]] = {m: [] for m in MODES}
    for n in range(args.repeat):
        for mode in MODES if n % 2 == 0 else reversed(MODES):  # neither always goes first
            runs[mode].append(one_run(mode, args.speaker, out / mode.split()[0]))
            print(f"{mode} #{len(runs[mode])}: {runs[mode][-1]}", file=sys.stderr)
    print(f"failover-basic on {args.speaker}, {args.repeat} runs per mode, median (min-max), s")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
