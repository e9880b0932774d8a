"""The largest lab vrrplab builds: one home for the size limits, checked at validation.

A topology past one of these is refused by `load_topology` with the loader's usual
`FILE: FIELD: expected ...` line (exit 2) before any node is even checked, so a
huge file costs no time and nothing is built. Generous for lessons: the catalogue's
largest topologies (three-routers: 5 nodes, 3 routers, 8 links; load-sharing: 4
instances) are far below them, and a test keeps every catalogue topology within.

Routers and instances are measured (issue 15, reports/benchmarks.md "How far one machine
goes"): 16 routers on one LAN hand the master down 15 times, each takeover in its
window, on both speakers; 255 VRIDs on one router pair converge and move on a crash
(--vrids: the LAN's 255 plus the upstream instance). The others are not measured yet:
they only stop the absurd (a 254-router, 3000-client file).
"""

from __future__ import annotations

from typing import Any

MAX_NODES = 32  # routers + hosts: each one a network namespace and its processes
MAX_ROUTERS = 16  # each one a VRRP speaker per instance
MAX_SEGMENTS = 16  # each one a Linux bridge
MAX_INSTANCES = 256  # VRRP instances (virtual routers), each with its adverts
MAX_LINKS = 64  # interfaces of all the nodes: each one a veth pair to a bridge

LIMITS = {"nodes": MAX_NODES, "routers": MAX_ROUTERS, "segments": MAX_SEGMENTS,
          "instances": MAX_INSTANCES, "links": MAX_LINKS}


def counts(top: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """What a topology's raw mapping asks for: quantity -> (the field it is read from, how
    many). Only what can be counted (a section of the wrong type is reported elsewhere)."""

    def size(value: Any) -> int:
        return len(value) if isinstance(value, (dict, list)) else 0

    routers, hosts = top.get("routers"), top.get("hosts")
    nodes = [spec for section in (routers, hosts) if isinstance(section, dict)
             for spec in section.values()]
    links = sum(size(spec.get("interfaces")) for spec in nodes if isinstance(spec, dict))
    vrrp = top.get("vrrp")
    instances = size(vrrp.get("instances")) if isinstance(vrrp, dict) else 0
    return {"nodes": ("routers, hosts", len(nodes)), "routers": ("routers", size(routers)),
            "segments": ("segments", size(top.get("segments"))),
            "instances": ("vrrp.instances", instances),
            "links": ("routers, hosts: interfaces", links)}
