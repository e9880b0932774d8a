"""How far one machine goes: VRIDs per router pair, routers per LAN, labs at once (issue #15).

    .venv/bin/python benchmarks/scale.py vrids   [--sizes 1,16,64,255] [--speakers keepalived,bundled]
    .venv/bin/python benchmarks/scale.py routers [--sizes 3,4,8,16]
    .venv/bin/python benchmarks/scale.py labs    [--sizes 1,2,4,8]
    (root, like any lab; --out DIR, default /tmp/vrrplab-scale; prints a markdown table and
    writes DIR/scale-PART.png)

vrids: `vrrplab run failover-crash --vrids N`: r1 must be master of every VRID before the
  crash, and r2 of every VRID after it; each VRID's takeover (r2's first advert minus r1's
  last, from the client's capture) is compared with the run's judged window for the
  gateway's VRID (the same priorities, so the same Master_Down_Interval and the same
  allowances: reaction, this run's stalls, the sync group's advert interval).
routers: `vrrplab run three-routers --routers N`: the master crashes, then the next, down
  the order of priority (the scenario's cascade): N - 1 takeovers, each judged by the run.
labs: N `vrrplab run failover-basic` at once (a class, one lab per student, on this
  machine): each takeover's excess over its RFC figure (measured - figure); the knee is
  the last N whose worst excess stays within 5 ms of one lab's.
A run that leaves no results.json (refused, killed, timed out) is still a row: its exit
code and its stderr's last line (kept as DIR/.../labN.log) in `error`, the table's run cell.
Speed and latency stay out of the test suite (the machines are noisy): this is a bench.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from vrrplab.run.capture import read_pcap

PARTS = {"vrids": ("failover-crash", "--vrids", "1,16,64,255"),
         "routers": ("three-routers", "--routers", "3,4,8,16"),  # three-routers has 3
         "labs": ("failover-basic", None, "1,2,4,8")}
KNEE_MARGIN_S = 0.005  # the "every takeover still within bound + 5 ms"


RUN_TIMEOUT_S = 900


def launch(scenario: str, speaker: str, out: Path, extra: list[str]) -> subprocess.Popen:
    """The run, its stderr kept beside its folder (OUT.log): a failed run's row says why."""
    argv = [sys.executable, "-m", "vrrplab", "run", scenario, "--speaker", speaker,
            "--out", str(out), "--lang", "en", "--quiet", *extra]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".log"), "wb") as log:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log,
                                stdin=subprocess.DEVNULL)


def wait(proc: subprocess.Popen) -> int | None:
    """Its exit code; None when it outlived RUN_TIMEOUT_S (then killed)."""
    try:
        return proc.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def results_of(folder: Path) -> tuple[dict, Path] | None:
    """The newest run's results.json under `folder`; None when the run wrote none (refused,
    exit 2 or 3, killed)."""
    runs = [p for p in folder.glob("*") if (p / "results.json").is_file()] \
        if folder.is_dir() else []
    if not runs:
        return None
    run = max(runs, key=lambda p: p.stat().st_mtime)
    return json.loads((run / "results.json").read_text()), run


def failure(code: int | None, log: Path) -> str:
    """Why a run left no results: its exit code and its stderr's last line."""
    lines = log.read_text(errors="replace").strip().splitlines() if log.is_file() else []
    said = f"exit {code}" if code is not None else f"killed after {RUN_TIMEOUT_S} s"
    return f"{said}, no results.json" + (f": {lines[-1]}" if lines else "")


NO_TAKEOVERS = {"vrids_seen": None, "converged": None, "moved": None, "worst_s": None,
                "median_s": None, "figure_s": None, "upper_s": None, "late": [], "early": []}


