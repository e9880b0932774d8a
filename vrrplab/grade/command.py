"""vrrplab grade DIR: run every pair of keepalived.conf files handed in, write one table.

DIR holds one sub-folder per student (its name is the student's; hidden ones are
skipped), each with a file per router of the scenario's lab (`r1.conf`, `r2.conf`). Each
pair is one `python -m vrrplab run SCENARIO --speaker S --config r1=... --config r2=...
--out OUT/runs --json --quiet --lang L` subprocess, started, stopped past its deadline
and read back by bench's launcher (`bench.launch.run_to_end`), `--jobs` at once on a
thread pool; each run is its own private namespace. Runs are independent: a pair refused
(exit 2: its one line), failing, or leaving no results is a row, never the end of the
others; a sub-folder missing a file is a row too ("missing r2.conf"), not run.

Order: DIR is a folder with a sub-folder (else InputError, exit 2, nothing started), the
scenario loads (exit 2), `--out` can be written in and holds no grade.md (exit 2), then
the machine as `run` checks it (root, keepalived, the kernel: exit 3). grade.md and
grade.csv (table.py) are rewritten after every pair: an interrupted or killed grade
leaves the pairs done. SIGINT/SIGTERM (bench's `execute.Interrupt`): forwarded once to
the running runs, nothing new starts, the pairs not finished are listed as not graded.

Exit codes: 0 every pair graded, whatever their verdicts (grading is the product);
130 interrupted; 3 a run found the machine unfit (exit 3, no results).

Leaves to others: the click options (cli.py), the rows and files (table.py), running
and judging one pair (`vrrplab run --config`, speakers/given.py).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vrrplab import i18n
from vrrplab.bench import launch
from vrrplab.bench.execute import INTERRUPTED_CODES, Interrupt
from vrrplab.bench.launch import Children, Outcome
from vrrplab.boundedio import one_line
from vrrplab.errors import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    InputError,
)
from vrrplab.grade import table
from vrrplab.grade.table import Row
from vrrplab.i18n import N_, Message, _, ngettext, number
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.rundir import check_out, make_run_dir, replace_file
from vrrplab.speakers import kinds_for
from vrrplab.speakers.given import refuse_frr_for_given_configs

DEFAULT_PARENT = Path("reports")  # the default --out: reports/grade-<timestamp>-<random>
MAX_LOG_NAME_BYTES = 200  # a student's name as its log's name, when it fits


@dataclass(frozen=True)
class Pair:
    student: str  # the sub-folder's name
    folder: Path  # absolute
    files: tuple[tuple[str, Path], ...]  # (router, its file), the lab's router order
    missing: tuple[str, ...] = ()  # the routers' file names not there


def find_pairs(folder: Path, routers: list[str], out: Path | None = None) -> list[Pair]:
    """Every student's sub-folder of `folder`, by name; InputError (exit 2) when there is
    none. `out`, the grade's own folder, is never a student."""
    names = ", ".join(f"{r}.conf" for r in routers)
    if not folder.exists():
        raise InputError(Message(N_("{folder}: expected a folder with one sub-folder per "
                                    "student, found nothing there"), folder=str(folder)))
    if not folder.is_dir():
        raise InputError(Message(N_("{folder}: expected a folder with one sub-folder per "
                                    "student, found a file"), folder=str(folder)))
    own = out.resolve() if out is not None else None
    try:
        subs = [p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir()
                and (own is None or own != p.resolve() and p.resolve() not in own.parents)]
    except OSError as exc:
        raise InputError(Message(N_("{folder}: cannot be read ({error})"), folder=str(folder),
                                 error=exc.strerror or str(exc))) from None
    if not subs:
        raise InputError(Message(N_("{folder}: expected one sub-folder per student, each "
                                    "with {files}; found none"), folder=str(folder),
                                 files=names))
    pairs = []
    for sub in sorted(subs, key=lambda p: (p.name.casefold(), p.name)):
        sub = Path(os.path.abspath(sub))
        files = tuple((r, sub / f"{r}.conf") for r in routers)
        pairs.append(Pair(sub.name, sub, files,
                          tuple(p.name for _r, p in files if not p.is_file())))
    return pairs


