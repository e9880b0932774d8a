"""vrrplab interop: every ordered pair of speakers, each VRRP version, one matrix each.

Each cell is one `python -m vrrplab run SCENARIO --speaker r1=A,r2=B --vrrp-version N
--json` subprocess (plan.command_line), run to its end and read back by bench's launcher
(`bench.launch.run_to_end`: a session of its own, forwarded signals, a deadline, stderr
kept in `OUT/runs/logs/<scenario>.v<N>.<A>-<B>.log`, results.json parsed), one at a
time (a lab's timing is what is compared). The failure's reason comes from the run
folder's speaker logs (evidence.py). interop.json and interop.md are rewritten after
every cell: an interrupted or killed interop leaves the cells done.

Order: the options and every scenario at every version (plan.py; InputError, exit 2,
nothing started), the baseline (exit 2), `--out` writable and without interop.json
(exit 2), then the machine: root, the tools, the kernel, FRR when a speaker is frr
(exit 3).

Exit codes (a failing pair is a finding, and a CI job wants to hear of a new one): 0
every cell passed or was skipped (with `--baseline`: or failed as it already did
there); 1 a cell failed or left no results (with `--baseline`: one that did not fail in
it); 2 bad input; 3 a run found the machine unfit (exit 3, no results); 130 interrupted
(SIGINT/SIGTERM forwarded once to the running run, nothing new starts; the cell cut short
marked `interrupted`, the cells not started `not run`, the files written).

Leaves to others: the click options (cli.py), the plan (plan.py), the matrix and its
files (matrix.py), the evidence (evidence.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Callable

from vrrplab import __version__
from vrrplab.bench import launch
from vrrplab.bench.execute import Interrupt
from vrrplab.bench.launch import Children
from vrrplab.errors import EXIT_ENVIRONMENT, InputError
from vrrplab.i18n import N_, Message, _, number
from vrrplab.interop import evidence, matrix, plan
from vrrplab.rundir import check_out, make_run_dir, replace_file

DEFAULT_PARENT = Path("reports/interop")  # the default --out: reports/interop/<timestamp>-<random>


class _Interrupt(Interrupt):
    """bench's handler (forward once, stop starting), its signal kept; the interop says
    it in the reader's words from its own loop, not from inside the handler."""

    signum: int | None = None

    def _handle(self, signum, frame):
        self.signum = self.signum or signum
        super()._handle(signum, frame)


def load_baseline(path: Path) -> dict:
    """A previous interop.json; InputError (exit 2) naming the file when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(Message(N_("--baseline {file}: expected a readable interop.json "
                                    "({error})"), file=str(path),
                                 error=getattr(exc, "strerror", None) or str(exc))) from None
    found = matrix.problems(doc)
    if found:
        raise InputError(Message(N_("--baseline {file}: expected an interop.json of schema "
                                    "{schema}: {problems}"), file=str(path),
                                 schema=matrix.SCHEMA, problems="; ".join(found)))
    return doc


def machine() -> dict:
    """Where the matrix was measured."""
    return {"host": platform.node(), "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "cpus": os.cpu_count()}


def check_machine(kinds: list[str]) -> None:
    """What `vrrplab run` checks before it starts, for every speaker of the matrix."""
    from vrrplab.bench.command import check_machine as check_root_and_tools
    from vrrplab.speakers import require_speakers

    check_root_and_tools()
    require_speakers(set(kinds))


def run_folder(results: dict | None, runs_dir: Path) -> Path | None:
    """The run's own folder: runs/<scenario>/<run-id>."""
    if not results:
        return None
    scenario, run_id = str(results.get("scenario")), str(results.get("run_id"))
    if not all(x and x not in (".", "..") and Path(x).name == x for x in (scenario, run_id)):
        return None
    folder = runs_dir / scenario / run_id
    return folder if folder.is_dir() else None


