"""Render keepalived.conf for one router from the topology. Pure text, no I/O.

The textbook's configuration, corrected where it is wrong:
- `auth_pass` is 8 characters at most (keepalived truncates longer ones with only
  a warning); the topology's validation enforces it.
- its `vrrp_script chk_gateway` runs `killall -0 keepalived`, which only checks
  that keepalived runs (it always does when it runs the check): left out here.
- a second instance on the upstream side, in a sync group with the LAN one, so
  the return path follows the master (what real keepalived gateways do).
"""

from __future__ import annotations

from vrrplab.model import Topology


def _fmt_interval(seconds: float) -> str:
    return f"{seconds:g}"


def render_keepalived_conf(topology: Topology, router: str) -> str:
    vrrp = topology.vrrp
    me = vrrp.router(router)
    lines = [
        f"! keepalived.conf for {router}, rendered by vrrplab from {topology.path.name}",
        "! (the lesson's configuration; see vrrplab/speakers/keepalived_conf.py for",
        "! what was corrected and why)",
        "global_defs {",
        f"    router_id {router}",
    ]
    if vrrp.version == 3:
        lines.append("    vrrp_version 3")
    lines.append("}")
    if vrrp.sync_group and len(vrrp.instances) > 1:
        lines += ["", f"vrrp_sync_group {vrrp.sync_group} {{", "    group {"]
        lines += [f"        {inst.name}" for inst in vrrp.instances]
        lines += ["    }", "}"]
    for inst in vrrp.instances:
        lines += [
            "",
            f"vrrp_instance {inst.name} {{",
            f"    state {me.state}",
            f"    interface {inst.interface}",
            f"    virtual_router_id {inst.vrid}",
            f"    priority {me.priority}",
            f"    advert_int {_fmt_interval(vrrp.advert_int)}",
        ]
        if not vrrp.preempt:
            lines.append("    nopreempt")
        if vrrp.auth_pass:
            lines += ["    authentication {", "        auth_type PASS",
                      f"        auth_pass {vrrp.auth_pass}", "    }"]
        lines.append("    virtual_ipaddress {")
        lines += [f"        {vip} dev {inst.interface}" for vip in inst.vips]
        lines += ["    }", "}"]
    return "\n".join(lines) + "\n"
