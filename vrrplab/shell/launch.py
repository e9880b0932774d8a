"""`vrrplab shell SCENARIO|TOPOLOGY`: find the lab, then open the prompt inside the same
private namespaces as `vrrplab run`.

Outside (`launch`, as root): the checks `run` makes, then `sandbox.run_inside` runs
`vrrplab shell FILE --run-dir DIR` as PID 1 of fresh namespaces, its stdin and stdout
still the terminal. The supervisor forwards Ctrl-C, SIGTERM and SIGHUP to it, and the
shell is registered for `vrrplab clean` while it lives; kill -9 of the supervisor takes
the namespace, and the whole lab, with it. The terminal's settings are put back after
(readline changes them inside). Inside (`shell_here`): the session is built, the prompt
runs, and the lab is torn down however the prompt ends.

The configs, logs and probe logs go to OUT/shell/<name>/<run-id>/, a folder made for this
shell alone (`rundir.make_run_dir`), as a run's are.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import termios
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from vrrplab import i18n
from vrrplab.boundedio import for_terminal
from vrrplab.errors import EXIT_INTERRUPTED, EXIT_PASS, InputError
from vrrplab.i18n import N_, Message, _
from vrrplab.lab import sandbox
from vrrplab.loader import (
    PROJECT_ROOT,
    default_probes,
    find_scenario,
    list_scenarios,
    load_scenario,
    load_topology,
    read_yaml,
)
from vrrplab.loader.model import Scenario
from vrrplab.rundir import check_out, make_run_dir
from vrrplab.run.signals import Interrupted, exit_code
from vrrplab.shell.jobs import Terminal
from vrrplab.shell.prompt import Prompt
from vrrplab.shell.session import Session

# a shell left open on a classroom machine ends by itself (SIGTERM: the lab torn down)
SHELL_DEADLINE_S = 12 * 3600.0


def find_lab(target: str) -> Path:
    """A scenario (a name or a file, as `run` finds one), else a topology of the catalogue by
    its name: never a look-alike in the current folder (a file there is named by its path)."""
    try:
        return find_scenario(target)
    except InputError:
        pass
    path = PROJECT_ROOT / "topologies" / f"{target}.yaml"
    if "/" not in target and path.is_file():
        return path
    topologies = sorted(p.stem for p in (PROJECT_ROOT / "topologies").glob("*.yaml"))
    raise InputError(Message(N_("{name}: no such scenario or topology (scenarios: "
                                "{scenarios}; topologies: {topologies})"), name=target,
                             scenarios=", ".join(p.stem for p in list_scenarios()),
                             topologies=", ".join(topologies)))


def load_lab(path: Path) -> Scenario:
    """A scenario, or a bare topology as a scenario with no steps (its clients probing as a
    scenario without `probe` does)."""
    data = read_yaml(path)
    if isinstance(data, dict) and "steps" in data:
        return load_scenario(path)
    topology = load_topology(path)
    return Scenario(name=topology.name, description=topology.description, path=path,
                    topology=topology, steps=(), probes=default_probes(topology))


def launch(path: Path, scenario: Scenario, speaker: str, out: Path) -> int:
    """Outside: check the machine, then run the shell in a private namespace."""
    check_out(out)  # exit 2, one line, before anything starts
    sandbox.require_root()
    sandbox.require_tools({"keepalived": "keepalived"})
    sandbox.require_kernel()
    run_dir = make_run_dir(out / "shell" / scenario.name,
                           f"shell-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}")
    run_id = run_dir.name
    argv = ["shell", str(path.resolve()), "--speaker", speaker, "--run-dir", str(run_dir),
            "--lang", i18n.language()]
    saved = _terminal_mode()
    # Ctrl-Z would stop this supervisor only, and leave the shell inside reading the
    # terminal behind the user's own shell: ignored
    previous = signal.signal(signal.SIGTSTP, signal.SIG_IGN)
    try:
        return sandbox.run_inside(argv, run_id, run_dir, timeout=SHELL_DEADLINE_S)
    finally:
        signal.signal(signal.SIGTSTP, previous)
        _restore_terminal(saved)


def _terminal_mode() -> list | None:
    try:
        return termios.tcgetattr(sys.stdin.fileno())
    except (termios.error, OSError, ValueError):
        return None  # not a terminal: nothing to put back


def _restore_terminal(saved: list | None) -> None:
    if saved is not None:
        try:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
        except (termios.error, OSError, ValueError):
            pass


def _interrupted(signum, _frame):
    raise Interrupted(signum)


def shell_here(scenario: Scenario, speaker: str, run_dir: Path) -> int:
    """Inside the private namespace: build the lab, run the prompt, tear the lab down."""
    sandbox.prepare_inside()
    console = Console(highlight=False)
    terminal = Terminal()

    def say(line: str) -> None:
        with terminal.lock:
            try:
                console.print(escape(line), highlight=False, soft_wrap=True)
            except (OSError, ValueError):  # the terminal is gone (SIGHUP): go on quietly
                pass

    session = Session(scenario, speaker, run_dir, terminal, say)
    previous = {s: signal.signal(s, _interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
    code = EXIT_PASS
    try:
        # text from a file: its control characters escaped (rich's escape is markup only)
        described = for_terminal(_(scenario.description)) if scenario.description else ""
        say(f"vrrplab shell {scenario.name}: {described}")
        session.build()
        Prompt(session, terminal, console).loop()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Interrupted as exc:  # SIGTERM, or SIGHUP (the terminal closed): 128 + N
        code = exit_code(exc.signum)
    finally:
        terminal.prompt = None
        say(_("taking the lab down"))
        for error in session.close():
            say(error)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code
