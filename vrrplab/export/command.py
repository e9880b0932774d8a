"""`vrrplab export SCENARIO DIR`: check, measure if asked, render, then write the folder.

Order: the scenario loads, DIR can take the sheet (a new or an empty folder, never a
file or a link; vrrplab can write there), a `--from-run` folder holds a results.json of
this scenario on the same timers (read by `analysis.stored`): else one line, exit 2,
nothing written. Then, for the teacher's copy as root without `--from-run` (and without
`--no-run`), the scenario runs (`python -m vrrplab run SCENARIO --json --quiet`, its
report in `--out`, reports/ by default, as `vrrplab run` does; its summary on stderr);
a run that cannot happen (a tool missing) leaves the RFC's figures alone, and the copy
says why; Ctrl-C or another signal ends the export with the run's exit code, nothing
written. Only then is everything rendered, in memory, and written: DIR made by one mkdir
(or the empty folder given), each file created new (`O_EXCL`, no link followed), and on
a failure what was written is removed.

DIR: `sheet.html` (the students'), `topology.png`, `<router>.keepalived.conf` (blanks
with `--blanks`), the track scripts they name, and with `--teacher` (or `--from-run`)
`sheet-teacher.html`, the same page with the answers.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

from vrrplab import i18n
from vrrplab.analysis.html import environment
from vrrplab.analysis.stored import load_results, reading
from vrrplab.errors import EXIT_PASS, InputError
from vrrplab.export import configs as config_files
from vrrplab.export.draw import draw_topology
from vrrplab.export.sheet import build_sheet
from vrrplab.i18n import N_, Message, _
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.loader.model import Scenario
from vrrplab.rundir import check_out

TEMPLATE = "sheet.html"
STUDENTS, TEACHER, DRAWING = "sheet.html", "sheet-teacher.html", "topology.png"
FIRST_SIGNAL_EXIT = 128  # a run ended by signal N exits 128 + N (130: Ctrl-C)


def _refuse(template: str, **values) -> InputError:
    return InputError(Message(template, **values))


def check_folder(folder: Path) -> None:
    """DIR must be new, or an empty folder (not a link): one line, exit 2, otherwise."""
    if os.path.islink(folder):
        raise _refuse(N_("{folder}: a link; give vrrplab export a new or empty folder"),
                      folder=str(folder))
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise _refuse(N_("{folder}: not a folder; give vrrplab export a new or empty "
                             "folder"), folder=str(folder))
        try:
            if any(folder.iterdir()):
                raise _refuse(N_("{folder}: not empty; vrrplab export writes into a new or "
                                 "empty folder (nothing was written)"), folder=str(folder))
        except OSError as exc:
            raise _refuse(N_("{folder}: cannot be read: {reason}"), folder=str(folder),
                          reason=exc.strerror or str(exc)) from None
    check_out(folder, option="vrrplab export")


def check_run(results: dict, scenario: Scenario, run_dir: Path) -> None:
    """The run is of this scenario, on the same timers: its figures answer this sheet's."""
    vrrp = scenario.topology.vrrp
    ran = results.get("vrrp") or {}
    if results.get("scenario") != scenario.name:
        raise _refuse(N_("{run}: a run of {ran}, not of {scenario}"), run=str(run_dir),
                      ran=str(results.get("scenario")), scenario=scenario.name)
    priorities = {r: info.get("priority") for r, info in (ran.get("routers") or {}).items()}
    wanted = {r.name: r.priority for r in vrrp.routers}
    if (ran.get("version"), ran.get("advert_int_s"), priorities) != \
            (vrrp.version, vrrp.advert_int, wanted) or results.get("given_configs"):
        raise _refuse(N_("{run}: ran {scenario} on other settings (VRRP version, advert "
                         "interval, priorities or the routers' own files): its figures would "
                         "not answer this sheet"), run=str(run_dir), scenario=scenario.name)


def _is_root() -> bool:
    return os.geteuid() == 0


def run_scenario(path: Path, out: Path, say: Callable[[str], None]
                 ) -> tuple[dict | None, Path | None, str, int | None]:
    """Run the scenario for its figures: (results, its folder, why not, a signal's exit
    code). The run's own summary goes to stderr as it comes."""
    argv = [sys.executable, "-m", "vrrplab", "run", str(path.resolve()), "--json", "--quiet",
            "--out", str(out), "--lang", i18n.language()]
    say(_("running the scenario for the measured figures (about a minute at most)..."))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        stdout, _err = proc.communicate()
    except KeyboardInterrupt:  # the run got the Ctrl-C too: let it tear its lab down
        stdout, _err = proc.communicate()
    code = proc.returncode
    if code < 0:  # killed by a signal it did not handle
        code = FIRST_SIGNAL_EXIT - code
    if code >= FIRST_SIGNAL_EXIT:
        return None, None, "", code
    try:
        printed = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        printed = {}
    if not isinstance(printed, dict) or not printed.get("run_id"):
        return None, None, _("The run to measure them did not finish (exit {code}).").format(
            code=code), None
    folder = (out / str(printed.get("scenario")) / str(printed["run_id"])).resolve()
    return load_results(folder), folder, "", None


