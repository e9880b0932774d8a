"""The containerlab routers on FRR's vrrpd (`--speaker frr`). Pure text, no I/O.

What `speakers/frr.py` does in vrrplab's lab, as a containerlab node: the router's
frr.conf (`speakers/frr_conf.render_frr_conf`) bound at /etc/frr/frr.conf with a
`daemons` file that starts vrrpd beside zebra; exec lines that set the ARP sysctls
vrrpd's documentation asks for and make the macvlan each VRID needs
(`frr_conf.macvlan_commands`: the virtual MAC, `addrgenmode random` as a command of its
own, the VIPs, up), before the image's own start runs, held back until the exec lines'
last (`READY`). FRR's image is public (`FRR_IMAGE`): nothing to build.

The scenario is the one vrrplab runs on FRR (`speakers/fit`): what vrrpd lacks and the
scenario needs refuses the export (exit 2), what it merely carries is left out (the
textbook's password and sync group), the virtual MAC is taken by every router.
"""

from __future__ import annotations

from vrrplab.errors import InputError
from vrrplab.features import describe_adaptation, describe_missing
from vrrplab.i18n import N_, Message
from vrrplab.loader.model import Node, Scenario, Topology
from vrrplab.speakers import fit
from vrrplab.speakers.frr_conf import (
    ROUTER_SYSCTLS,
    macvlan_commands,
    macvlan_up_commands,
    render_frr_conf,
)

FRR_IMAGE = "quay.io/frrouting/frr:8.4.2"  # FRR's own image of 8.4, the series Debian 12 has
FRR_START = "/usr/lib/frr/docker-start"  # the image's command (under tini, its entrypoint)
DAEMONS = "daemons"


def conf_name(router: str) -> str:
    return f"{router}.frr.conf"


def fitted(scenario: Scenario) -> tuple[Scenario, list[Message]]:
    """The scenario as vrrplab runs it on FRR, and each adaptation in words; InputError
    (exit 2) when vrrpd lacks what the scenario needs."""
    kinds = {r.name: "frr" for r in scenario.topology.routers}
    reasons = fit.missing(scenario, kinds)
    if reasons:
        raise InputError([Message(N_("export --speaker frr: {reason}"),
                                  reason=describe_missing(r)) for r in reasons])
    adapted = fit.fitted(scenario, kinds)
    return adapted, [describe_adaptation(a) for a in adapted.adapted]


def daemons_file() -> str:
    """/etc/frr/daemons: zebra (always started) and vrrpd, the config read by vtysh -b."""
    return "\n".join([
        "# FRR's daemons for vrrplab's routers: watchfrr and zebra always start, and vrrpd",
        "vrrpd=yes",
        "vtysh_enable=yes",
        'zebra_options="  -A 127.0.0.1 -s 90000000"',
        'vrrpd_options="  -A 127.0.0.1"']) + "\n"


def router_node(topology: Topology, node: Node, image: str, lines: list[str],
                ready: str) -> dict:
    """The router's containerlab node: `lines` (its addresses and routes) then vrrpd's."""
    sysctls = [f"sysctl -qw {key}={value}" for key, value in ROUTER_SYSCTLS]
    lines = lines + [s for s in sysctls if s not in lines]
    lines += [f"ip {command}" for command in macvlan_commands(topology, node.name)]
    lines += [f"ip {command}" for command in macvlan_up_commands(topology)]
    return {"kind": "linux", "image": image, "network-mode": "none",
            "cmd": f"sh -c 'until [ -e {ready} ]; do sleep 0.2; done; exec {FRR_START}'",
            "binds": [f"{conf_name(node.name)}:/etc/frr/frr.conf:ro",
                      f"{DAEMONS}:/etc/frr/daemons:ro"],
            "exec": lines + [f"touch {ready}"]}


def frr_confs(topology: Topology) -> dict[str, str]:
    """Each router's frr.conf by file name, as the lab runs it."""
    return {conf_name(r.name): render_frr_conf(topology, r.name) for r in topology.routers}


def stop_command(topology: Topology) -> str:
    """vtysh's words for the lesson's failure on FRR: every instance shut down (vrrpd sends
    its priority-0 adverts); `no vrrp VRID shutdown` brings them back."""
    words = ["vtysh", "-c", "'configure terminal'"]
    for inst in topology.vrrp.instances:
        words += ["-c", f"'interface {inst.interface}'", "-c", f"'vrrp {inst.vrid} shutdown'"]
    return " ".join(words)