def command_line(pair: Pair, scenario: Path, speaker: str, runs_dir: Path,
                 language: str) -> list[str]:
    """The pair's `vrrplab run`, in the grade's language (the findings' `said`)."""
    configs = [arg for router, path in pair.files for arg in ("--config", f"{router}={path}")]
    return [sys.executable, "-m", "vrrplab", "run", str(scenario), "--speaker", speaker,
            *configs, "--out", str(runs_dir), "--json", "--quiet", "--lang", language]


def log_path(runs_dir: Path, pair: Pair, index: int) -> Path:
    name = pair.student if len(pair.student.encode()) <= MAX_LOG_NAME_BYTES else f"{index:03d}"
    return runs_dir / "logs" / f"{name}.log"


def report_of(results: dict, runs_dir: Path, out: Path) -> str | None:
    """The run's report.html relative to the grade's folder, when it is there."""
    scenario, run_id = str(results.get("scenario")), str(results.get("run_id"))
    if not all(x and x not in (".", "..") and Path(x).name == x for x in (scenario, run_id)):
        return None
    page = runs_dir / scenario / run_id / "report.html"
    return os.path.relpath(page, out) if page.is_file() else None


def row_of(pair: Pair, outcome: Outcome, runs_dir: Path, out: Path) -> Row:
    """What a finished run says about the pair."""
    if outcome.results is not None:
        return table.graded(pair.student, outcome.results, pair.folder,
                            report_of(outcome.results, runs_dir, out))
    if outcome.exit_code == EXIT_BAD_INPUT:
        return table.refused(pair.student, outcome.error or "", pair.folder)
    return table.failed(pair.student, outcome.error, pair.folder)


def cut_short(outcome: Outcome) -> bool:
    """A run a stop signal ended (the grade's own, forwarded)."""
    return (outcome.exit_code in INTERRUPTED_CODES
            or (outcome.results or {}).get("verdict") == "interrupted")


class _Interrupt(Interrupt):
    """bench's handler (forward once, stop starting), its signal kept; the grade says it
    in the reader's words from its own loop, not from inside the handler."""

    signum: int | None = None

    def _handle(self, signum, frame):
        self.signum = self.signum or signum
        super()._handle(signum, frame)