def render_page(sheet, teacher: bool, blanks: bool, topology_png: bytes, shown: dict[str, str],
                full: dict[str, str], scripts: dict[str, str], addresses: list[dict]) -> str:
    template = environment().get_template(TEMPLATE)
    texts = full if teacher else shown
    return template.render(
        lang=i18n.language(), s=sheet, teacher=teacher, blanks=blanks,
        blank=config_files.BLANK,
        topology_uri="data:image/png;base64," + base64.b64encode(topology_png).decode("ascii"),
        configs=[{"router": r, "name": config_files.config_name(r), "text": t}
                 for r, t in texts.items()],
        scripts=scripts, addresses=addresses)


def addresses(scenario: Scenario) -> list[dict]:
    """The drawing's addresses as a table: node, role, interface, address, segment, gateway."""
    roles = {"router": _("router"), "client": _("client"), "upstream": _("upstream host"),
             "attacker": _("attacker")}
    rows = []
    for node in scenario.topology.nodes:
        for intf in node.interfaces:
            rows.append({"node": node.name, "role": roles.get(node.role, node.role),
                         "interface": intf.name, "address": str(intf.address),
                         "segment": intf.segment,
                         "gateway": str(node.gateway) if node.gateway else ""})
    return rows


CANNOT_WRITE = N_("{folder}: cannot write the sheet there: {reason}")


def write_folder(folder: Path, files: dict[str, bytes], refusal: str = CANNOT_WRITE) -> None:
    """Make `folder` (or take the empty one given) and create each file new in it; on a
    failure, remove what was written and raise `refusal` (an N_ template: folder, reason)."""
    made = False
    written: list[Path] = []
    try:
        if not os.path.lexists(folder):
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(folder, 0o755)
            made = True
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        for name, data in files.items():
            path = folder / name
            fd = os.open(path, flags, 0o644)
            written.append(path)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            if name.endswith(".sh"):
                os.chmod(path, 0o755)
    except OSError as exc:
        for path in written:
            try:
                path.unlink()
            except OSError:
                pass
        if made:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise _refuse(refusal, folder=str(folder), reason=exc.strerror or str(exc)) from None


def export(target: str, folder: Path, blanks: bool = False, teacher: bool = False,
           from_run: Path | None = None, run: bool = True, out: Path = Path("reports"),
           say: Callable[[str], None] = print) -> int:
    """The command; returns its exit code (InputError: the caller's one line, exit 2)."""
    path = find_scenario(target)
    scenario = load_scenario(path)
    folder = Path(folder)
    check_folder(folder)
    teacher = teacher or from_run is not None
    results, run_folder, no_run = None, None, ""
    if from_run is not None:
        results = load_results(from_run)
        run_folder = (from_run if from_run.is_dir() else from_run.parent).resolve()
        check_run(results, scenario, from_run)
    elif teacher and run and _is_root():
        check_out(out)
        results, run_folder, no_run, stopped = run_scenario(path, out, say)
        if stopped is not None:
            return stopped
        if no_run:  # the run said why on stderr; the copy will say it too
            say(_("warning: {error}").format(error=no_run))
    elif teacher:
        no_run = (_("vrrplab export --no-run: no run asked for.") if not run else
                  _("As root, vrrplab export --teacher runs the scenario itself; or give it "
                    "a run's folder: --from-run RUN_DIR."))

    with reading(run_folder) if results is not None else nullcontext():
        topology = scenario.topology
        full = config_files.rendered(topology)
        shown = {r: config_files.with_blanks(t) for r, t in full.items()} if blanks else full
        scripts = config_files.scripts(topology)
        drawing = draw_topology(topology, scenario.name)
        table = addresses(scenario)
        files: dict[str, bytes] = {DRAWING: drawing}
        for router, text in shown.items():
            files[config_files.config_name(router)] = text.encode("utf-8")
        for name, text in scripts.items():
            files[name] = text.encode("utf-8")
        students = build_sheet(scenario, target, blanks)
        files[STUDENTS] = render_page(students, False, blanks, drawing, shown, full, scripts,
                                      table).encode("utf-8")
        if teacher:
            answers = build_sheet(scenario, target, blanks, results, run_folder, no_run)
            files[TEACHER] = render_page(answers, True, blanks, drawing, shown, full, scripts,
                                         table).encode("utf-8")
    write_folder(folder, files)
    say(_("wrote {folder}:").format(folder=folder))
    width = max(len(n) for n in files)
    for name in files:
        say(f"  {name:<{width}}  {_describe(name, blanks)}")
    if not teacher:
        say(_("the answers: the same command with --teacher writes {teacher} too").format(
            teacher=TEACHER))
    else:
        say(_("hand out everything but {teacher}").format(teacher=TEACHER))
        if results is not None and results.get("verdict") != "pass":
            say(_("warning: the run the answers come from did not pass: read its report "
                  "({folder}) before class").format(folder=run_folder))
    return EXIT_PASS


def _describe(name: str, blanks: bool) -> str:
    if name == STUDENTS:
        return _("the students' sheet: open it in a browser, print it")
    if name == TEACHER:
        return _("the teacher's copy, with the answers")
    if name == DRAWING:
        return _("the lab drawn")
    if name.endswith(".keepalived.conf"):
        return _("a router's keepalived.conf, blanks to fill in") if blanks else \
            _("a router's keepalived.conf")
    return _("a track script the configurations name")

