#!/usr/bin/env python3
"""The prober at --probe-interval 0.001: its CPU, its send jitter, its lost probes (issue 15).

Runs real labs (root), so it is a benchmark, never a unit test:

    flock /tmp/vrrplab-bench.lock .venv/bin/python benchmarks/probe_resolution.py \
        [--speakers keepalived,bundled] [--scenarios failover-basic,failover-crash] [--repeat 1]

For each scenario and speaker, `vrrplab run SCENARIO --probe-interval I`, and beside it:
- the prober's CPU: its process's /proc/PID/stat (utime + stime) read every 0.1 s from
  outside the lab (the pid found by its command line, which names the run's folder),
  over the wall time between the first and the last reading;
- its sends as it wrote them (probes.log `S` lines to the gateway): the intervals between
  two sends, median / p95 / max in ms, how many came late (> 1.5 x the interval), how many
  of those the machine's own stalls explain (latency.log: the sampler overslept meanwhile),
  and the sends missed (the log's span / interval + 1, minus the sends);
- its sends on the wire: an independent tcpdump on the LAN's bridge inside the lab
  (tests/wire.py), the echo requests to the gateway (each counted once): their intervals,
  and whether every logged send reached the wire;
- lost: probes sent and never answered outside the faults' windows (a fault loses some
  by design: results.json counts those per fault).
Prints a JSON line per run, then a markdown table; `--out FILE` writes the table there too.
`--tree DIR` runs another source tree (an older commit's, for a before/after); `--analyse
LOG` measures again the kept runs (`--keep`) whose JSON lines LOG holds, without a lab.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.wire import ICMP_PROTO, WireCapture, lab_pid, read_wire  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
LATE = 1.5  # an interval this many probe intervals long is a late send


def _prober_pid(out: Path) -> int | None:
    mark = str(out).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"vrrplab.run.probe" in argv and mark in argv:
            return int(proc.name)
    return None


def _cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


class CpuWatch(threading.Thread):
    """The prober's CPU seconds, read every 0.1 s: first and last reading and their times."""

    def __init__(self, out: Path):
        super().__init__(daemon=True)
        self.out, self.done, self.readings = out, threading.Event(), []

    def run(self) -> None:
        pid = None
        while not self.done.wait(0.1):
            pid = pid or _prober_pid(self.out)
            cpu = _cpu_s(pid) if pid else None
            if cpu is not None:
                self.readings.append((time.monotonic(), cpu))

    def percent(self) -> float | None:
        if len(self.readings) < 2:
            return None
        (t0, c0), (t1, c1) = self.readings[0], self.readings[-1]
        return 100 * (c1 - c0) / (t1 - t0)


