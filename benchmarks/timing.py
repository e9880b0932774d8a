#!/usr/bin/env python3
"""Takeover minus the RFC figure, per speaker, advert interval, fault and sync group (issue 15).

Runs real labs (root), so it is a benchmark, never a unit test:

    .venv/bin/python benchmarks/timing.py [--speakers bundled,keepalived] [--cycles 10]

For each speaker, advert interval (VRRPv3: 1 s, 0.1 s, 0.01 s), fault and with or without
the textbook's sync group, one `vrrplab run --spread-faults` of `--cycles` cycles:
- silence: r1 frozen (SIGSTOP: no goodbye, its adverts stop as in a crash; a crash's links
  down and the restart would cost seconds a cycle), r2 takes over after
  Master_Down_Interval; r1 thawed takes the role back;
- goodbye: r1 stopped (SIGTERM: priority 0), r2 takes over after Skew_Time; r1 started again.
Each takeover is the product's own figure, results.json `faults[].timing`: `measured_s`
(the new master's first advert on the wire minus the basis: the old master's last advert,
of the member of the sync group that moves last, or its goodbye) minus `figure_s`.

For the bundled speaker, each takeover is also split in parts (its log's state line: heard,
due, ran, then the capture): receive (the last advert on the wire -> the kernel's stamp at
r2), wake-up (the timer's deadline -> the daemon running it) and send (-> the advert on the
wire). Prints markdown tables; `--out FILE` writes them there too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTERVALS = (1.0, 0.1, 0.01)
KINDS = {"silence": ("freeze", "thaw"), "goodbye": ("stop", "start")}
SCENARIO = """name: timing-{kind}
description: issue 15 timing benchmark
topology: textbook
vrrp: {{version: 3, advert_int: {interval}, auth_pass: null{sync}}}
probe: {{interval: {probe}}}
steps:
  - wait_master: r1
  - hold: {hold}
{steps}"""
CYCLE = """  - fault: {{name: {fault}-{n}, kind: {fault}, target: r1, expect_master: r2{holders}}}
  - hold: {hold}
  - fault: {{name: {back}-{n}, kind: {back}, target: r1, expect_master: r1}}
  - hold: {hold}
