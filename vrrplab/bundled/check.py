"""`--check`: the bundled speaker's config read and this namespace checked, like `keepalived -t`.

What `vrrplab speaker --check` and `python -m vrrplab.bundled --check` run; the lab runs
it in each router's namespace before starting the daemon there (`BundledSpeaker.prepare`).
Kept apart from `daemon` so that a check imports neither the event loop nor the sockets,
netlink and scripts it drives; the daemon checks the namespace with the same
`check_environment` before it starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from vrrplab.bundled.config import ConfigProblem, DaemonConfig, load_config
from vrrplab.errors import InputError
from vrrplab.linux import PROC_NET, SYS_NET


def check_environment(config: DaemonConfig) -> list[str]:
    """What the namespace must have: every interface the config names, IPv6 where an instance needs it."""
    devices = dict.fromkeys([*config.interfaces, *(d for i in config.instances for d in i.tracked_links)])
    problems = [f"interface {d}: no such device in this network namespace" for d in devices
                if not (SYS_NET / d).exists()]
    ipv6 = dict.fromkeys(i.device for i in config.instances if i.family == 6 and (SYS_NET / i.device).exists())
    return problems + [f"interface {d}: IPv6 is disabled (net.ipv6.conf.{d}.disable_ipv6 = 1)" for d in ipv6
                       if _read(PROC_NET / "ipv6" / "conf" / d / "disable_ipv6") != "0"]


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def load_checked(config_path: Path) -> DaemonConfig:
    """The config, read, with this namespace checked against it (`check_environment`):
    InputError when the file is no config at all, ConfigProblem when it is refused."""
    config = load_config(Path(config_path))
    problems = check_environment(config)
    if problems:
        raise ConfigProblem(problems)
    return config


def say_no_config(exc: InputError) -> None:
    """A file that is no config at all: its one line (or lines) on stderr."""
    for line in exc.localized().splitlines():
        print(line, file=sys.stderr)


def check(config_path: Path) -> int:
    """The exit code: 0 accepted (keepalived's warnings on stderr as `FILE: warning: ...`),
    1 refused (each problem on stderr as `FILE: ...`), 2 no config at all (unreadable, not
    JSON, another schema: one line)."""
    try:
        config = load_checked(config_path)
    except InputError as exc:  # not a config at all (vrrplab.boundedio)
        say_no_config(exc)
        return exc.exit_code
    except ConfigProblem as exc:
        for problem in exc.problems:
            print(f"{config_path}: {problem}", file=sys.stderr)
        return 1
    for note in config.warnings:
        print(f"{config_path}: warning: {note}", file=sys.stderr)
    return 0
