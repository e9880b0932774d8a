"""The routers' keepalived.conf for the lab sheet: rendered, or with blanks to fill in.

Pure text, no I/O. The files are `speakers/keepalived_conf.render_keepalived_conf`'s,
the same the lab runs, their track scripts placed in /etc/keepalived/ as the lesson
places its check_gateway.sh (in a run they sit in the run folder). With blanks, the
values a student must choose are replaced by `BLANK`, on every instance: the initial
state, the VRID, the priority, the password and each VIP (the `dev` after a VIP stays:
the interface is the drawing's). Comments and every other line are kept as rendered.
"""

from __future__ import annotations

import re
from pathlib import Path

from vrrplab.i18n import _
from vrrplab.loader.model import Topology
from vrrplab.speakers.keepalived_conf import render_keepalived_conf, script_path

BLANK = "________"  # eight: room for a VIP written by hand, and for an 8-character password
SCRIPT_DIR = Path("/etc/keepalived")  # where the lesson puts its check script
BLANKED = ("state", "virtual_router_id", "priority", "auth_pass")  # keywords whose value goes
_KEYWORD = re.compile(r"^(\s*)(" + "|".join(BLANKED) + r")(\s+)\S+(.*)$")
_VIP = re.compile(r"^(\s*)\S+(\s+dev\s+\S+.*)?$")


def config_name(router: str) -> str:
    """The file a router's config is written to in the sheet's folder."""
    return f"{router}.keepalived.conf"


def rendered(topology: Topology) -> dict[str, str]:
    """Each router's keepalived.conf as the lab runs it, by router, in the topology's order."""
    return {r.name: render_keepalived_conf(topology, r.name, SCRIPT_DIR)
            for r in topology.routers}


def scripts(topology: Topology) -> dict[str, str]:
    """The track scripts the configs name, by file name (written beside the configs)."""
    out = {}
    for router in topology.vrrp.routers:
        for script in router.track_scripts:
            name = script_path(SCRIPT_DIR, router.name, script.name).name
            out[name] = f"#!/bin/sh\n# {script.name}, run by keepalived on {router.name}\n" \
                        f"{script.script}\n"
    return out


def with_blanks(text: str) -> str:
    """`text` with the values the students choose replaced by BLANK, a comment first."""
    lines, inside_vips = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if inside_vips:
            if stripped == "}":
                inside_vips = False
            elif stripped and not stripped.startswith(("!", "#")):
                match = _VIP.match(line)
                line = f"{match[1]}{BLANK}{match[2] or ''}"
        elif stripped.startswith("virtual_ipaddress") and stripped.endswith("{"):
            inside_vips = True
        else:
            match = _KEYWORD.match(line)
            if match:
                line = f"{match[1]}{match[2]}{match[3]}{BLANK}{match[4]}"
        lines.append(line)
    # TRANSLATORS: a comment line at the top of a keepalived.conf with blanks (keep the "! ")
    head = _("! Fill in each {blank}: the initial state, the VRID, the priority, the password "
             "and the VIP.").format(blank=BLANK)
    return head + "\n" + "\n".join(lines) + "\n"