"""


def scenario(kind: str, interval: float, sync: bool, cycles: int) -> str:
    fault, back = KINDS[kind]
    hold = round(max(0.2, 2 * interval), 3)
    holders = ", vip_holders: [r1, r2]" if fault == "freeze" else ""  # a frozen r1 keeps its VIP
    steps = "".join(CYCLE.format(fault=fault, back=back, n=n, hold=hold, holders=holders)
                    for n in range(cycles))
    return SCENARIO.format(kind=kind, interval=interval, sync="" if sync else ", sync_group: null",
                           probe=max(0.002, interval / 10), hold=hold, steps=steps)


def run(folder: Path, speaker: str, kind: str, interval: float, sync: bool, cycles: int,
        python: str, cwd: Path) -> Path:
    name = f"{speaker}-{kind}-{interval:g}-{'sync' if sync else 'solo'}"
    path = folder / f"{name}.yaml"
    path.write_text(scenario(kind, interval, sync, cycles))
    out = folder / name
    proc = subprocess.run([python, "-m", "vrrplab", "run", str(path), "--speaker", speaker,
                           "--spread-faults", "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=900, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(cwd)})  # the speakers' too
    found = sorted(out.glob("*/*/results.json"))
    if not found:
        raise SystemExit(f"{name}: no results.json: {proc.stdout[-800:]}{proc.stderr[-800:]}")
    return found[-1].parent


def takeovers(run_dir: Path, fault_kind: str, sync: bool = True) -> list[dict]:
    """Per takeover: excess over the figure and, for the bundled speaker, its parts (s)."""
    results = json.loads((run_dir / "results.json").read_text())
    t0 = results["t0"]
    events = []
    for router in ("r2",):
        log = run_dir / f"{router}.bundled.log"
        if log.exists():
            events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    rows = []
    for fault in results["faults"]:
        timing = fault.get("timing") or {}
        if fault["kind"] != fault_kind or timing.get("measured_s") is None:
            continue
        basis, first = timing["basis_at_s"] + t0, timing["basis_at_s"] + timing["measured_s"] + t0
        row = {"excess": timing["measured_s"] - timing["figure_s"], "stall": timing.get("stall_s") or 0.0}
        row |= _parts(events if sync else [e for e in events if e.get("instance") == "VI_LAN"],
                      basis, first, timing["figure_s"])
        rows.append(row)
    return rows


def _parts(events: list[dict], basis: float, first: float, figure: float) -> dict:
    """Where the bundled speaker's time went, from its state lines for this takeover (every
    member that became MASTER in the same run of its timers): the member whose own timer ran
    out last (its last advert's receive stamp `heard` + the figure) decides."""
    lines = [e for e in events if e.get("event") == "state" and e.get("new") == "MASTER"
             and e.get("ran") and e.get("heard") and basis < e["ran"] <= first]
    if not lines:
        return {}
    ran = max(e["ran"] for e in lines)
    heard = max(e["heard"] for e in lines if e["ran"] == ran)
    return {"receive": heard - basis, "wake": ran - (heard + figure), "send": first - ran}


def stats(values: list[float]) -> str:
    if not values:
        return "n/a"
    ms = sorted(v * 1000 for v in values)
    p95 = ms[-1] if len(ms) < 2 else statistics.quantiles(ms, n=20, method="inclusive")[-1]
    return f"{statistics.median(ms):.2f} / {p95:.2f} / {ms[-1]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", default="bundled,keepalived")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--intervals", default=",".join(f"{i:g}" for i in INTERVALS))
    parser.add_argument("--kinds", default="silence,goodbye")
    parser.add_argument("--sync", default="with,without", help="with,without: the sync group")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="the vrrplab source tree to run (an older commit's, to compare)")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    parser.add_argument("--analyse", type=Path, help="read the runs kept in this folder again (no lab)")
    args = parser.parse_args()
    started = time.time()
    table = []
    if args.analyse:
        for run_dir in sorted(p.parent for p in args.analyse.glob("*/*/*/results.json")):
            speaker, kind, interval, sync = run_dir.parent.parent.name.split("-")
            table.append((speaker, float(interval), kind, sync == "sync",
                          takeovers(run_dir, KINDS[kind][0], sync == "sync")))
        table.sort(key=lambda r: (r[0], -r[1], r[2] != "silence", not r[3]))
        return report(args, table, started)
    with tempfile.TemporaryDirectory(prefix="vrrplab-timing-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for speaker in args.speakers.split(","):
            for interval in (float(i) for i in args.intervals.split(",")):
                for kind in args.kinds.split(","):
                    for sync in (s == "with" for s in args.sync.split(",")):
                        run_dir = run(folder, speaker, kind, interval, sync, args.cycles, sys.executable,
                                      args.tree)
                        rows = takeovers(run_dir, KINDS[kind][0], sync)
                        table.append((speaker, interval, kind, sync, rows))
                        print(f"{speaker} {interval:g} s {kind} {'sync' if sync else 'solo'}: "
                              f"n={len(rows)} excess ms {[round(r['excess'] * 1000, 2) for r in rows]}",
                              flush=True)
    return report(args, table, started)


def report(args, table: list, started: float) -> int:
    lines = [f"`.venv/bin/python benchmarks/timing.py --speakers {args.speakers} --cycles {args.cycles}`"
             f" ({time.strftime('%Y-%m-%d %H:%M')}, {(time.time() - started) / 60:.0f} min)", "",
             "takeover - RFC figure, ms: median / p95 / max (n takeovers)", "",
             "| speaker | advert | fault | sync group | excess | n | receive | wake-up | send | stall |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for speaker, interval, kind, sync, rows in table:
        cols = [stats([r[k] for r in rows if k in r]) for k in ("excess",)]
        parts = [stats([r[k] for r in rows if k in r]) for k in ("receive", "wake", "send", "stall")]
        lines.append(f"| {speaker} | {interval:g} s | {kind} | {'with' if sync else 'without'} | "
                     f"{cols[0]} | {len(rows)} | {' | '.join(parts)} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
