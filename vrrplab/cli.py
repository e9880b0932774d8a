"""The `vrrplab` command: thin click commands over the library.

Exit codes: 0 pass, 1 a check failed, 2 bad input or usage, 3 environment
(not root, a tool missing), 130 interrupted by Ctrl-C, 128+N by signal N (run/signals).
Errors are one line, no traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import sys
import time
from pathlib import Path

import click

from vrrplab import __version__, i18n, linux
from vrrplab.cliopts import SPEAKER, Number
from vrrplab.boundedio import for_terminal
from vrrplab.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    InputError,
    VrrplabError,
)
from vrrplab.i18n import N_, Message, _
from vrrplab.loader import find_scenario, list_scenarios, load_scenario, load_topology, read_yaml
from vrrplab.loader.scale import ROUTERS_RANGE, VRIDS_RANGE, Scale
from vrrplab.speakers import fit, kinds_for, require_speakers
from vrrplab.speakers import given as given_configs
from vrrplab.rundir import check_out, make_run_dir, replace_file


def _choose_language(_ctx, _param, value: str | None) -> str | None:
    i18n.set_language(value)  # None: the locale's (LANG=fr_FR.UTF-8 gives French)
    return value


lang_option = click.option(
    "--lang", type=click.Choice(i18n.LANGUAGES), default=None, is_eager=True,
    expose_value=False, callback=_choose_language,
    help="The language of what vrrplab says [default: the locale's: LANG=fr_FR.UTF-8 "
         "gives French, else English].")


def friendly_errors(command):
    """Turn a VrrplabError into one line on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except VrrplabError as exc:
            for line in exc.localized().splitlines():
                click.echo(f"vrrplab: {line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:  # Ctrl-C before a run's own handling: the same exit code
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vrrplab")
def main() -> None:
    """A network lab for VRRP gateway failover: build it, break it, measure it."""
    i18n.set_language(None)  # the locale's; a command's --lang overrides it


@main.command("list")
@lang_option
@friendly_errors
def list_command() -> None:
    """The scenarios, each with what it shows."""
    for path in list_scenarios():
        try:
            scenario = load_scenario(path)
            click.echo(f"{scenario.name:<20} {_described(scenario.description)}")
        except InputError as exc:
            click.echo(f"{path.stem:<20} " + _("(invalid: {problem})").format(
                problem=exc.localized().splitlines()[0]))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@lang_option
@friendly_errors
def validate(files: tuple[Path, ...]) -> None:
    """Check topology or scenario files (no root needed)."""
    bad = 0
    for path in files:
        try:
            data = read_yaml(path)
            is_scenario = isinstance(data, dict) and "steps" in data
            (load_scenario if is_scenario else load_topology)(path)
            click.echo((_("ok: {path} (scenario)") if is_scenario
                        else _("ok: {path} (topology)")).format(path=path))
        except InputError as exc:
            bad += 1
            for line in exc.localized().splitlines():
                click.echo(line, err=True)
    if bad:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--no-keepalived", is_flag=True,
              help="Static checks only, even as root (no keepalived -t).")
@lang_option
@friendly_errors
def lint(files: tuple[Path, ...], as_json: bool, no_keepalived: bool) -> None:
    """Check the routers' keepalived.conf files, alone and as a pair (no root needed).

    Each finding: severity, FILE:LINE, one sentence, the scenario that shows it. As root
    with keepalived installed, keepalived -t checks each file too. Exit 0 no error,
    1 errors found, 2 a file unreadable."""
    from vrrplab.lint.command import lint_command

    text, code = lint_command(list(files), json_output=as_json,
                              keepalived=False if no_keepalived else None)
    click.echo(text)
    sys.exit(code)


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--scenario", default="failover-basic", show_default=True,
              help="The exercise each pair runs (a name or a file).")
@click.option("--speaker", type=SPEAKER, default="keepalived",
              show_default=True, help="Which VRRP daemon the routers run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where grade.md, grade.csv and the runs go "
                   "[default: reports/grade-<timestamp>].")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Pairs run at once (each in its own namespaces).")