def _stats(values_s: list[float]) -> str:
    ms = sorted(v * 1000 for v in values_s)
    if not ms:
        return "-"
    p95 = ms[min(len(ms) - 1, -(-95 * len(ms) // 100) - 1)]  # nearest rank
    return f"{statistics.median(ms):.3f} / {p95:.3f} / {ms[-1]:.2f}"


def run_once(folder: Path, scenario: str, speaker: str, interval: float, tree: Path) -> dict:
    out = folder / f"{scenario}-{speaker}"
    out.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-m", "vrrplab", "run", scenario, "--speaker", speaker,
                             "--probe-interval", str(interval), "--out", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tree,
                            env={**os.environ, "PYTHONPATH": str(tree)})
    watch = CpuWatch(out)
    watch.start()
    wire = WireCapture(lab_pid(proc.pid), out / "wire.pcap")
    wire.start()
    text, _ = proc.communicate(timeout=600)
    watch.done.set()
    watch.join()
    wire.stop()
    found = sorted(out.glob("*/*/results.json"))
    if not found:
        raise SystemExit(f"{scenario} {speaker}: no results.json: {text[-1500:]}")
    return measure(found[-1].parent, out / "wire.pcap", interval, watch.percent())


def measure(run_dir: Path, wire_pcap: Path, interval: float, cpu_percent: float | None) -> dict:
    results = json.loads((run_dir / "results.json").read_text())
    t0, vip = results["t0"], results["vrrp"]["vip"]
    probes = results["probes"][vip]
    sent = [t0 + s for s in probes["sent"]]
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    stalls = []
    for line in (run_dir / "latency.log").read_text().splitlines():
        if line[:1].isdigit():
            woke, over = map(float, line.split())
            stalls.append((woke - over, woke))
    late = [(a, b) for a, b in zip(sent, sent[1:]) if b - a > LATE * interval]
    machine = sum(1 for a, b in late if any(s < b and e > a for s, e in stalls))
    # each echo once: the old master forwards the ones it queued while it resolved the VIP
    # (they cross the bridge again, the same ident and sequence, when the new master's ARP
    # comes); a run sends far fewer than 65536 to the gateway, so the sequence does not wrap
    first: dict[tuple[int, int], float] = {}
    for f in read_wire(wire_pcap):
        if f.proto == ICMP_PROTO and f.dst == vip and sent[0] - 0.01 <= f.t <= sent[-1] + 0.01:
            first.setdefault((f.ident, f.seq), f.t)
    wire = sorted(first.values())
    windows = [(t0 + f["at_s"], t0 + f["window_end_s"]) for f in results["faults"]]
    lost = sum(1 for s, r in zip(sent, probes["recv"])
               if r is None and not any(a <= s < e for a, e in windows) and s < sent[-1] - 0.1)
    return {"run": str(run_dir), "speaker": results["speaker"], "scenario": results["scenario"],
            "cpu_percent": cpu_percent, "sends": len(sent),
            "missed": round((sent[-1] - sent[0]) / interval) + 1 - len(sent),
            "log": _stats(gaps), "late": len(late), "late_machine": machine,
            "wire": _stats([b - a for a, b in zip(wire, wire[1:])]), "on_wire": len(wire),
            "lost": lost, "fault_lost": sum(f["lost_probes"] or 0 for f in results["faults"]),
            "latency_max_ms": (results["latency"]["max_s"] or 0) * 1000,
            "verdict": results["verdict"]}


def report(args, rows: list[dict], started: float) -> str:
    lines = [f"`flock /tmp/vrrplab-bench.lock .venv/bin/python benchmarks/probe_resolution.py "
             f"--speakers {args.speakers} --scenarios {args.scenarios} --interval {args.interval:g}"
             f" --repeat {args.repeat}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{(time.time() - started) / 60:.0f} min, tree {args.tree})", "",
             "send intervals, ms: median / p95 / max", "",
             "| scenario | speaker | prober CPU | sends | missed | intervals (log) | late (machine's stalls) "
             "| intervals (wire) | on the wire | lost outside faults | machine's worst stall | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cpu = f"{r['cpu_percent']:.1f} %" if r["cpu_percent"] is not None else "-"
        lines.append(f"| {r['scenario']} | {r['speaker']} | {cpu} | {r['sends']} | {r['missed']} | "
                     f"{r['log']} | {r['late']} ({r['late_machine']}) | {r['wire']} | "
                     f"{r['on_wire']} of {r['sends']} | {r['lost']} | {r['latency_max_ms']:.1f} ms | "
                     f"{r['verdict']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", default="keepalived,bundled")
    parser.add_argument("--scenarios", default="failover-basic,failover-crash")
    parser.add_argument("--interval", type=float, default=0.001)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="the vrrplab source tree to run (an older commit's, to compare)")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--analyse", type=Path, help="a previous run's output: measure its kept runs again")
    args = parser.parse_args()
    started = time.time()
    if args.analyse:
        rows = [json.loads(line) for line in args.analyse.read_text().splitlines() if line.startswith("{")]
        rows = [measure(Path(r["run"]), Path(r["run"]).parent.parent / "wire.pcap", args.interval,
                        r["cpu_percent"]) for r in rows]
        text = report(args, rows, started)
        print(text)
        if args.out:
            args.out.write_text(text)
        return 0
    if os.geteuid() != 0:
        parser.error("needs root (it builds labs)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vrrplab-probe-") as tmp:
        folder = args.keep or Path(tmp)
        for n in range(args.repeat):
            for scenario in args.scenarios.split(","):
                for speaker in args.speakers.split(","):
                    row = run_once(folder / str(n), scenario, speaker, args.interval, args.tree)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    text = report(args, rows, started)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