def vrid_takeovers(results: dict, run: Path) -> dict:
    """Per LAN VRID: r1 its master before the crash? r2 after? r2's first advert minus
    r1's last (the capture's view), against the gateway's judged window."""
    if not results["faults"]:  # the run stopped before its fault: say why
        return {**NO_TAKEOVERS, "error": "; ".join(results["errors"])}
    fault = results["faults"][0]
    routers = results["vrrp"]["routers"]
    old, new = routers[fault["target"]]["ip"], routers[fault["expected_master"]]["ip"]
    at = results["t0"] + fault["at_s"]
    adverts, _arps = read_pcap(run / "capture.pcap")
    vrids = sorted({a.vrid for a in adverts})
    last_old = {v: max((a.t for a in adverts if a.vrid == v and a.src == old
                        and a.priority > 0 and a.t < at), default=None) for v in vrids}
    first_new = {v: min((a.t for a in adverts if a.vrid == v and a.src == new
                         and a.priority > 0 and a.t >= at), default=None) for v in vrids}
    takeovers = {v: first_new[v] - last_old[v] for v in vrids
                 if last_old[v] is not None and first_new[v] is not None}
    window = fault["timing"]
    late = [v for v, t in takeovers.items() if t > window["upper_s"]]
    early = [v for v, t in takeovers.items() if t < window["lower_s"]]
    return {"vrids_seen": len(vrids), "converged": sum(1 for v in vrids if last_old[v]),
            "moved": len(takeovers), "worst_s": max(takeovers.values(), default=None),
            "median_s": sorted(takeovers.values())[len(takeovers) // 2] if takeovers else None,
            "figure_s": window["figure_s"], "upper_s": window["upper_s"],
            "late": late, "early": early}


def excesses(results: dict) -> list[float]:
    """Each judged takeover's time beyond its RFC figure."""
    return [f["timing"]["measured_s"] - f["timing"]["figure_s"] for f in results["faults"]
            if f.get("timing", {}).get("judged") and f["timing"].get("measured_s") is not None]


def one_size(part: str, size: int, speaker: str, out: Path) -> dict:
    scenario, option, _sizes = PARTS[part]
    folder = out / part / speaker / str(size)
    folder.mkdir(parents=True, exist_ok=True)
    labs = size if part == "labs" else 1
    extra = [option, str(size)] if option else []
    started = time.monotonic()
    procs = [launch(scenario, speaker, folder / f"lab{i}", extra) for i in range(labs)]
    codes = [wait(p) for p in procs]
    wall = time.monotonic() - started
    found = [results_of(folder / f"lab{i}" / scenario) for i in range(labs)]
    runs = [r for r in found if r is not None]
    errors = [failure(code, folder / f"lab{i}.log")
              for i, (code, r) in enumerate(zip(codes, found)) if r is None]
    row = {"part": part, "size": size, "speaker": speaker, "wall_s": round(wall, 1),
           "passed": sum(1 for r, _ in runs if r["verdict"] == "pass"), "runs": labs,
           "exit_codes": codes, "first_master_s": runs[0][0].get("stages_s", {}).get(
               "first_master") if runs else None,
           "excess_s": [round(e, 4) for r, _ in runs for e in excesses(r)]}
    if part == "vrids":
        row.update(vrid_takeovers(*runs[0]) if runs else NO_TAKEOVERS)
    if errors:  # a failed run is a row that says so, not a lost row
        row["error"] = "; ".join(filter(None, [row.get("error"), *errors]))
    return row


def table(part: str, rows: list[dict]) -> str:
    if part == "vrids":
        head = ("| speaker | VRIDs | converged on r1 | moved to r2 | takeover median / worst (s) "
                "| window upper (s) | late | run |")
        lines = [head, "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['speaker']} | {r['size']} | {_of(r['converged'], r['vrids_seen'])} "
                         f"| {_count(r['moved'])} | {_s(r['median_s'])} / {_s(r['worst_s'])} "
                         f"| {_s(r['upper_s'])} | {len(r['late'])} | {r['passed']}/{r['runs']} "
                         f"pass, {r['wall_s']} s{_error(r)} |")
        return "\n".join(lines)
    if part == "routers":
        lines = ["| speaker | routers | takeovers | excess over the RFC figure, median / worst (ms) "
                 "| run |", "|---|---|---|---|---|"]
        for r in rows:
            e = sorted(r["excess_s"])
            lines.append(f"| {r['speaker']} | {r['size']} | {len(e)} | {_ms(e[len(e) // 2] if e else None)}"
                         f" / {_ms(max(e, default=None))} | {r['passed']}/{r['runs']} pass, "
                         f"{r['wall_s']} s{_error(r)} |")
        return "\n".join(lines)
    lines = ["| speaker | labs at once | takeovers | excess median / worst (ms) | runs passed "
             "| wall (s) |", "|---|---|---|---|---|---|"]
    for r in rows:
        e = sorted(r["excess_s"])
        lines.append(f"| {r['speaker']} | {r['size']} | {len(e)} | {_ms(e[len(e) // 2] if e else None)}"
                     f" / {_ms(max(e, default=None))} | {r['passed']}/{r['runs']}{_error(r)} "
                     f"| {r['wall_s']} |")
    return "\n".join(lines)


def knee(rows: list[dict], speaker: str) -> int | None:
    """The last number of labs whose worst excess stays within 5 ms of one lab's."""
    mine = sorted((r for r in rows if r["speaker"] == speaker), key=lambda r: r["size"])
    if not mine or not mine[0]["excess_s"]:
        return None
    alone = max(mine[0]["excess_s"])
    good = [r["size"] for r in mine if r["excess_s"] and max(r["excess_s"]) <= alone + KNEE_MARGIN_S
            and r["passed"] == r["runs"]]
    return max(good, default=None)


def plot(part: str, rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for speaker in dict.fromkeys(r["speaker"] for r in rows):
        mine = [r for r in rows if r["speaker"] == speaker]
        sizes = [r["size"] for r in mine]
        if part == "vrids":
            mine = [r for r in mine if r["worst_s"] is not None]
            sizes = [r["size"] for r in mine]
            ax.plot(sizes, [r["worst_s"] - r["figure_s"] for r in mine], "o-",
                    label=f"{speaker}: worst VRID's takeover - MDI")
            ax.plot(sizes, [r["median_s"] - r["figure_s"] for r in mine], "s:",
                    label=f"{speaker}: median VRID's takeover - MDI")
            ax.plot(sizes, [r["upper_s"] - r["figure_s"] for r in mine], "x--",
                    label=f"{speaker}: the gateway's window, upper allowance")
        else:
            ax.plot(sizes, [max(r["excess_s"], default=0) for r in mine], "o-",
                    label=f"{speaker}: worst excess")
            ax.plot(sizes, [sorted(r["excess_s"])[len(r["excess_s"]) // 2] if r["excess_s"]
                            else 0 for r in mine], "x--", label=f"{speaker}: median excess")
    ax.set_xscale("log", base=2)
    ax.set_xlabel({"vrids": "VRIDs on the LAN (one router pair)", "routers": "routers on the LAN",
                   "labs": "textbook labs at once"}[part])
    ax.set_ylabel("seconds beyond the RFC figure")
    ax.set_title(f"vrrplab scale: {part} (this machine, {time.strftime('%Y-%m-%d')})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _error(row: dict) -> str:
    return f"; {row['error']}" if row.get("error") else ""


def _s(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _count(value) -> str:
    """A count, or "-" for a run that wrote no results (not "None")."""
    return "-" if value is None else str(value)


def _of(part, whole) -> str:
    return "-" if whole is None else f"{_count(part)}/{whole}"


def _ms(value) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=list(PARTS))
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--speakers", default="keepalived,bundled")
    parser.add_argument("--out", type=Path, default=Path("/tmp/vrrplab-scale"))
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or PARTS[args.part][2]).split(",")]
    rows = []
    for speaker in args.speakers.split(","):
        for size in sizes:
            row = one_size(args.part, size, speaker, args.out)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    (args.out / f"scale-{args.part}.json").write_text(json.dumps(rows, indent=1))
    plot(args.part, rows, args.out / f"scale-{args.part}.png")
    print(table(args.part, rows))
    if args.part == "labs":
        for speaker in args.speakers.split(","):
            print(f"knee, {speaker}: {knee(rows, speaker)} labs at once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
