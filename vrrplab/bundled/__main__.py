"""`python -m vrrplab.bundled --config FILE [--check]`: the speaker without the CLI around it.

The same `speak` as `vrrplab speaker`, reached without importing click
and the YAML loader: a speaker that starts 0.1 s sooner preempts 0.1 s sooner
after a restart, and `BundledSpeaker.command()` uses this door for that reason.
`--check` goes to `check.check` without importing the daemon at all (the lab runs it
once per router before starting it: `BundledSpeaker.prepare`). The process ends with
`leave`: its log flushed, no interpreter teardown.
Like `vrrplab speaker`, it refuses to run outside a vrrplab lab node (it would add
the VIPs to the host's interfaces) unless given --outside-lab; --check runs anywhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vrrplab import i18n
from vrrplab.bundled import speak
from vrrplab.errors import EnvironmentProblem
from vrrplab.linux import leave


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vrrplab.bundled", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="the speaker's JSON config")
    parser.add_argument("--check", action="store_true", help="only validate the config, like keepalived -t")
    parser.add_argument("--outside-lab", action="store_true",
                        help="run even outside a vrrplab lab node (the VIPs go on this namespace's interfaces)")
    return parser.parse_args(argv)


def run(argv: list[str]) -> int:
    """`vrrplab speaker`'s rules (`speak`), click aside: a refusal in one line, its exit code."""
    args = _args(argv)
    i18n.set_language(None)  # the locale's, as `vrrplab speaker` speaks it
    try:
        return speak(args.config, args.check, args.outside_lab)
    except EnvironmentProblem as exc:
        print(f"vrrplab: {exc.localized()}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    leave(run(sys.argv[1:]))