@lang_option
@friendly_errors
def grade(folder: Path, scenario: str, speaker: str, out: Path | None, jobs: int) -> None:
    """Run every student's pair in DIR (a sub-folder each, with r1.conf and r2.conf) and
    write one table: grade.md and grade.csv (verdict, takeovers, lost pings, lint's
    findings).

    Grading is the product: exit 0 once every pair is graded, whatever their verdicts (a
    refused or failing pair is a row). Exit 2 DIR missing or without a sub-folder, 3 not
    root, 130 interrupted (the table keeps the pairs done)."""
    from vrrplab.grade.command import grade as run_grade

    sys.exit(run_grade(folder, scenario, speaker, out, jobs, say=click.echo))


@main.command()
@click.argument("scenario")
@click.option("--speaker", type=SPEAKER, default="keepalived",
              show_default=True, help="Which VRRP daemon the routers run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Reports go to OUT/<scenario>/<run-id>/.")
@click.option("--probe-interval", type=Number(0.001, 1.0), default=None,
              help="Seconds between the client's probes to each target [default: 0.005].")
@click.option("--vrrp-version", type=click.Choice(["2", "3"]), default=None,
              help="Run the scenario in this VRRP version (3 drops auth_pass) "
                   "[default: the topology's].")
@click.option("--routers", type=click.IntRange(*ROUTERS_RANGE), default=None,
              help="Grow the lab to this many routers: r3, r4 ... copies of the last one, "
                   "lower priorities, in order [default: the topology's].")
@click.option("--vrids", type=click.IntRange(*VRIDS_RANGE), default=None,
              help="This many VRRP instances on the LAN, each with its own VIP, all in the "
                   "topology's sync group [default: the topology's].")
@click.option("--json", "as_json", is_flag=True, help="Print results.json on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary at the end.")
@click.option("--pace", is_flag=True,
              help="In class: before each step say what will happen, ask for the RFC's figure, "
                   "wait for Enter; after a fault show the measured value beside it.")
@click.option("--spread-faults", is_flag=True,
              help="Wait a random time (up to one advert interval) before each fault, so "
                   "repeated runs hit every phase of the advert timer; recorded per fault.")
@click.option("--config", "configs", multiple=True, metavar="ROUTER=PATH",
              help="Run the router's own keepalived.conf (one per router, e.g. --config "
                   "r1=r1.conf --config r2=r2.conf): keepalived runs it as written, the checks "
                   "judge what it asks for.")
@click.option("--script", "scripts", multiple=True, metavar="[ROUTER:]PATH=FILE",
              help="With --config: put FILE at PATH in the router (every router without "
                   "ROUTER:), where its config names it, e.g. --script "
                   "r1:/etc/keepalived/check_gateway.sh=alice/check_gateway.sh.")
@click.option("--run-dir", type=click.Path(path_type=Path), hidden=True)
@lang_option
@friendly_errors
def run(scenario: str, speaker: str, out: Path, probe_interval: float | None,
        vrrp_version: str | None, routers: int | None, vrids: int | None, as_json: bool,
        quiet: bool, pace: bool, spread_faults: bool, configs: tuple[str, ...],
        scripts: tuple[str, ...], run_dir: Path | None) -> None:
    """Build the lab, run SCENARIO (a name or a file), explain what happened.

    On a terminal a live view shows the routers, the client's pings and each step; piped
    (or with --json), one timestamped line per event."""
    from vrrplab.lab import sandbox
    from vrrplab.run import signals

    if run_dir is not None and sandbox.is_inside():
        signals.install()  # first: the run is PID 1, deaf to a signal it does not handle
    path = find_scenario(scenario)
    version = int(vrrp_version) if vrrp_version else None
    loaded = load_scenario(path, vrrp_version=version, scale=Scale(routers, vrids))
    given = given_configs.parse_options(configs)
    if scripts and not given:
        raise InputError(N_("--script puts a file that the routers' own configs name: give "
                            "them with --config"))
    if given:
        given_configs.refuse_added_vrids(loaded, from_option=vrids is not None)
        placed = given_configs.parse_scripts(scripts, [r.name for r in loaded.topology.routers])
        loaded = given_configs.with_given_configs(loaded, given, speaker, placed)
    kinds = kinds_for(speaker, [r.name for r in loaded.topology.routers])  # exit 2 if wrong
    skipped = fit.missing(loaded, kinds)
    if not skipped:
        loaded = fit.fitted(loaded, kinds)
    if run_dir is not None and sandbox.is_inside():
        linux.leave(_run_here(loaded, speaker, run_dir, probe_interval, as_json,
                              spread_faults, quiet, pace))
    check_out(out)  # exit 2, one line, before anything starts
    if skipped:
        sys.exit(_skip(loaded, kinds, skipped, out, as_json))
    sandbox.require_root()
    sandbox.require_tools({"keepalived": "keepalived"})
    require_speakers(set(kinds.values()))
    sandbox.require_kernel()
    # a folder this run makes itself, its name unpredictable; resolved, as the summary says it
    run_dir = _new_run_dir(out, loaded.name)
    run_id = run_dir.name
    argv = ["run", str(path.resolve()), "--speaker", speaker, "--run-dir", str(run_dir),
            "--lang", i18n.language()]  # the run inside speaks the language chosen here
    if probe_interval:
        argv += ["--probe-interval", str(probe_interval)]
    if version:
        argv += ["--vrrp-version", str(version)]
    argv += Scale(routers, vrids).said().split()
    for router, config_path in loaded.given.paths if loaded.given else ():
        argv += ["--config", f"{router}={config_path}"]
    for router, target, source in loaded.given.scripts if loaded.given else ():
        argv += ["--script", f"{router}:{target}={source}"]
    if as_json:
        argv.append("--json")
    if spread_faults:
        argv.append("--spread-faults")
    if quiet:
        argv.append("--quiet")
    if pace:
        argv.append("--pace")
    # paced, the class sets the time: no deadline (Ctrl-C ends it)
    deadline = None if pace else sandbox.RUN_DEADLINE_S
    code = sandbox.run_inside(argv, run_id, run_dir, timeout=deadline)
    results = run_dir / "results.json"
    if as_json and results.exists():
        click.echo(results.read_text(), nl=False)
    sys.exit(code)


