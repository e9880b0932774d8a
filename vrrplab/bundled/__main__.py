"""`python -m vrrplab.bundled --config FILE [--check]`: the speaker without the CLI around it.

The same `daemon.main` as `vrrplab speaker`, reached without importing click
and the YAML loader: a speaker that starts 0.1 s sooner preempts 0.1 s sooner
after a restart, and `BundledSpeaker.command()` uses this door for that reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vrrplab.bundled.daemon import main


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vrrplab.bundled", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="the speaker's JSON config")
    parser.add_argument("--check", action="store_true", help="only validate the config, like keepalived -t")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _args(sys.argv[1:])
    sys.exit(main(args.config, check_only=args.check))
