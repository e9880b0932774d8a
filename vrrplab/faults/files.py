"""The files faults use and leave behind, named in one place: pure paths and a reader.

set_priority moves a router's priority the same way for every speaker: the loader
gives the router one track script per priority a scenario asks for, each testing a
flag file under the run's private /run/vrrplab; the fault action touches the flag.
An attacker appends JSON lines to `<node>.attack.log` in the run directory, which
the runner waits on and the analysis reads.
"""

from __future__ import annotations

import json
from pathlib import Path

RUN_DIR = Path("/run/vrrplab")  # scratch on the run's private tmpfs (sandbox mounts /run)
PRIORITY_FLAGS = RUN_DIR / "priority"  # set_priority's flags
PRIORITY_SCRIPT = "vrrplab_priority_"  # the scripts' name prefix (then the priority)
PRIORITY_CHECK_S = 1.0  # how often a speaker runs a priority script (keepalived's minimum)


def priority_flag(router: str, priority: int) -> Path:
    return PRIORITY_FLAGS / f"{router}-{priority}"


def priority_script(router: str, base: int, priority: int) -> tuple[str, str, int]:
    """(name, shell command, weight) of the track script that sets `priority` by a flag.

    keepalived adds a negative weight while the script fails, a positive one while
    it succeeds: the test is written so that the flag applies the weight.
    """
    weight = priority - base
    test = "test ! -e" if weight < 0 else "test -e"
    return f"{PRIORITY_SCRIPT}{priority}", f"{test} {priority_flag(router, priority)}", weight


def attack_log(out: Path, node: str) -> Path:
    """Where an attacker's JSON lines go (appended: one file per attacker, every attack)."""
    return Path(out) / f"{node}.attack.log"


def read_attack_log(path: Path) -> list[dict]:
    """The attacker's JSON lines (its stderr, scapy's warnings, shares the file: skipped)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    events = []
    for line in lines:
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a kill
    return events
