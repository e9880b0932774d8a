"""Render keepalived.conf for one router from the topology. Pure text, no I/O.

The textbook's configuration, corrected where it is wrong:
- `auth_pass` is 8 characters at most (keepalived truncates longer ones with only
  a warning); the topology's validation enforces it.
- its `vrrp_script chk_gateway` runs `killall -0 keepalived`, which only checks
  that keepalived runs (it always does when it runs the check): left out unless a
  scenario asks for a real check (`track_scripts`, e.g. pinging the upstream host).
- a second instance on the upstream side, in a sync group with the LAN one, so
  the return path follows the master (what real keepalived gateways do).
"""

from __future__ import annotations

from pathlib import Path

from vrrplab.loader.model import Topology


def script_path(folder: Path, router: str, name: str) -> Path:
    """Where the speaker writes a track script's wrapper (keepalived runs a file)."""
    return folder / f"{router}.{name}.sh"


# characters keepalived reads as themselves in a script's path; any other is escaped
_PLAIN = frozenset("/._-+,:@%=~")


def script_word(path: Path) -> str:
    r"""`path` as keepalived 2.2 reads it on a `script` line, in its double quotes.

    The line goes through two readers (keepalived.conf(5), "Quoted strings"; checked
    with `keepalived -t` on 2.2.7): the config parser reads `\\` as `\` and `\NNN` as
    the octal byte inside the double quotes, then the script is split into words at
    unescaped blanks, `\C` standing for C. So each character but letters (accented ones
    included), digits and `_PLAIN` is written `\\C`: the space of "Mes TP" stays in
    the path. A backslash is `\\\\`; a double quote and a control character are
    `\\` then their octal escape, so the line's own quotes still match.
    """
    out = []
    for char in str(path):
        if char.isalnum() or char in _PLAIN:
            out.append(char)
        elif char == "\\":
            out.append("\\\\\\\\")
        elif char == '"' or ord(char) < 32 or ord(char) == 127:
            out.append("\\\\" + f"\\{ord(char):03o}")
        else:
            out.append("\\\\" + char)
    return '"' + "".join(out) + '"'


def render_keepalived_conf(topology: Topology, router: str, script_dir: Path = Path(".")) -> str:
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
    if me.track_scripts:
        lines += ["    script_user root", "    enable_script_security"]
    lines.append("}")
    for script in me.track_scripts:
        lines += ["", f"vrrp_script {script.name} {{",
                  f"    script {script_word(script_path(script_dir, router, script.name))}",
                  f"    interval {script.interval:g}", f"    weight {script.weight}",
                  f"    rise {script.rise}", f"    fall {script.fall}", "}"]
    if vrrp.sync_group and len(vrrp.instances) > 1:
        lines += ["", f"vrrp_sync_group {vrrp.sync_group} {{", "    group {"]
        lines += [f"        {inst.name}" for inst in vrrp.instances]
        lines += ["    }"]
        if me.track_scripts:
            # without it, keepalived ignores tracking weights in a sync group
            lines += ["    sync_group_tracking_weight"]
        lines += ["}"]
    auth_pass = vrrp.auth_pass_of(router)
    for inst in vrrp.instances:
        lines += [
            "",
            f"vrrp_instance {inst.name} {{",
            f"    state {vrrp.state(router, inst.name)}",
            f"    interface {inst.interface}",
            f"    virtual_router_id {inst.vrid}",
            f"    priority {vrrp.priority(router, inst.name)}",
            f"    advert_int {vrrp.advert_int:g}",
        ]
        if vrrp.use_vmac:
            lines.append(f"    use_vmac vrrp.{inst.vrid}")
        if not vrrp.preempt:
            lines.append("    nopreempt")
        if vrrp.preempt_delay:
            lines.append(f"    preempt_delay {vrrp.preempt_delay:g}")
        if auth_pass:
            lines += ["    authentication {", "        auth_type PASS",
                      f"        auth_pass {auth_pass}", "    }"]
        # an instance always tracks its own interface; keepalived refuses it listed
        tracked = [i for i in me.track_interfaces if i != inst.interface]
        if tracked:
            lines += ["    track_interface {"] + [f"        {i}" for i in tracked] + ["    }"]
        if me.track_scripts:
            lines += ["    track_script {"] + [f"        {s.name}" for s in me.track_scripts]
            lines += ["    }"]
        lines.append("    virtual_ipaddress {")
        lines += [f"        {vip} dev {inst.interface}" for vip in inst.vips]
        lines += ["    }", "}"]
    return "\n".join(lines) + "\n"
