"""One bench run: `python -m vrrplab run SCENARIO --speaker S --out DIR --json --spread-faults`.

`launch_run(job, runs_dir, children)` is `run_to_end` on the bench's command line,
its stderr kept in `runs_dir/logs/`. `run_to_end(argv, log, children)`, shared with
`vrrplab grade`, starts one `vrrplab run` command line as a subprocess in a session of
its own (a Ctrl-C reaches the caller, which forwards it once), registers it in
`children` (so a SIGINT/SIGTERM of the caller reaches it), waits for it (SIGTERM past
RUN_TIMEOUT_S, SIGKILL GRACE_S later), keeps its stderr (the human summary) in `log`,
and parses results.json from its stdout, or else from the run folder named by its
`report: DIR` line. A run that produced no results.json is an `error` outcome.
Each run is already contained in its own private namespaces (sandbox.py).

Leaves to others: when to run, reruns, progress (execute.py); what the figures
mean (stats.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

RUN_TIMEOUT_S = 1800.0  # one run of the longest scenario takes about a minute
GRACE_S = 60.0  # after SIGTERM, the run tears its lab down before SIGKILL


@dataclass(frozen=True)
class Job:
    scenario: str  # the scenario's name
    path: str  # the scenario file, resolved
    speaker: str
    index: int  # 1..repeat
    attempt: int = 1  # 2: the rerun of a failed first attempt

    @property
    def label(self) -> str:
        return f"{self.scenario}.{self.speaker}.{self.index}.{self.attempt}"


@dataclass
class Outcome:
    exit_code: int | None
    results: dict | None  # the parsed results.json
    results_path: str | None
    log: str | None  # the run's stderr
    error: str | None = None  # why there are no results


class Children:
    """The bench's live run processes, by pid: signals are forwarded to them only."""

    def __init__(self):
        self._lock = threading.Lock()
        self._procs: dict[int, subprocess.Popen] = {}

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs[proc.pid] = proc

    def remove(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.pop(proc.pid, None)

    def signal_all(self, signum: int) -> None:
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signum)
                except ProcessLookupError:
                    pass


def command(job: Job, runs_dir: Path) -> list[str]:
    # --lang en: the bench reads the run's `report: DIR` line, whatever the user's locale
    return [sys.executable, "-m", "vrrplab", "run", job.path, "--speaker", job.speaker,
            "--out", str(runs_dir), "--json", "--spread-faults", "--lang", "en"]


def _report_dir(stderr: str) -> Path | None:
    for line in reversed(stderr.splitlines()):
        if line.startswith("report: "):
            return Path(line[len("report: "):].strip())
    return None


def parse(stdout: str, stderr: str) -> tuple[dict | None, str | None, str | None]:
    """(results, results.json path, error) from a finished run's output."""
    folder = _report_dir(stderr)
    path = folder / "results.json" if folder else None
    try:
        results = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        results = None
    if results is None and path is not None and path.exists():
        try:
            results = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            return None, str(path), f"unreadable {path}: {exc}"
    if not isinstance(results, dict):
        last = [line for line in stderr.splitlines() if line.strip()]
        return None, None, (last[-1] if last else "no results.json and nothing on stderr")
    return results, (str(path) if path and path.exists() else None), None


def launch_run(job: Job, runs_dir: Path, children: Children) -> Outcome:
    """Run one `vrrplab run` to its end and read its results."""
    logs = runs_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return run_to_end(command(job, runs_dir), logs / f"{job.label}.log", children)


def run_to_end(argv: list[str], log: Path, children: Children,
               overrun: str = "vrrplab bench: the run took over {seconds} s: stopped") -> Outcome:
    """Run the command line `argv` (a `vrrplab run`) to its end, its stderr kept in `log`
    (its folder exists), and read its results. `overrun`: the line added to its stderr,
    the outcome's error, when it took over RUN_TIMEOUT_S and was stopped ({seconds})."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    children.add(proc)
    try:
        try:
            stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                stdout, stderr = proc.communicate(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            stderr += "\n" + overrun.format(seconds=f"{RUN_TIMEOUT_S:.0f}") + "\n"
    finally:
        children.remove(proc)
    log.write_text(stderr)
    results, path, error = parse(stdout, stderr)
    return Outcome(proc.returncode, results, path, str(log), error)
