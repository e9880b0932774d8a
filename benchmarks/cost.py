"""What a speaker costs in steady state: CPU and memory per router and per VRID (issue #15).

    .venv/bin/python benchmarks/cost.py [--vrids 1,16,255] [--intervals 1,0.1]
                                        [--speakers keepalived,bundled] [--hold 60]
    .venv/bin/python benchmarks/cost.py --soak 600 [--vrids 16] [--intervals 0.1]
    (root, like any lab; --out DIR, default /tmp/vrrplab-cost)

For each point it writes a scenario (the textbook lab grown to N VRIDs with `scale:`, the
advert interval set, VRRPv3 below 1 s) whose steps are: r1 MASTER, then nothing for
--hold seconds; and runs it with each speaker, one run per speaker at once (their CPU
times are their own: a second lab beside them shares the cores, not the count). The
figures are results.json's `speaker_usage`: each daemon's process group at convergence
and at the steps' end, so start-up is excluded: CPU share in between, per VRID, and the
resident memory at both instants (--soak: its growth over a long hold).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from vrrplab.loader import PROJECT_ROOT


def scenario_file(folder: Path, vrids: int, interval: float, hold: float) -> Path:
    name = f"cost-{vrids}-{str(interval).replace('.', 'p')}"
    vrrp = {"advert_int": int(interval) if interval == int(interval) else interval}
    if interval < 1:
        vrrp.update(version=3, auth_pass=None)  # RFC 3768 carries whole seconds
    doc = {"name": name, "description": f"Steady state: {vrids} VRIDs, advert {interval} s, "
                                        f"{hold:g} s with r1 MASTER and nothing happening.",
           "topology": str(PROJECT_ROOT / "topologies" / "textbook.yaml"),
           "vrrp": vrrp, "scale": {"vrids": vrids},
           "steps": [{"wait_master": "r1"}, {"hold": hold}]}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_together(path: Path, speakers: list[str], out: Path) -> dict[str, dict]:
    procs = {s: subprocess.Popen([sys.executable, "-m", "vrrplab", "run", str(path), "--speaker",
                                  s, "--out", str(out / s), "--quiet", "--lang", "en"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL) for s in speakers}
    for proc in procs.values():
        proc.wait(timeout=1800)
    found = {}
    for speaker in speakers:
        runs = (out / speaker).glob("*/*/results.json")
        newest = max(runs, key=lambda p: p.stat().st_mtime)
        found[speaker] = json.loads(newest.read_text())
    return found


def row(results: dict, speaker: str, vrids: int, interval: float) -> dict:
    usage = results.get("speaker_usage", {})
    out = {"speaker": speaker, "vrids": vrids, "advert_int_s": interval,
           "verdict": results["verdict"]}
    for router, role in (("r1", "master"), ("r2", "backup")):
        mine = usage.get(router, {})
        cpu = mine.get("steady_cpu_percent")
        out[f"{role}_cpu_percent"] = cpu
        out[f"{role}_cpu_per_vrid"] = None if cpu is None else cpu / vrids
        out[f"{role}_rss_kib"] = (mine.get("converged", {}).get("rss_kib"),
                                  mine.get("end", {}).get("rss_kib"))
        span = (mine.get("end", {}).get("t_s") or 0) - (mine.get("converged", {}).get("t_s") or 0)
        out[f"{role}_span_s"] = round(span, 1)
    return out


def table(rows: list[dict]) -> str:
    lines = ["| speaker | VRIDs | advert | master CPU % (per VRID) | backup CPU % (per VRID) "
             "| master RSS MiB, converged -> end | backup RSS MiB | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['speaker']} | {r['vrids']} | {r['advert_int_s']:g} s "
            f"| {_pct(r['master_cpu_percent'])} ({_pct(r['master_cpu_per_vrid'], 4)}) "
            f"| {_pct(r['backup_cpu_percent'])} ({_pct(r['backup_cpu_per_vrid'], 4)}) "
            f"| {_mib(r['master_rss_kib'])} | {_mib(r['backup_rss_kib'])} | {r['verdict']} |")
    return "\n".join(lines)


def _pct(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _mib(pair) -> str:
    first, last = pair
    if first is None or last is None:
        return "-"
    return f"{first / 1024:.1f} -> {last / 1024:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vrids", default="1,16,255")
    parser.add_argument("--intervals", default="1,0.1")
    parser.add_argument("--speakers", default="keepalived,bundled")
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--soak", type=float, default=None,
                        help="one long hold (seconds) instead of --hold: memory growth")
    parser.add_argument("--out", type=Path, default=Path("/tmp/vrrplab-cost"))
    args = parser.parse_args()
    hold = args.soak or args.hold
    speakers = args.speakers.split(",")
    (args.out / "scenarios").mkdir(parents=True, exist_ok=True)
    rows = []
    for vrids in (int(v) for v in args.vrids.split(",")):
        for interval in (float(i) for i in args.intervals.split(",")):
            path = scenario_file(args.out / "scenarios", vrids, interval, hold)
            for speaker, results in run_together(path, speakers, args.out / path.stem).items():
                rows.append(row(results, speaker, vrids, interval))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    (args.out / "cost.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