def _new_run_dir(out: Path, scenario: str) -> Path:
    """OUT/SCENARIO/<time>-<pid>-<random>: made by this call, its name unpredictable."""
    return make_run_dir(out / scenario, f"{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}")


def _skip(scenario, kinds: dict[str, str], reasons: list[dict], out: Path,
          as_json: bool) -> int:
    """A speaker lacks what the scenario needs: nothing starts; results.json and the
    summary say why; exit 0 (a skip is not a failure)."""
    from vrrplab.analysis.report import summary
    from vrrplab.analysis.results import skipped_results, write_results

    run_dir = _new_run_dir(out, scenario.name)
    results = skipped_results(scenario, kinds, reasons, run_dir.name)
    write_results(results, run_dir)
    if as_json:
        click.echo((run_dir / "results.json").read_text(), nl=False)
    else:
        click.echo(summary(results))
        click.echo(_("report: {folder}").format(folder=run_dir))
    return EXIT_PASS


def _run_here(scenario, speaker: str, run_dir: Path, probe_interval, as_json: bool,
              spread_faults: bool = False, quiet: bool = False, pace: bool = False) -> int:
    """Inside the private namespace: run, write the report, return the exit code."""
    from vrrplab.analysis.report import summary
    from vrrplab.analysis.results import (
        add_report_stage,
        build_results,
        mark_interrupted,
        write_results,
    )
    from vrrplab.lab import sandbox
    from vrrplab.run import signals
    from vrrplab.run.runner import Runner
    from vrrplab.view.live import choose_view

    echo = _TerminalEcho(err=as_json)

    def say(line: str) -> None:
        if not quiet:
            echo(line)

    guard = signals.current() or signals.install()
    with guard.deferred():  # a signal now is recorded: the runner stops before building
        sandbox.prepare_inside()
        say(f"vrrplab {scenario.name}: {_described(scenario.description)}")
        view = choose_view(quiet, as_json, f"vrrplab run {scenario.name} · {speaker}", say)
        runner = Runner(scenario, speaker, run_dir, run_dir.name, probe_interval, view=view,
                        spread_faults=spread_faults, pace=pace)
    try:
        record = runner.run()
    finally:
        with guard.deferred():
            view.close()
    # from here a signal is recorded, never raised: what was measured is written, the
    # run marked interrupted, the summary printed, and the exit code says which signal
    with guard.deferred():
        reporting = time.monotonic()
        results = build_results(record)
        if guard.received and not results["interrupted"]:
            mark_interrupted(results, guard.received)  # it came during the teardown
        write_results(results, run_dir)
        for stage, draw in (("plot", _draw_timeline), ("report", _write_page)):
            signals.checkpoint(stage, run_dir)
            if not guard.received:  # interrupted, the person wants out, not a drawing
                draw(results, run_dir, say)
        if guard.received and not results["interrupted"]:  # it came while drawing
            mark_interrupted(results, guard.received)
            write_results(results, run_dir)
            if (run_dir / "report.html").exists():  # the page it drew says pass: not so
                _write_page(results, run_dir, say)
        add_report_stage(results, time.monotonic() - reporting)
        write_results(results, run_dir)
        echo(summary(results))
        say(_("report: {folder}").format(folder=run_dir))
        if (run_dir / "report.html").exists():
            say(_("open in a browser: {page}").format(page=run_dir / "report.html"))
        else:
            say(_("interrupted before report.html was written; vrrplab report {folder} "
                  "draws it").format(folder=run_dir))
    if results["interrupted"]:
        return signals.exit_code(guard.received or record.signal or signal.SIGINT)
    return EXIT_PASS if results["verdict"] == "pass" else EXIT_CHECK_FAILED


