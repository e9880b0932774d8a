"""Run a bench's jobs: `--jobs` at once, a failed run once more, a progress line each.

`execute(jobs, runs_dir, workers, say)` runs every job through
`launch.launch_run` (looked up at call time: tests replace it) on a
ThreadPoolExecutor of `workers` threads, each thread waiting on one
subprocess. A first attempt whose verdict is fail (or that left no results) is
queued once more as attempt 2; both are kept. After each finished run it says
one plain line: run k of n, scenario, speaker, verdict, elapsed and an
estimate of the time left.

SIGINT/SIGTERM (handlers installed only while it runs, in the main thread):
forwarded once to the running runs (each tears its lab down and exits 130),
nothing new starts, the jobs not started are recorded as `skipped`, and
`execute` returns with interrupted=True.

Leaves to others: launching one run (launch.py), the figures (stats.py).
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

from vrrplab.bench import launch
from vrrplab.bench.launch import Children, Job, Outcome
from vrrplab.bench.stats import run_figures
from vrrplab.run.signals import STOP_SIGNALS, exit_code

INTERRUPTED_CODES = {exit_code(s) for s in STOP_SIGNALS}  # a run a stop signal ended


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


def entry(job: Job, outcome: Outcome | None, elapsed_s: float) -> dict:
    """One run as bench.json lists it."""
    base = {"scenario": job.scenario, "speaker": job.speaker, "index": job.index,
            "attempt": job.attempt, "elapsed_s": round(elapsed_s, 3)}
    if outcome is None:
        return {**base, "verdict": "skipped", "exit_code": None, "results": None, "log": None,
                "run_id": None, "error": "not started: the bench was interrupted",
                "failed_checks": [], "errors": [], "faults": {}}
    if outcome.results is None:
        verdict = "interrupted" if outcome.exit_code in INTERRUPTED_CODES else "error"
        return {**base, "verdict": verdict, "exit_code": outcome.exit_code, "results": None,
                "log": outcome.log, "run_id": None, "error": outcome.error,
                "failed_checks": [], "errors": [], "faults": {}}
    figures = run_figures(outcome.results)
    verdict = figures["verdict"] if figures["verdict"] in ("pass", "fail", "interrupted") else "error"
    return {**base, "verdict": verdict, "exit_code": outcome.exit_code,
            "results": outcome.results_path, "log": outcome.log,
            "run_id": outcome.results.get("run_id"), "error": outcome.error,
            "failed_checks": figures["failed_checks"], "errors": figures["errors"],
            "faults": figures["faults"]}


class Interrupt:
    """SIGINT/SIGTERM while the bench runs: stop starting, forward to the running runs."""

    def __init__(self, children: Children, say: Callable[[str], None]):
        self.event = threading.Event()
        self.children, self.say = children, say
        self._old: dict[int, object] = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, old in self._old.items():
            signal.signal(signum, old)

    def _handle(self, signum, _frame):
        first = not self.event.is_set()
        self.event.set()
        self.children.signal_all(signum)
        if first:
            self.say(f"interrupted ({signal.Signals(signum).name}): the running runs tear "
                     "their labs down; nothing new starts")


def execute(jobs: list[Job], runs_dir: Path, workers: int, say: Callable[[str], None],
            clock: Callable[[], float] = time.monotonic) -> tuple[list[dict], bool]:
    """Run the jobs; (bench.json's runs, interrupted)."""
    children = Children()
    started = clock()
    total = len(jobs)
    done: list[dict] = []
    durations: list[float] = []

    with Interrupt(children, say) as interrupt, ThreadPoolExecutor(max_workers=workers) as pool:

        def attempt(job: Job) -> tuple[Job, Outcome | None, float]:
            if interrupt.event.is_set():
                return job, None, 0.0
            t = clock()
            outcome = launch.launch_run(job, runs_dir, children)
            return job, outcome, clock() - t

        pending: set[Future] = {pool.submit(attempt, job) for job in jobs}
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                job, outcome, elapsed = future.result()
                run = entry(job, outcome, elapsed)
                done.append(run)
                if outcome is None:
                    continue
                durations.append(elapsed)
                rerun = (job.attempt == 1 and run["verdict"] in ("fail", "error")
                         and not interrupt.event.is_set())
                if rerun:
                    total += 1
                    pending.add(pool.submit(attempt, Job(job.scenario, job.path, job.speaker,
                                                         job.index, attempt=2)))
                finished_runs = len(durations)
                left = (total - finished_runs) * (sum(durations) / finished_runs) / workers
                why = ""
                if run["verdict"] != "pass":
                    why = ": " + "; ".join((run["failed_checks"] or run["errors"]
                                            or [run["error"] or "?"])[:2])
                say(f"run {finished_runs} of {total}: {job.scenario} {job.speaker} "
                    f"#{job.index}{' (rerun)' if job.attempt == 2 else ''}: {run['verdict']}"
                    f"{why}{'; rerunning it once' if rerun else ''} "
                    f"[{elapsed:.1f} s; elapsed {_clock(clock() - started)}, "
                    f"about {_clock(left)} left]")
    order = {(j.scenario, j.speaker, j.index): n for n, j in enumerate(jobs)}
    done.sort(key=lambda r: (order[(r["scenario"], r["speaker"], r["index"])], r["attempt"]))
    return done, interrupt.event.is_set()
