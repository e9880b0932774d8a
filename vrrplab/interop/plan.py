"""What `vrrplab interop` will run: its options checked, one cell per ordered pair.

Pure but for the loader: `--speakers`, `--scenarios` and `--versions` are comma lists;
each value is checked before anything runs (InputError, exit 2, naming what was
expected), every scenario loads at every version it will run in, and its lab must have
exactly two routers (r1 runs the row's speaker, r2 the column's). `--ipv6` adds the
`ipv6` scenario, in VRRPv3 only (RFC 5798 is the only VRRP for IPv6). A cell is one
`python -m vrrplab run SCENARIO --speaker r1=A,r2=B --vrrp-version N` (`command_line`).

Leaves to others: running and reading the cells (command.py), the matrix (matrix.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.speakers import SPEAKER_KINDS

DEFAULT_SPEAKERS = ("bundled", "keepalived", "frr")
DEFAULT_SCENARIOS = ("failover-basic",)
DEFAULT_VERSIONS = (2, 3)
VERSIONS = (2, 3)
IPV6_SCENARIO = "ipv6"  # --ipv6: this scenario, in VRRPv3 only


@dataclass(frozen=True)
class Cell:
    """One run: the scenario in one VRRP version, r1 on one speaker, r2 on another."""

    scenario: str  # its name
    path: str  # its file, resolved
    version: int
    r1: str  # r1's speaker kind (the matrix's row)
    r2: str  # r2's speaker kind (its column)

    @property
    def speaker(self) -> str:
        """The `--speaker` value of its run."""
        return f"r1={self.r1},r2={self.r2}"

    @property
    def key(self) -> tuple[str, int, str, str]:
        return self.scenario, self.version, self.r1, self.r2

    @property
    def label(self) -> str:
        """A file name for its log: failover-basic.v2.keepalived-frr."""
        return f"{self.scenario}.v{self.version}.{self.r1}-{self.r2}"


def split_list(value: str | None, option: str) -> list[str]:
    """`a,b , c` -> [a, b, c], each once in the order given; InputError when empty."""
    items = [v.strip() for v in (value or "").split(",")]
    if not value or not all(items):
        raise InputError(Message(N_("{option}: expected a comma-separated list, got {value}"),
                                 option=option, value=repr(value or "")))
    return list(dict.fromkeys(items))


def parse_speakers(value: str | None) -> list[str]:
    if value is None:
        return list(DEFAULT_SPEAKERS)
    kinds = split_list(value, "--speakers")
    unknown = [k for k in kinds if k not in SPEAKER_KINDS]
    if unknown:
        raise InputError(Message(N_("--speakers: expected speaker kinds among {kinds}, got "
                                    "{unknown}"), kinds=", ".join(SPEAKER_KINDS),
                                 unknown=", ".join(unknown)))
    return kinds


def parse_versions(value: str | None) -> list[int]:
    if value is None:
        return list(DEFAULT_VERSIONS)
    texts = split_list(value, "--versions")
    unknown = [v for v in texts if v not in {str(n) for n in VERSIONS}]
    if unknown:
        raise InputError(Message(N_("--versions: expected VRRP versions among 2, 3, got "
                                    "{unknown}"), unknown=", ".join(unknown)))
    return [int(v) for v in texts]


def parse_scenarios(value: str | None) -> list[str]:
    return list(DEFAULT_SCENARIOS) if value is None else split_list(value, "--scenarios")


def plan(speakers: list[str], scenarios: list[str], versions: list[int],
         ipv6: bool = False) -> list[Cell]:
    """Every cell, scenario by scenario, version by version, row by row (r1's speaker),
    column by column (r2's). InputError (all problems at once) when a scenario is not in
    the catalogue, does not load at a version, or has not exactly two routers."""
    wanted = [(name, versions) for name in scenarios]
    if ipv6 and IPV6_SCENARIO not in scenarios:
        wanted.append((IPV6_SCENARIO, [3]))
    problems: list = []
    cells: list[Cell] = []
    for name, at in wanted:
        try:
            path = find_scenario(name).resolve()
        except InputError as exc:
            problems.append(exc.message)
            continue
        for version in at:
            try:
                loaded = load_scenario(path, vrrp_version=version)
            except InputError as exc:
                problems.append(exc.message)
                continue
            routers = [r.name for r in loaded.topology.routers]
            if routers != ["r1", "r2"]:
                problems.append(Message(N_("{scenario}: expected a lab of two routers, r1 "
                                           "and r2 (a pair of speakers), got {routers}"),
                                        scenario=name, routers=", ".join(routers)))
                break
            cells += [Cell(loaded.name, str(path), version, a, b)
                      for a in speakers for b in speakers]
    if problems:
        raise InputError(problems)
    return cells


def command_line(cell: Cell, runs_dir: Path) -> list[str]:
    """The cell's run. --lang en: the run's `report: DIR` line is read back; --json: its
    results.json on stdout."""
    return [sys.executable, "-m", "vrrplab", "run", cell.path, "--speaker", cell.speaker,
            "--vrrp-version", str(cell.version), "--out", str(runs_dir), "--json",
            "--lang", "en"]
