"""A snapshot of what a lab run must not change on the host."""

from __future__ import annotations

import subprocess
from pathlib import Path

SYSCTLS = ["net.ipv4.ip_forward", "net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce",
           "net.ipv6.conf.all.disable_ipv6", "net.core.somaxconn", "fs.file-max",
           "net.ipv4.neigh.default.gc_thresh1"]


def _out(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout


def host_snapshot() -> dict:
    links = sorted(line.split("@")[0].split()[0] for line in _out("ip", "-br", "link").splitlines())
    return {
        "links": links,
        "addresses": _out("ip", "-br", "addr"),
        "routes": _out("ip", "route", "show", "table", "all"),
        "rules": _out("ip", "rule"),
        "netns": _out("ip", "netns", "list"),
        "nft": _out("nft", "list", "ruleset"),
        "sysctls": {s: _out("sysctl", "-n", s).strip() for s in SYSCTLS},
        "daemons": sorted(_out("pgrep", "-x", "keepalived|tcpdump|mnexec").split()),
        "registry": sorted(p.name for p in Path("/run/vrrplab-runs").glob("*"))
        if Path("/run/vrrplab-runs").exists() else [],
    }