def _draw_timeline(results: dict, run_dir: Path, say) -> None:
    from vrrplab.analysis.report import plot_timeline

    try:
        plot_timeline(results, run_dir / "timeline.png")
    except Exception as exc:  # a plot must never hide the verdict
        say(_("warning: could not draw timeline.png: {error}").format(error=exc))


def _write_page(results: dict, run_dir: Path, say) -> None:
    from vrrplab.analysis.html import write_html_report

    try:
        write_html_report(run_dir, results)
    except Exception as exc:  # the page must never hide the verdict
        say(_("warning: could not write report.html: {error}").format(error=exc))


class _TerminalEcho:
    """click.echo that outlives its terminal: after SIGHUP (the window closed) a write
    fails with EIO; the run goes on quietly and still writes its files."""

    def __init__(self, err: bool):
        self.err = err
        self.gone = False

    def __call__(self, line: str) -> None:
        if self.gone:
            return
        try:
            click.echo(line, err=self.err)
        except OSError:
            self.gone = True


def _described(description: str) -> str:
    """A scenario's description (English, from its YAML) in the catalogue's words if any."""
    return for_terminal(_(description)) if description else description  # ESC: escaped


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, path_type=Path))
@lang_option
@friendly_errors
def report(run_dir: Path) -> None:
    """Redraw timeline.png and report.html and reprint the summary of a past run."""
    from vrrplab.analysis.html import write_html_report
    from vrrplab.analysis.report import load_results, plot_timeline, summary
    from vrrplab.analysis.stored import reading

    results = load_results(run_dir)
    folder = run_dir if run_dir.is_dir() else run_dir.parent
    if results["verdict"] == "skipped":  # nothing ran: nothing to draw
        with reading(run_dir):
            click.echo(summary(results))
        return
    with reading(run_dir):  # what the checked shape lets through: one line, exit 2
        try:
            # a link named timeline.png is replaced, never written through (report.html too)
            replace_file(folder / "timeline.png", lambda new: plot_timeline(results, new))
            page = write_html_report(folder, results)
        except OSError as exc:  # a read-only folder, a full disk: one line, exit 2
            raise InputError(Message(N_("{folder}: cannot write the report there: {reason}"),
                                     folder=str(folder), reason=exc.strerror or str(exc))
                             ) from None
        click.echo(summary(results))
    click.echo(_("open in a browser: {page}").format(page=page))


SHEET_ONLY = ("blanks", "teacher", "from_run", "no_run", "out")  # export's sheet options
CONTAINERLAB_ONLY = ("router_image", "speaker")


