"""The `vrrplab bench` command's body: check, run, write, and the exit code.

Order: every scenario loads (loader; else InputError, exit 2, nothing
started), the baseline parses (document.load; else exit 2 naming the file),
`--out` holds no bench yet, then the machine (root, tools, kernel, as `run`
checks it; else exit 3). Then execute.py runs the jobs and this writes
bench.json (first: on an interrupt it is what stays), bench.md, junit.xml and
bench.png, and prints the findings.

Exit codes: 130 interrupted (partial files written), 3 a run found the machine
unfit (exit 3, no results), 1 a threshold failed (a check in a first attempt,
a takeover outside its window, a median past the baseline's tolerance), else 0.

Leaves to others: the click options (cli.py), each step (the sibling modules).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

from vrrplab import __version__
from vrrplab.bench import document, execute, junit, markdown, plot
from vrrplab.bench.launch import Job
from vrrplab.bench.stats import summarize
from vrrplab.bench.thresholds import findings, judge
from vrrplab.errors import (
    EXIT_CHECK_FAILED,
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    InputError,
)
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.rundir import check_out, make_run_dir, replace_file

DEFAULT_OUT = Path("reports/bench")  # the bench's folder: DEFAULT_OUT/<timestamp>-<random>


def load_scenarios(names: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Every SCENARIO loaded up front: [(name, file)], or one InputError with all problems."""
    problems, found, seen = [], [], set()
    for name in names:
        try:
            path = find_scenario(name).resolve()
            scenario = load_scenario(path)
        except InputError as exc:
            problems += exc.problems
            continue
        if path not in seen:
            seen.add(path)
            found.append((scenario.name, path))
    if problems:
        raise InputError(problems)
    return found


def check_machine() -> None:
    """What `vrrplab run` checks before it starts: EnvironmentProblem (exit 3) if unfit."""
    from vrrplab.lab import sandbox

    sandbox.require_root()
    sandbox.require_tools({"keepalived": "keepalived"})
    sandbox.require_kernel()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def bench(scenarios: tuple[str, ...], speakers: tuple[str, ...], repeat: int, jobs: int,
          out: Path | None, baseline: Path | None, tolerance: float,
          say: Callable[[str], None] = print) -> int:
    found = load_scenarios(scenarios)
    speakers = tuple(dict.fromkeys(speakers))  # each once, in the order given
    base = document.load(baseline) if baseline is not None else None
    check_out(out if out is not None else DEFAULT_OUT)  # exit 2, one line, nothing started
    if out is not None and (out / "bench.json").exists():
        raise InputError(f"--out {out}: already holds a bench.json; choose another folder")
    check_machine()
    if out is None:  # a folder of its own, made by this bench (each run makes its own)
        out = make_run_dir(DEFAULT_OUT, f"{dt.datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)
    runs_dir = (out / "runs").resolve()
    plan = [Job(name, str(path), speaker, index)
            for name, path in found for speaker in speakers for index in range(1, repeat + 1)]
    started_at, t0 = _now(), time.monotonic()
    say(f"bench: {len(found)} scenario(s) x {len(speakers)} speaker(s) x {repeat} = "
        f"{len(plan)} runs, {jobs} at once -> {out}")
    runs, interrupted = execute.execute(plan, runs_dir, jobs, say)

    stats = summarize(runs)
    thresholds, comparison = judge(runs, stats, base, tolerance)
    lines = findings(stats, thresholds)
    env_broken = any(r["verdict"] == "error" and r["exit_code"] == EXIT_ENVIRONMENT for r in runs)
    if interrupted:
        code = EXIT_INTERRUPTED
    elif env_broken:
        code = EXIT_ENVIRONMENT
    elif any(t["status"] == "failed" for t in thresholds):
        code = EXIT_CHECK_FAILED
    else:
        code = EXIT_PASS
    params = {"scenarios": [n for n, _ in found], "scenario_files": [str(p) for _, p in found],
              "speakers": list(speakers), "repeat": repeat, "jobs": jobs,
              "tolerance_pct": tolerance, "baseline": str(baseline) if baseline else None,
              "out": str(out)}
    doc = document.build(version=__version__, started_at=started_at, finished_at=_now(),
                         duration_s=time.monotonic() - t0, params=params,
                         interrupted=interrupted, exit_code=code, runs=runs, stats=stats,
                         thresholds=thresholds, comparison=comparison,
                         baseline_path=str(baseline) if baseline else None,
                         tolerance_pct=tolerance, findings=lines)
    document.write(doc, out / "bench.json")
    # each file new, renamed into place: a link planted in --out is replaced, never followed
    replace_file(out / "bench.md", lambda new: new.write_text(markdown.render(doc)))
    replace_file(out / "junit.xml", lambda new: junit.write(doc, new))
    drawn = False
    try:
        drawn = replace_file(out / "bench.png", lambda new: plot.draw(doc, new)) is not None
    except Exception as exc:  # a plot must never hide the verdict
        say(f"warning: could not draw bench.png: {exc}")

    finished = [r for r in runs if r["verdict"] != "skipped"]
    reruns = sum(r["attempt"] == 2 for r in finished)
    flaky = sum(len(g["flaky"]) for g in stats)
    counts = {s: sum(t["status"] == s for t in thresholds) for s in ("ok", "failed", "skipped")}
    say(f"bench: {len(finished)} runs finished ({reruns} rerun, {flaky} flaky); thresholds: "
        f"{counts['ok']} ok, {counts['failed']} failed, {counts['skipped']} skipped")
    for line in lines:
        say(f"  {line}")
    if env_broken:
        say("  a run found the machine unfit (exit 3): see its log in runs/logs/")
    say(f"verdict: {doc['verdict'].upper()}")
    files = ["bench.json", "bench.md", "junit.xml"] + (["bench.png"] if drawn else [])
    say(f"bench: {out}/ ({', '.join(files)})")
    return code
