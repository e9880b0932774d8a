"""A snapshot of what a lab run must not change on the host.

Other labs may run on the machine meanwhile (a teacher's, a parallel bench, another test
session): their daemons and run records are not this run's. A run is known by its output
folder: every process of a lab has it on its command line (vrrplab's own --run-dir,
keepalived's -f, tcpdump's -w, the speakers' and probes' files), and its run record names
it. So `daemons` and `registry` are this run's only; the rest (links, addresses, routes,
nftables, sysctls) is the host's, which no lab may change.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REGISTRY = Path("/run/vrrplab-runs")

SYSCTLS = ["net.ipv4.ip_forward", "net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce",
           "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.all.ignore_routes_with_linkdown",
           "net.core.somaxconn", "fs.file-max",
           "net.ipv4.neigh.default.gc_thresh1"]


def _out(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout


def run_processes(out: Path) -> list[str]:
    """Processes (pid: command line) whose command line names `out` or a path below it."""
    mark = str(Path(out).resolve()).encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name == str(os.getpid()):
            continue
        try:
            argv = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if mark in argv:
            words = argv.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name}: {words}")
    return sorted(found)


def run_records(out: Path) -> list[str]:
    """The run registry's records of runs writing below `out`."""
    mark = str(Path(out).resolve())
    found = []
    for path in REGISTRY.glob("*.json") if REGISTRY.exists() else ():
        try:
            if json.loads(path.read_text()).get("out", "").startswith(mark):
                found.append(path.name)
        except (OSError, ValueError):
            continue
    return sorted(found)


def host_snapshot(out: Path) -> dict:
    """The host as a lab may not change it, and what is left of the runs writing to `out`."""
    links = sorted(line.split("@")[0].split()[0] for line in _out("ip", "-br", "link").splitlines())
    return {
        "links": links,
        "addresses": _out("ip", "-br", "addr"),
        "routes": _out("ip", "route", "show", "table", "all"),
        "rules": _out("ip", "rule"),
        "netns": _out("ip", "netns", "list"),
        "nft": _out("nft", "list", "ruleset"),
        "sysctls": {s: _out("sysctl", "-n", s).strip() for s in SYSCTLS},
        "daemons": run_processes(out),
        "registry": run_records(out),
    }
