"""Pure: what is wrong with the routers' keepalived.conf files, one file and the pair.

Each rule reads the configs `speakers.keepalived_read` built and returns `Finding`s:
severity, file:line, one sentence, the catalogue's scenario that shows it when one
does. keepalived's behaviour cited is keepalived.conf(5) and keepalived 2.2.7's
`keepalived -t` (the words quoted are its own); the protocol's is RFC 3768 (VRRPv2)
and RFC 5798 (VRRPv3). Weights as keepalived applies them: a positive weight is added
while the check succeeds, a negative one subtracted while it fails, weight 0 puts the
instance in FAULT (priority 0 sent: a failover); a track line's own weight overrides
its vrrp_script's; in a sync group without `sync_group_tracking_weight` every weight
is 0. No I/O but `script_file_text`, the caller's (`lint/command.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import ip_address
from pathlib import PurePosixPath

from vrrplab.boundedio import Problem
from vrrplab.i18n import N_, Message
from vrrplab.speakers.keepalived_read import (
    ERROR,
    NOTE,
    WARNING,
    Config,
    Finding,
    Instance,
    TrackRef,
    Where,
)

PASS_BYTES = 8  # VRRPv2's password field; keepalived keeps the first 8 characters
OWN_PROCESS_TOOLS = ("killall", "pidof", "pgrep")
MIN_PRIORITY, MAX_PRIORITY = 1, 254  # keepalived keeps a tracked priority within these

# the catalogue's scenario that shows each finding (vrrplab list)
SCENARIOS = {
    "auth-differs": "auth-mismatch",
    "long-auth-pass": "long-password",
    "auth-agrees-truncated": "long-password",
    "nopreempt-master": "nopreempt",
    "preempt-delay-master": "preempt-delay",
    "weight-tie": "healthcheck-tie",
    "weight-too-small": "healthcheck-tie",
    "ping-check": "healthcheck-fail",
    "vrid-differs": "firewall-blocks-vrrp",
    "version-differs": "firewall-blocks-vrrp",
    "advert-int-differs": "firewall-blocks-vrrp",
    "advert-int-v2-fraction": "fast-vrrpv3",
}


def _finding(severity: str, where: Where | None, code: str, template: str, **values) -> Finding:
    return Finding(severity, where, code, Problem(template, **values), SCENARIOS.get(code))


# --- one file ------------------------------------------------------------------------

def file_rules(config: Config, script_text: Callable[[str], str | None] = lambda _: None
               ) -> list[Finding]:
    """What one router's file says wrong on its own; `script_text(path)` reads a script
    file the config names (None: not readable), to see what it pings."""
    out = list(config.findings)
    if not config.instances:
        out.append(_finding(ERROR, Where(config.path, 1), "no-instance",
                            N_("no vrrp_instance in this file: keepalived runs no VRRP")))
    for inst in config.instances:
        out += _instance_rules(config, inst)
    tracked = {ref.name for inst in config.instances for ref in inst.track_scripts}
    tracked |= {ref.name for g in config.sync_groups for ref in g.track_scripts}
    for script in config.scripts.values():
        if script.name not in tracked:
            out.append(_finding(NOTE, script.where, "script-unused",
                                N_("vrrp_script {name} is tracked by no instance: keepalived "
                                   "never runs it"), name=script.name))
        out += _script_rules(script, script_text)
    if config.scripts and tracked and not config.enable_script_security:
        out.append(_finding(NOTE, config.instances[0].where if config.instances else None,
                            "script-security",
                            N_("scripts run without enable_script_security in global_defs: "
                               "keepalived runs them as root and says \"SECURITY VIOLATION\"")))
    return out


def _instance_rules(config: Config, inst: Instance) -> list[Finding]:
    out = []
    for name, setting in (("virtual_router_id", inst.vrid), ("interface", inst.interface)):
        if setting is None:
            out.append(_finding(ERROR, inst.where, "missing-setting",
                                N_("vrrp_instance {instance} has no {keyword}: keepalived "
                                   "refuses the instance"), instance=inst.name, keyword=name))
    if not inst.vips:
        out.append(_finding(ERROR, inst.where, "no-vip",
                            N_("vrrp_instance {instance} has no virtual_ipaddress: there is "
                               "no gateway address to move"), instance=inst.name))
    master = inst.state is not None and inst.state.value == "MASTER"
    if master and inst.nopreempt:
        out.append(_finding(ERROR, inst.nopreempt.where, "nopreempt-master",
                            N_("nopreempt with state MASTER: keepalived clears nopreempt "
                               "(\"nopreempt will not work with initial state MASTER\"); "
                               "write state BACKUP on every router")))
    if master and inst.preempt_delay and inst.preempt_delay.value:
        out.append(_finding(WARNING, inst.preempt_delay.where, "preempt-delay-master",
                            N_("preempt_delay with state MASTER: keepalived honours it only "
                               "for an instance that starts BACKUP")))
    version = config.version_of(inst)
    if version == 2 and inst.advert_int and inst.advert_int.value != int(inst.advert_int.value):
        out.append(_finding(WARNING, inst.advert_int.where, "advert-int-v2-fraction",
                            N_("advert_int {value} in VRRPv2: keepalived rounds it to whole "
                               "seconds (VRRPv2 counts in seconds); sub-second adverts need "
                               "vrrp_version 3"), value=f"{inst.advert_int.value:g}"))
    if inst.auth_pass and version == 3:
        out.append(_finding(WARNING, inst.auth_pass.where, "auth-v3",
                            N_("authentication with VRRPv3: RFC 5798 removed it and keepalived "
                               "ignores the block (\"does not support authentication\")")))
    elif inst.auth_pass and len(inst.auth_pass.value) > PASS_BYTES:
        out.append(_finding(WARNING, inst.auth_pass.where, "long-auth-pass",
                            N_("auth_pass has {count} characters: keepalived keeps the first "
                               "8 ({kept}), so passwords that differ after them still agree"),
                            count=len(inst.auth_pass.value),
                            kept=inst.auth_pass.value[:PASS_BYTES]))
    for ref in inst.track_scripts:
        script = config.scripts.get(ref.name)
        if script is None:
            out.append(_finding(ERROR, ref.where, "track-script-undefined",
                                N_("track_script {name}: no vrrp_script {name} in this file; "
                                   "keepalived ignores the line (\"track script {name} not "
                                   "found, ignoring\")"), name=ref.name))
        elif script.where.seq > ref.where.seq:
            out.append(_finding(ERROR, ref.where, "track-script-later",
                                N_("track_script {name} comes before vrrp_script {name} "
                                   "({defined}): keepalived reads in order and ignores it "
                                   "(\"track script {name} not found, ignoring\"); move the "
                                   "vrrp_script above the vrrp_instance"),
                                name=ref.name, defined=str(script.where)))
    group = config.sync_group_of(inst)
    weighted = [r for r in inst.track_scripts if _weight(config, inst, r, raw=True)]
    if group and weighted and not group.tracking_weight:
        out.append(_finding(NOTE, weighted[0].where, "sync-group-weight",
                            N_("{instance} is in sync group {group}: keepalived sets its "
                               "tracking weights to 0 (FAULT on failure) unless the group "
                               "says sync_group_tracking_weight"),
                            instance=inst.name, group=group.name))
    return out


def _script_rules(script, script_text) -> list[Finding]:
    out = []
    argv = script.argv
    if not argv:
        if script.script is None:
            out.append(_finding(ERROR, script.where, "script-missing",
                                N_("vrrp_script {name} has no script line"), name=script.name))
        return out
    tool = PurePosixPath(argv[0]).name
    if tool in OWN_PROCESS_TOOLS and "keepalived" in argv[1:]:
        out.append(_finding(WARNING, script.script.where, "own-process-check",
                            N_("vrrp_script {name} only checks that keepalived runs: keepalived "
                               "itself runs the check, so it never fails while keepalived is "
                               "there to act on it; check what the router serves (its "
                               "upstream link, a route)"),
                            name=script.name))
    pinged = _pinged(argv) or _pinged_in(script_text(argv[0]))
    if pinged:
        out.append(_finding(NOTE, script.script.where, "ping-check",
                            N_("vrrp_script {name} pings {address}: it fails whenever {address} "
                               "does not answer this router, whichever router is at fault; "
                               "both routers fail it together when {address} is down"),
                            name=script.name, address=pinged))
    return out


def _is_address(word: str) -> bool:
    try:
        ip_address(word)
        return True
    except ValueError:
        return False


def _pinged(argv: list[str]) -> str | None:
    if argv and PurePosixPath(argv[0]).name in ("ping", "ping6", "fping"):
        return next((w for w in reversed(argv) if _is_address(w)), None)
    return None


_PING_LINE = re.compile(r"\b(?:ping6?|fping)\b([^\n;|&]*)")


def _pinged_in(text: str | None) -> str | None:
    """The address a script file pings, if it pings one (the lesson's check_gateway.sh)."""
    for match in _PING_LINE.finditer(text or ""):
        for word in reversed(match.group(1).split()):
            if _is_address(word):
                return word
    return None


# --- the pair ------------------------------------------------------------------------

def _weight(config: Config, inst: Instance, ref: TrackRef, raw: bool = False,
            script: bool = True) -> int:
    """The weight keepalived applies for a track line (0: FAULT on failure)."""
    if ref.weight is not None:
        weight = ref.weight
    elif script and ref.name in config.scripts and config.scripts[ref.name].weight:
        weight = config.scripts[ref.name].weight.value
    else:
        weight = 0
    group = config.sync_group_of(inst)
    if not raw and group and not group.tracking_weight:
        return 0
    return weight


def _counterpart(config: Config, inst: Instance, index: int) -> Instance | None:
    same = config.instance(inst.name)
    if same:
        return same
    if inst.vrid:
        by_vrid = [i for i in config.instances if i.vrid and i.vrid.value == inst.vrid.value]
        if by_vrid:
            return by_vrid[0]
    return config.instances[index] if index < len(config.instances) else None


def _v(setting):
    return setting.value if setting is not None else None


def pair_rules(configs: list[Config]) -> list[Finding]:
    """What no single file shows: the routers' instances compared, instance by instance."""
    if len(configs) < 2 or not configs[0].instances:
        return []
    out: list[Finding] = []
    first = configs[0]
    for index, inst in enumerate(first.instances):
        members = [(first, inst)]
        for other in configs[1:]:
            mate = _counterpart(other, inst, index)
            if mate is None:
                out.append(_finding(ERROR, Where(other.path, 1), "instance-missing",
                                    N_("no vrrp_instance here matches {instance} of {file}"),
                                    instance=inst.name, file=first.path))
            else:
                members.append((other, mate))
        if len(members) > 1:
            out += _compare(members)
            out += _election(members)
    return out


def _compare(members: list[tuple[Config, Instance]]) -> list[Finding]:
    out = []
    (c0, i0), rest = members[0], members[1:]
    v0 = c0.version_of(i0)
    for c, i in rest:
        where = i.where
        if i.vrid and i0.vrid and i.vrid.value != i0.vrid.value:
            out.append(_finding(ERROR, i.vrid.where, "vrid-differs",
                                N_("virtual_router_id {value} here, {other} in {file}: the "
                                   "routers do not hear each other and both become MASTER"),
                                value=i.vrid.value, other=i0.vrid.value, file=c0.path))
        version = c.version_of(i)
        if version != v0:
            out.append(_finding(ERROR, (i.version or c.version or i).where, "version-differs",
                                N_("VRRP version {value} here, {other} in {file}: each drops "
                                   "the other's adverts and both become MASTER"),
                                value=version, other=v0, file=c0.path))
        a, b = float(_v(i.advert_int) or 1), float(_v(i0.advert_int) or 1)
        if a != b:
            v2 = version == 2 and v0 == 2
            out.append(_finding(ERROR if v2 else WARNING, i.advert_int.where if i.advert_int
                                else where, "advert-int-differs",
                                N_("advert_int {value} here, {other} in {file}: a VRRPv2 "
                                   "router drops adverts of another interval (RFC 3768 7.1), "
                                   "so both become MASTER")
                                if v2 else
                                N_("advert_int {value} here, {other} in {file}: a VRRPv3 "
                                   "backup follows the master's interval, so the failover time "
                                   "depends on which router is master"),
                                value=f"{a:g}", other=f"{b:g}", file=c0.path))
        if version == 2 and v0 == 2:
            out += _compare_auth(c0, i0, c, i)
        ours = {v.value.ip for v in i.vips}
        theirs = {v.value.ip for v in i0.vips}
        if ours != theirs:
            out.append(_finding(ERROR, i.vips[0].where if i.vips else where, "vips-differ",
                                N_("virtual_ipaddress {value} here, {other} in {file}: a "
                                   "failover moves other gateway addresses than the clients "
                                   "use"), value=", ".join(sorted(map(str, ours))) or "-",
                                other=", ".join(sorted(map(str, theirs))) or "-",
                                file=c0.path))
    return out


def _compare_auth(c0, i0, c, i) -> list[Finding]:
    t0, t = (_v(i0.auth_type) or "").upper(), (_v(i.auth_type) or "").upper()
    p0, p = _v(i0.auth_pass) or "", _v(i.auth_pass) or ""
    where = (i.auth_pass or i.auth_type or i).where
    if t0 != t:
        return [_finding(ERROR, where, "auth-differs",
                         N_("auth_type {value} here, {other} in {file}: each router drops "
                            "the other's adverts and both become MASTER"),
                         value=t or "-", other=t0 or "-", file=c0.path)]
    if p0[:PASS_BYTES] != p[:PASS_BYTES]:
        return [_finding(ERROR, where, "auth-differs",
                         N_("auth_pass differs from {file}'s in its first 8 characters: each "
                            "router drops the other's adverts and both become MASTER"),
                         file=c0.path)]
    if p0 != p:
        return [_finding(NOTE, where, "auth-agrees-truncated",
                         N_("auth_pass differs from {file}'s only after its 8th character: "
                            "keepalived keeps 8, so the routers agree"), file=c0.path)]
    return []


def _healthy(config: Config, inst: Instance) -> int:
    """The instance's priority while every check succeeds (positive weights added)."""
    weights = [_weight(config, inst, r) for r in inst.track_scripts]
    weights += [_weight(config, inst, r, script=False) for r in inst.track_interfaces]
    return _clamp((_v(inst.priority) or 100) + sum(w for w in weights if w > 0))


def _clamp(priority: int) -> int:
    return max(MIN_PRIORITY, min(MAX_PRIORITY, priority))


def _election(members: list[tuple[Config, Instance]]) -> list[Finding]:
    out = []
    ranked = sorted(members, key=lambda m: _healthy(*m), reverse=True)
    (cm, im), (cb, ib) = ranked[0], ranked[1]
    pm, pb = _healthy(cm, im), _healthy(cb, ib)
    if pm == pb:
        winner = _by_address(cm, im, cb, ib)
        out.append(_finding(WARNING, (ib.priority or ib).where, "same-priority",
                            N_("priority {priority} in {file} and in {other}: the router with "
                               "the higher primary address wins (RFC 5798 6.4.3){winner}, not "
                               "the one written MASTER"),
                            priority=pb, file=cb.path, other=cm.path,
                            winner=Message(N_(": {file}"), file=winner) if winner else ""))
        return out
    for c, i in members:
        if i.state and i.state.value == "MASTER" and (c, i) is not ranked[0] \
                and _healthy(c, i) < pm:
            out.append(_finding(NOTE, i.state.where, "master-not-highest",
                                N_("state MASTER, but {file} has the higher priority: it takes "
                                   "the role as soon as it hears this router"), file=cm.path))
    for ref, script in [(r, True) for r in im.track_scripts] + \
                       [(r, False) for r in im.track_interfaces]:
        weight = _weight(cm, im, ref, script=script)
        if weight == 0 or ref.reverse:
            continue  # FAULT on failure: priority 0 sent, the backup takes over
        failing = _clamp(pm - abs(weight))
        if failing > pb or failing == pb:
            code = "weight-tie" if failing == pb else "weight-too-small"
            template = (N_("{name} failing lowers {file}'s priority from {high} to {low}, "
                           "equal to {other}'s {backup}: a tie is no failover (a backup takes an "
                           "advert of equal priority as its master's, RFC 5798 6.4.2)")
                        if failing == pb else
                        N_("{name} failing lowers {file}'s priority from {high} to {low}, "
                           "still above {other}'s {backup}: no failover"))
            out.append(_finding(ERROR, ref.where, code, template, name=ref.name, file=cm.path,
                                high=pm, low=failing, other=cb.path, backup=pb))
    return out


def _by_address(c1: Config, i1: Instance, c2: Config, i2: Instance) -> str | None:
    """The file whose router wins a tie, when both give their address (unicast_src_ip)."""
    if i1.unicast_src_ip and i2.unicast_src_ip and \
            i1.unicast_src_ip.value.version == i2.unicast_src_ip.value.version:
        return c1.path if i1.unicast_src_ip.value > i2.unicast_src_ip.value else c2.path
    return None