@main.command()
@click.argument("scenario")
@click.argument("folder", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option("--containerlab", "clab_folder", metavar="DIR", default=None,
              type=click.Path(path_type=Path),
              help="Instead of the sheet, write the lab for containerlab (one host) or "
                   "clabernetes (a cluster) into DIR: SCENARIO.clab.yml, the routers' "
                   "Dockerfile and keepalived.conf files, README.md.")
@click.option("--speaker", type=click.Choice(["keepalived", "frr"]), default="keepalived",
              show_default=True, help="With --containerlab: the routers' VRRP daemon.")
@click.option("--router-image", default=None, metavar="IMAGE",
              help="With --containerlab: the routers' image, as the cluster pulls it "
                   "[default: vrrplab/keepalived:2.2.7, built from DIR's Dockerfile; "
                   "with --speaker frr, quay.io/frrouting/frr:8.4.2].")
@click.option("--blanks", is_flag=True,
              help="Leave blanks (________) in the keepalived.conf files for the students to "
                   "fill in: initial state, VRID, priority, password, VIP.")
@click.option("--teacher", is_flag=True,
              help="Also write sheet-teacher.html, with the answers: the RFC's figures and, "
                   "as root, those of a run of SCENARIO made now.")
@click.option("--from-run", type=click.Path(exists=True, path_type=Path), default=None,
              metavar="RUN_DIR", help="The teacher's answers measured by this run of SCENARIO "
                                      "(its results.json) instead of a new run; implies --teacher.")
@click.option("--no-run", is_flag=True, help="The teacher's copy without a run: the RFC's "
                                             "figures only.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Where the run for the teacher's copy writes its report.")
@lang_option
@click.pass_context
@friendly_errors
def export(ctx: click.Context, scenario: str, folder: Path | None, clab_folder: Path | None,
           speaker: str, router_image: str | None, blanks: bool, teacher: bool,
           from_run: Path | None, no_run: bool, out: Path) -> None:
    """Write the lab sheet of SCENARIO into DIR (new or empty): sheet.html, topology.png,
    each router's keepalived.conf; with --teacher, sheet-teacher.html with the answers.

    Or, with --containerlab DIR instead of DIR, the same lab for containerlab or
    clabernetes (no root needed)."""
    given = [name for name in ctx.params
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    if folder is not None and clab_folder is not None:
        raise InputError(Message(N_("export: expected DIR (the lab sheet) or --containerlab DIR "
                                    "(the lab for containerlab), not both: got {folder} and "
                                    "--containerlab {clab}"), folder=str(folder),
                                 clab=str(clab_folder)))
    if folder is None and clab_folder is None:
        raise InputError(N_("export: expected a folder: DIR for the lab sheet (vrrplab export "
                            "SCENARIO DIR), or --containerlab DIR for the lab on containerlab"))
    wrong = [n for n in given if n in (SHEET_ONLY if clab_folder else CONTAINERLAB_ONLY)]
    if wrong:
        options = ", ".join("--" + n.replace("_", "-") for n in wrong)
        raise InputError(Message(N_("export --containerlab: {options}: options of the lab "
                                    "sheet (vrrplab export SCENARIO DIR), not of --containerlab")
                                 if clab_folder else
                                 N_("export: {options}: only with --containerlab DIR"),
                                 options=options))
    if clab_folder is not None:
        from vrrplab.export.clab_command import export_containerlab

        sys.exit(export_containerlab(scenario, clab_folder, router_image, speaker,
                                     say=click.echo))
    from vrrplab.export.command import export as write_sheet

    sys.exit(write_sheet(scenario, folder, blanks=blanks, teacher=teacher, from_run=from_run,
                         run=not no_run, out=out, say=click.echo))


@main.command()
@click.option("--dry-run", is_flag=True, help="Say what would be removed, remove nothing.")
@lang_option
@friendly_errors
def clean(dry_run: bool) -> None:
    """Remove only what a killed vrrplab run left (never by name pattern)."""
    from vrrplab.lab import sandbox

    sandbox.require_root()
    sandbox.clean(dry_run, say=click.echo)


@main.command()
@click.argument("lab")
@click.option("--speaker", type=SPEAKER, default="keepalived",
              show_default=True, help="Which VRRP daemon the routers run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Configs and logs go to OUT/shell/<name>/<run-id>/.")
@click.option("--run-dir", type=click.Path(path_type=Path), hidden=True)
@lang_option
@friendly_errors
def shell(lab: str, speaker: str, out: Path, run_dir: Path | None) -> None:
    """Build the lab of LAB (a scenario or a topology) and open a prompt where the lesson's
    commands work: r1 ip addr show eth0, c1 ping 192.168.1.1 &, r1 systemctl stop
    keepalived, state, help..."""
    from vrrplab.lab import sandbox
    from vrrplab.shell.launch import find_lab, launch, load_lab, shell_here

    path = find_lab(lab)
    scenario = load_lab(path)
    scenario = fit.refuse_missing(scenario, kinds_for(speaker, [r.name for r in
                                                               scenario.topology.routers]))
    if run_dir is not None and sandbox.is_inside():
        sys.exit(shell_here(scenario, speaker, run_dir))
    sys.exit(launch(path, scenario, speaker, out))


@main.command()
@click.option("--config", "config", required=True, type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="The speaker's config, as rendered by vrrplab.")
@click.option("--check", is_flag=True, help="Only validate the config, like keepalived -t.")
@click.option("--outside-lab", is_flag=True,
              help="Run even outside a vrrplab lab node: the VIPs go on this namespace's "
                   "interfaces, the host's maybe.")
@friendly_errors
def speaker(config: Path, check: bool, outside_lab: bool) -> None:
    """Run the bundled VRRP speaker in this namespace (vrrplab starts it per router)."""
    from vrrplab.bundled import speak

    sys.exit(speak(config, check, outside_lab))


@main.command()
@click.option("--speakers", default=None, metavar="KIND,...",
              help="The speakers paired, each with each, in both roles "
                   "[default: bundled,keepalived,frr].")
@click.option("--scenarios", default=None, metavar="NAME,...",
              help="The scenarios every pair runs [default: failover-basic].")
@click.option("--versions", default=None, metavar="2,3",
              help="The VRRP versions every pair runs in [default: 2,3].")
@click.option("--ipv6", is_flag=True, help="Also run the ipv6 scenario (VRRPv3 only).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where interop.md, interop.json and the runs go "
                   "[default: reports/interop/<timestamp>].")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A previous interop.json: exit 1 only for a cell that did not fail in it.")
@lang_option
@friendly_errors
def interop(speakers: str | None, scenarios: str | None, versions: str | None, ipv6: bool,
            out: Path | None, baseline: Path | None) -> None:
    """Run every ordered pair of speakers (r1 on one, r2 on the other) in each VRRP
    version and write the matrix: interop.md (a table per scenario x version) and
    interop.json.

    Exit 0 every cell passed or was skipped, 1 a cell failed (with --baseline: a cell that
    did not fail there), 2 bad input (nothing started), 3 not root or a speaker missing,
    130 interrupted (the files keep the cells done)."""
    from vrrplab.interop.command import interop as run_interop

    sys.exit(run_interop(speakers, scenarios, versions, ipv6, out, baseline, say=click.echo))


@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@click.option("--speaker", "speakers", type=SPEAKER, multiple=True,
              default=("keepalived",), show_default=True, help="Repeatable: each one runs all.")
@click.option("--repeat", type=click.IntRange(1), default=5, show_default=True,
              help="Runs per scenario x speaker (a failed run is rerun once more).")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Runs at once (each in its own namespaces).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where bench.json, bench.md, junit.xml, bench.png go "
                   "[default: reports/bench/<timestamp>].")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A previous bench.json: exit 1 when a median regresses past --tolerance.")
@click.option("--tolerance", type=Number(0), default=10.0, show_default=True,
              help="Percent a median may grow over the baseline's.")
@friendly_errors
def bench(scenarios: tuple[str, ...], speakers: tuple[str, ...], repeat: int, jobs: int,
          out: Path | None, baseline: Path | None, tolerance: float) -> None:
    """Run SCENARIO... --repeat times per speaker; spread, thresholds, baseline (issue #10)."""
    from vrrplab.bench.command import bench as run_bench

    sys.exit(run_bench(scenarios, speakers, repeat, jobs, out, baseline, tolerance,
                       say=click.echo))


@main.command()
@click.argument("scenario")
@click.option("--set", "sets", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="advert_int=1,0.1,0.01 or priority=r2:90,r2:150; several: a grid.")
@click.option("--speaker", type=SPEAKER, default="keepalived",
              show_default=True, help="Which VRRP daemon the routers run.")
@click.option("--repeat", type=click.IntRange(1), default=3, show_default=True,
              help="Runs per point.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="[default: reports/sweep/<scenario>-<timestamp>].")
@friendly_errors
def sweep(scenario: str, sets: tuple[str, ...], speaker: str, repeat: int,
          out: Path | None) -> None:
    """Run SCENARIO at each --set value: takeover vs the RFC curve, and the cost (issue #10)."""
    from vrrplab.bench.sweep import sweep as run_sweep

    sys.exit(run_sweep(scenario, sets, speaker, repeat, out, say=click.echo))