def then(parts: list[str]) -> str:
    """Texts one after another, as the language separates them ("a; b", "a ; b")."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("{before}; {after}").format(before=text, after=part)
    return text


def progress(k: int, n: int, row: Row, elapsed_s: float) -> str:
    """One plain line per pair: its verdict, its takeovers and losses, or why not."""
    details = []
    timed = [_("{fault} {seconds} s").format(fault=one_line(f), seconds=number(t, 3))
             for f, t in row.takeovers if t is not None]
    if timed:
        details.append(", ".join(timed))
    if row.lost_pings is not None:
        details.append(ngettext("{n} ping lost", "{n} pings lost", row.lost_pings)
                       .format(n=row.lost_pings))
    values = dict(k=k, n=n, student=one_line(row.student), seconds=number(elapsed_s, 1),
                  verdict=_(table.VERDICTS[row.verdict]), details=then(details),
                  why=then([one_line(w) for w in row.why]))
    if details and row.why:
        return _("pair {k} of {n}: {student}: {verdict} ({details}): {why} [{seconds} s]"
                 ).format(**values)
    if details:
        return _("pair {k} of {n}: {student}: {verdict} ({details}) [{seconds} s]"
                 ).format(**values)
    if row.why:
        return _("pair {k} of {n}: {student}: {verdict}: {why} [{seconds} s]").format(**values)
    return _("pair {k} of {n}: {student}: {verdict} [{seconds} s]").format(**values)


def grade(folder: Path, scenario: str, speaker: str, out: Path | None, jobs: int,
          say: Callable[[str], None] = print,
          clock: Callable[[], float] = time.monotonic) -> int:
    """The command's body: run the pairs, write grade.md and grade.csv, the exit code."""
    from vrrplab.bench.command import check_machine  # root, keepalived, kernel as `run`

    path = find_scenario(scenario).resolve()
    loaded = load_scenario(path)
    routers = [r.name for r in loaded.topology.routers]
    refuse_frr_for_given_configs(kinds_for(speaker, routers))  # exit 2 once, not per pair
    pairs = find_pairs(folder, routers, out if out is not None else DEFAULT_PARENT)
    check_out(out if out is not None else DEFAULT_PARENT)  # exit 2, one line, nothing started
    if out is not None and (out / "grade.md").exists():
        raise InputError(Message(N_("--out {folder}: already holds a grade.md; choose another "
                                    "folder"), folder=str(out)))
    check_machine()
    if out is None:  # a folder of its own, made by this grade (each run makes its own)
        out = make_run_dir(DEFAULT_PARENT, f"grade-{dt.datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    runs_dir = out / "runs"
    (runs_dir / "logs").mkdir(parents=True, exist_ok=True)
    faults = [f.name for f in loaded.faults]
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    title = _("vrrplab grade: {folder}").format(folder=folder)
    context = _("{scenario} on {speaker}, started {started}; each pair's run is in runs/, "
                "what it printed in runs/logs/.").format(scenario=loaded.name,
                                                         speaker=speaker, started=started)
    md_path, csv_path = out / "grade.md", out / "grade.csv"
    rows: dict[str, Row] = {}

    def write(not_graded: list[str] | None = None) -> None:
        done = [rows[p.student] for p in pairs if p.student in rows]
        replace_file(md_path, lambda new: new.write_text(
            table.markdown(done, faults, title, context, not_graded), encoding="utf-8"))
        replace_file(csv_path, lambda new: table.write_csv(done, faults, new))

    to_run = [p for p in pairs if not p.missing]
    say(ngettext("grade: {n} pair in {folder}, {scenario} on {speaker}, {jobs} at once -> {out}",
                 "grade: {n} pairs in {folder}, {scenario} on {speaker}, {jobs} at once -> "
                 "{out}", len(pairs)).format(n=len(pairs), folder=folder, scenario=loaded.name,
                                             speaker=speaker, jobs=jobs, out=out))
    k, t0 = 0, clock()
    for pair in pairs:
        if pair.missing:
            k += 1
            rows[pair.student] = table.missing(pair.student, list(pair.missing))
            say(progress(k, len(pairs), rows[pair.student], 0.0))
    write()

    children, env_broken, language = Children(), False, i18n.language()
    index = {p.student: n for n, p in enumerate(pairs, 1)}
    with _Interrupt(children, lambda _line: None) as interrupt, \
            ThreadPoolExecutor(max_workers=jobs) as pool:

        def run_pair(pair: Pair) -> tuple[Pair, Outcome | None, float]:
            if interrupt.event.is_set():
                return pair, None, 0.0
            t = clock()
            outcome = launch.run_to_end(
                command_line(pair, path, speaker, runs_dir, language),
                log_path(runs_dir, pair, index[pair.student]), children,
                overrun=_("vrrplab grade: the run took over {seconds} s: stopped"))
            return pair, outcome, clock() - t

        pending: set[Future] = {pool.submit(run_pair, p) for p in to_run}
        announced = False
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if interrupt.event.is_set() and not announced:
                announced = True
                say(_("interrupted ({signal}): the running pairs tear their labs down, "
                      "nothing new starts; the table keeps the pairs done").format(
                          signal=signal.Signals(interrupt.signum or signal.SIGINT).name))
            for future in finished:
                pair, outcome, elapsed = future.result()
                if outcome is None or (interrupt.event.is_set() and cut_short(outcome)):
                    continue  # not graded: said under the table
                if outcome.results is None and outcome.exit_code == EXIT_ENVIRONMENT:
                    env_broken = True
                k += 1
                rows[pair.student] = row_of(pair, outcome, runs_dir, out)
                say(progress(k, len(pairs), rows[pair.student], elapsed))
                write()
    interrupted = interrupt.event.is_set()
    not_graded = [p.student for p in pairs if p.student not in rows]
    write(not_graded if interrupted else None)
    say(_("grade: {summary} [{seconds} s]").format(
        summary=table.summary_line([rows[p.student] for p in pairs if p.student in rows]),
        seconds=number(clock() - t0, 0)))
    if env_broken:
        say(_("a run found the machine unfit (exit 3): see its log in {folder}").format(
            folder=runs_dir / "logs"))
    say(_("table: {markdown} (and {csv})").format(markdown=md_path, csv=csv_path))
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ENVIRONMENT if env_broken else EXIT_PASS