def interop(speakers: str | None, scenarios: str | None, versions: str | None, ipv6: bool,
            out: Path | None, baseline: Path | None, say: Callable[[str], None] = print,
            clock: Callable[[], float] = time.monotonic,
            argv: list[str] | None = None) -> int:
    """The command's body: plan, run every cell, write interop.json and interop.md."""
    kinds = plan.parse_speakers(speakers)
    wanted_versions = plan.parse_versions(versions)
    names = plan.parse_scenarios(scenarios)
    cells = plan.plan(kinds, names, wanted_versions, ipv6)
    base = load_baseline(baseline) if baseline is not None else None
    check_out(out if out is not None else DEFAULT_PARENT)  # exit 2, nothing started
    if out is not None and (out / "interop.json").exists():
        raise InputError(Message(N_("--out {folder}: already holds an interop.json; choose "
                                    "another folder"), folder=str(out)))
    check_machine(kinds)
    if out is None:
        out = make_run_dir(DEFAULT_PARENT, f"{dt.datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    runs_dir = out / "runs"
    (runs_dir / "logs").mkdir(parents=True, exist_ok=True)
    command = shlex.join(["vrrplab", "interop", *(argv if argv is not None else sys.argv[2:])])
    params = {"speakers": kinds, "scenarios": sorted({c.scenario for c in cells},
                                                     key=[c.scenario for c in cells].index),
              "versions": wanted_versions, "ipv6": ipv6, "out": str(out),
              "baseline": str(baseline) if baseline else None}
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    host = machine()
    t0 = clock()
    done: dict[tuple, dict] = {}

    def write(interrupted: bool, code: int | None) -> None:
        listed = [done.get(c.key) or matrix.entry(c, None) for c in cells] if interrupted \
            else [done[c.key] for c in cells if c.key in done]
        doc = matrix.document(
            vrrplab_version=__version__, started_at=started_at,
            finished_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            duration_s=clock() - t0, params=params, machine=host, command=command,
            cells=listed, interrupted=interrupted, code=code, baseline=base,
            baseline_path=str(baseline) if baseline else None)
        replace_file(out / "interop.json", lambda new: new.write_text(
            json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"))
        replace_file(out / "interop.md", lambda new: new.write_text(
            matrix.markdown(doc, listed), encoding="utf-8"))

    say(_("interop: {speakers} x {speakers}, {n} runs, one at a time -> {out}").format(
        speakers=", ".join(kinds), n=len(cells), out=out))
    children, env_broken = Children(), False
    with _Interrupt(children, lambda _line: None) as interrupt:
        for k, cell in enumerate(cells, 1):
            if interrupt.event.is_set():
                break
            t = clock()
            outcome = launch.run_to_end(
                plan.command_line(cell, runs_dir), runs_dir / "logs" / f"{cell.label}.log",
                children, overrun=_("vrrplab interop: the run took over {seconds} s: stopped"))
            if outcome.results is None and outcome.exit_code == EXIT_ENVIRONMENT:
                env_broken = True
            folder = run_folder(outcome.results, runs_dir)
            speakers_of = (outcome.results or {}).get("speakers") or {}
            done[cell.key] = matrix.entry(
                cell, outcome, evidence.read_logs(folder, speakers_of), clock() - t,
                os.path.relpath(folder, out) if folder else None,
                evidence.read_views(folder, speakers_of))
            say(matrix.progress(k, len(cells), done[cell.key]))
            if interrupt.event.is_set():
                break  # the cell cut short is listed "interrupted", the others "not run"
            write(False, None)  # in progress: no exit code yet
    interrupted = interrupt.event.is_set()
    if interrupted:
        say(_("interrupted ({signal}): the running run tore its lab down, nothing new "
              "started; the matrix keeps the cells done").format(
                  signal=signal.Signals(interrupt.signum or signal.SIGINT).name))
    listed = [done.get(c.key) or matrix.entry(c, None) for c in cells]
    code = matrix.exit_code(listed, interrupted, env_broken, base)
    write(interrupted, code)
    counted = matrix.counts(listed)
    say(_("interop: {passed} pass, {failed} fail, {skipped} skipped, {errors} error, "
          "{not_run} not run [{seconds} s]").format(
              passed=counted["pass"], failed=counted["fail"], skipped=counted["skipped"],
              errors=counted["error"], not_run=counted["not run"] + counted["interrupted"],
              seconds=number(clock() - t0, 0)))
    if base is not None:
        new = matrix.regressions(listed, base)
        say(_("against the baseline: {n} new failures").format(n=len(new)))
    if env_broken:
        say(_("a run found the machine unfit (exit 3): see its log in {folder}").format(
            folder=runs_dir / "logs"))
    say(_("matrix: {markdown} (and {json})").format(markdown=out / "interop.md",
                                                   json=out / "interop.json"))
    return code
