"""What the lab sheet says: its parts, the commands to type, the questions, the answers.

Pure: a scenario (and, for the teacher's copy, a run's results.json, read by the caller
through `analysis.stored`) in, words out, in the language chosen now. The parts follow
the scenario's steps: the start (who is master, which MAC the client finds), then one
part per fault with the line that causes it in `vrrplab shell` (`shell.commands`' own
names: `r1 systemctl stop keepalived`, `crash r1`, `link r1 eth0 down`...), what will
happen, how long by the RFC's formula, for an outage of the gateway how many of the
lesson's one-a-second pings it costs, then what `measure` showed. The RFC's figures are
`analysis.formula.expected`'s, built on `vrrp.timers` (Skew_Time, Master_Down_Interval):
the live view and `run --pace` ask the same figures. The measured ones are the run's own: the judged takeover, the client's
longest silence and lost probes, `analysis.html.one_second_pings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from vrrplab import i18n
from vrrplab.analysis import formula
from vrrplab.analysis.html import one_second_pings, seconds
from vrrplab.analysis.windows import BASIS, rule_of
from vrrplab.faults.catalogue import KINDS
from vrrplab.i18n import _
from vrrplab.loader.model import Fault, Scenario, Topology
from vrrplab.vrrp.packet import virtual_mac

SHELL, TERMINAL = "vrrplab>", "$"  # the prompts a command is typed at
NFT_TABLE = "tp"  # the students' own nftables table (the lab's faults use their own)
# the old master is gone at once: the client has no gateway until the takeover (unless the
# old master keeps the VIP: a split brain, `vip_holders`)
GATEWAY_OUTAGE_RULES = ("goodbye", "silence")
RETURN_RULES = ("start", "rejoin")


@dataclass(frozen=True)
class Command:
    line: str
    note: str = ""
    prompt: str = SHELL


@dataclass
class Question:
    number: int
    ask: str
    lines: int = 2  # ruled lines to answer on, on the students' copy
    answer: list[str] = field(default_factory=list)  # the teacher's: what and why
    rfc: str | None = None  # the RFC's figure: "Skew_Time = (256 − 100) / 256 = 0.609 s"
    measured: list[str] = field(default_factory=list)  # what the run measured


@dataclass
class Part:
    title: str
    intro: str = ""
    commands: list[Command] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)  # after the commands: observed
    note: str = ""
    predict: list[Question] = field(default_factory=list)  # before the commands


@dataclass
class RunInfo:
    """The run the measured figures come from."""

    folder: str
    run_id: str
    speaker: str
    started_at: str
    verdict: str
    passed: int
    checks: int


@dataclass
class Sheet:
    scenario: str
    target: str  # what to type after `vrrplab shell` (a name, or the file's path)
    description: str
    lesson: str
    version: int
    advert_int: str
    formulas: list[str]
    config_questions: list[Question]
    parts: list[Part]
    run: RunInfo | None = None
    no_run: str = ""  # why the teacher's copy has no measured figures


class _Numbers:
    def __init__(self):
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


class _Run:
    """A run's results.json as the answers read it."""

    def __init__(self, results: dict):
        self.results = results
        self.faults = {f["name"]: f for f in results.get("faults", [])}
        self.snapshots = {s.get("label"): s for s in results.get("snapshots", [])}

    def owner_of(self, mac: str | None) -> str | None:
        for snap in self.results.get("snapshots", []):
            for router, router_mac in (snap.get("macs") or {}).items():
                if mac and router_mac == mac:
                    return router
        return None


def _rfc(version: int) -> str:
    return "RFC 3768" if version == 2 else "RFC 5798"


def _seconds(value: float) -> str:
    """A figure or a measurement: 0.609 s (0,609 s in French)."""
    return seconds(value)


def _configured(value: float) -> str:
    """A configured quantity as people write it: 1 s, 0.01 s (0,01 s in French)."""
    return f"{i18n.number(value)}\u00a0s"


def _listed(names) -> str:
    return ", ".join(names)


# -- the commands -----------------------------------------------------------------------


def fault_lines(fault: Fault, topology: Topology) -> list[Command] | None:
    """The lines that cause `fault` at `vrrplab shell`'s prompt (None: the shell has none:
    set_priority, the attacks, the guard)."""
    t, kind = fault.target, fault.kind
    iface = fault.interface or topology.lan_instance().interface
    simple = {"stop": f"{t} systemctl stop keepalived", "start": f"{t} systemctl start keepalived",
              "crash": f"crash {t}", "kill": f"{t} pkill -9 keepalived", "freeze": f"freeze {t}",
              "thaw": f"thaw {t}", "link_down": f"link {t} {iface} down",
              "link_up": f"link {t} {iface} up", "unblock_vrrp": f"{t} nft delete table inet "
                                                                 f"{NFT_TABLE}"}
    if kind in simple:
        return [Command(simple[kind])]
    if kind == "flap":
        note = _("{count} times: down for {down}, then up for {up}").format(
            count=fault.count, down=_configured(fault.period * fault.duty),
            up=_configured(fault.period * (1 - fault.duty)))
        return [Command(f"link {t} {iface} down", note), Command(f"link {t} {iface} up")]
    if kind == "block_vrrp":
        return [Command(f"{t} nft add table inet {NFT_TABLE}"),
                Command(f"{t} nft 'add chain inet {NFT_TABLE} input {{ type filter hook input "
                        f"priority 0; }}'"),
                Command(f"{t} nft add rule inet {NFT_TABLE} input meta l4proto vrrp drop",
                        _("the lesson's firewall rule, the other way round: VRRP (protocol "
                          "112) dropped"))]
    if kind in ("cut_upstream", "restore_upstream") and topology.upstream_hosts:
        address = topology.upstream_hosts[0].interfaces[0].address.ip
        ip, bits = ("ip", 32) if address.version == 4 else ("ip -6", 128)
        verb = "add" if kind == "cut_upstream" else "del"
        note = _("{router} can no longer reach {host}: its links stay up") \
            if kind == "cut_upstream" else _("{router} reaches {host} again")
        return [Command(f"{t} {ip} route {verb} blackhole {address}/{bits}",
                        note.format(router=t, host=address))]
    return None


def _neigh(client: str, vip) -> Command:
    if vip.version == 6:
        return Command(f"{client} ip -6 neigh show {vip}",
                       _("the client's neighbour entry for the VIP (IPv6's ARP)"))
    return Command(f"{client} ip neigh show {vip}",
                   _("the lesson's arp -a: the MAC address behind the VIP"))


# -- the start --------------------------------------------------------------------------


def initial_masters(scenario: Scenario) -> dict[str, list[str]]:
    """Instance -> the routers MASTER of it once the lab has settled (the scenario's first
    wait; else the configured master)."""
    vrrp = scenario.topology.vrrp
    names = [i.name for i in vrrp.instances]
    for step in scenario.steps:
        if step.action == "wait_masters":
            return {i: list(step.routers) for i in names}
        if step.action == "wait_master":
            if step.masters:
                found = dict(step.masters)
                return {i: [found.get(i, vrrp.master_of(i))] for i in names}
            return {i: [step.router] for i in names}
    return {i: [vrrp.master_of(i)] for i in names}


def _why_master(scenario: Scenario, instance: str, masters: list[str]) -> str:
    vrrp = scenario.topology.vrrp
    if len(masters) > 1:
        return _("{routers}: each one is MASTER. They do not take each other's adverts, so "
                 "each one believes it is alone (see what this scenario shows).").format(
            routers=_listed(masters))
    master = masters[0]
    mine = vrrp.priority(master, instance)
    others = [r.name for r in vrrp.routers if r.name != master]
    theirs = _listed(str(vrrp.priority(r, instance)) for r in others)
    if all(vrrp.priority(r, instance) < mine for r in others):
        return _("{router}: it has the highest priority, {priority} against {others}. A "
                 "backup that hears adverts of a higher priority stays backup; the configured "
                 "state only says how a router starts.").format(router=master, priority=mine,
                                                              others=theirs)
    return _("{router}: its priority, {priority}, is not below the others' ({others}); on a "
             "tie, the higher primary IP address wins ({rfc} §6.4.3).").format(
        router=master, priority=mine, others=theirs, rfc=_rfc(vrrp.version))


def _start_part(scenario: Scenario, target: str, run: _Run | None, number: _Numbers,
                lang: str) -> Part:
    topology, vrrp = scenario.topology, scenario.topology.vrrp
    gateways = topology.gateway_instances()
    lan_if = topology.lan_instance().interface
    masters = initial_masters(scenario)
    commands = [Command(f"sudo vrrplab shell {target} --lang {lang}",
                        _("builds the lab and opens its prompt (exit takes it down)"), TERMINAL),
                Command("state", _("who is MASTER, the priorities, who holds the VIP"))]
    for i, router in enumerate(topology.routers):
        commands.append(Command(f"{router.name} ip addr show {lan_if}",
                                _("is the VIP on this router's interface?") if i == 0 else ""))
    for i, router in enumerate(topology.routers):
        commands.append(Command(f"{router.name} journalctl -u keepalived -n 20",
                                _("the log of its VRRP daemon: “Entering MASTER STATE”, or "
                                  "BACKUP?") if i == 0 else ""))
    for inst in gateways:
        client, vip = scenario.client_of(inst), inst.ping_address()
        commands.append(Command(f"{client} ping -c 3 {vip}", _("the gateway answers")))
        commands.append(_neigh(client, vip))

    questions = []
    if len(gateways) == 1:
        ask = _("Which router is MASTER, and why?")
    else:
        ask = _("Which router is MASTER of each group ({groups}), and why?").format(
            groups=_listed(f"VRID {i.vrid}: {i.ping_address()}" for i in gateways))
    answer = [(f"VRID {i.vrid}: " if len(gateways) > 1 else "")
              + _why_master(scenario, i.name, masters[i.name]) for i in gateways]
    measured = []
    converge = run.snapshots.get("converge") if run else None
    if converge:
        states = converge.get("states") or {}
        vips = converge.get("vips") or {}
        shown = _listed(f"{r} {s}" for r, s in states.items())
        for inst in gateways:
            vip = str(inst.ping_address())
            holders = [r for r, held in vips.items() if vip in (held or [])]
            measured.append(_("{states}; {vip} on {holders}.").format(
                states=shown, vip=vip, holders=_listed(holders) or _("no router")))
    questions.append(Question(number(), ask, 3, answer, None, measured))

    for inst in gateways:
        vip = inst.ping_address()
        if vip.version != 4:
            continue
        client, vmac = scenario.client_of(inst), virtual_mac(inst.vrid)
        ask = _("Which MAC address will {client} find behind {vip}: the virtual MAC {vmac} "
                "the lesson announces, or another one?").format(client=client, vip=vip,
                                                                 vmac=vmac)
        if vrrp.use_vmac:
            answer = [_("The virtual MAC {vmac}: the instance sets use_vmac, so the master "
                        "answers ARP with it.").format(vmac=vmac)]
        else:
            answer = [_("The master's own MAC address, not {vmac}: keepalived answers ARP "
                        "with the virtual MAC only when the instance sets use_vmac. After a "
                        "failover, the new master's gratuitous ARP moves the entry to its own "
                        "MAC.").format(vmac=vmac)]
        measured = []
        if converge:
            seen = ((converge.get("gateways") or {}).get(inst.name) or {}).get("client_arp") \
                or (converge.get("client_arp") if inst == gateways[0] else None)
            if seen:
                owner = run.owner_of(seen)
                measured.append(
                    _("{vip} is at {mac}, {owner}'s own MAC.").format(
                        vip=vip, mac=seen, owner=owner) if owner and seen != vmac else
                    _("{vip} is at {mac}.").format(vip=vip, mac=seen))
        questions.append(Question(number(), ask, 2, answer, None, measured))
    return Part(_("At the start"), _("Open the lab, then look before you touch anything: who "
                                     "answers for the gateway?"), commands, questions)


# -- the faults -------------------------------------------------------------------------


def _outcome(fault: Fault, before: str | None) -> str:
    new = fault.expect_master
    if fault.kind == "flap":
        return _("The master changes at each cycle: while {target}'s link is down the backup "
                 "takes over, and each time it is back {target} preempts.").format(
            target=fault.target)
    if fault.unstable:
        return _("Repeated elections: the master changes again and again while it lasts.")
    if new is None:
        return _("No router is MASTER any more: each one steps down, and the VIP is on none.")
    others = [h for h in fault.holders() if h != new]
    if others:
        return _("{new} becomes MASTER while {others} still holds the VIP: two routers answer "
                 "for it.").format(new=new, others=_listed(others))
    if not fault.takeover or new == before:
        return _("Nothing moves: {router} stays MASTER.").format(router=new)
    if before is None:
        return _("{new} becomes MASTER.").format(new=new)
    return _("{new} becomes MASTER in place of {before}.").format(new=new, before=before)


def _why(fault: Fault, rule: str | None, before: str | None, topology: Topology) -> str | None:
    vrrp = topology.vrrp
    t, rfc = fault.target, _rfc(vrrp.version)
    if not fault.takeover:
        if fault.kind == "start" and not vrrp.preempt:
            return _("{target} starts as a backup and, with nopreempt, stays backup although "
                     "its priority is higher.").format(target=t)
        return None
    if rule == "goodbye":
        return _("{target} stops cleanly: its last advert has priority 0, so the backup does "
                 "not wait for missed adverts, only for its Skew_Time ({rfc} §6.4.2).").format(
            target=t, rfc=rfc)
    if rule == "silence" and before and t != before:
        return _("{target} no longer hears {master}'s adverts: as if {master} had fallen "
                 "silent, it waits its Master_Down_Interval since the last advert it heard, "
                 "three advert intervals plus its Skew_Time ({rfc} §6.4.2).").format(
            target=t, master=before, rfc=rfc)
    if rule == "silence":
        return _("{target} falls silent, without a goodbye: the backup waits until its "
                 "Master_Down_Interval has passed since the last advert it heard: three advert "
                 "intervals plus its Skew_Time ({rfc} §6.4.2).").format(target=t, rfc=rfc)
    if rule == "demoted":
        return _("{target} keeps advertising, but with a priority below the backup's: with "
                 "preemption the backup ignores those adverts and takes over when its "
                 "Master_Down_Interval runs out.").format(target=t)
    if rule in RETURN_RULES:
        text = _("{target} comes back as a backup and listens for its own "
                 "Master_Down_Interval; hearing a lower priority, it then preempts.").format(
            target=t)
        if vrrp.preempt_delay:
            text += " " + _("With preempt_delay, it waits {delay} more first.").format(
                delay=_configured(vrrp.preempt_delay))
        return text
    if rule == "promoted":
        return _("{target}'s priority is above the master's again: it preempts when its "
                 "Master_Down_Interval runs out.").format(target=t)
    if rule == "next_advert":
        return _("{target} never stopped being MASTER in its own view: its next advert makes "
                 "the other router step back.").format(target=t)
    if rule == "attack_over":
        return _("The forged adverts stop: the routers wait their Master_Down_Interval after the "
                 "last one, then the highest priority takes the role back.")
    return None


def _measured_takeover(f: dict) -> list[str]:
    timing = f.get("timing") or {}
    who = f.get("new_master") or f.get("expected_master") or "—"
    if timing.get("measured_s") is not None:
        verdict = {"ok": _("in the window"), "early": _("too early"),
                   "late": _("too late")}.get(timing.get("verdict"), _("not seen"))
        edges = [_seconds(timing[k]) if timing.get(k) is not None else "—"
                 for k in ("lower_s", "upper_s")]
        return [_("{who} took over {measured} after {basis} ({verdict}: accepted from "
                  "{lower} to {upper}).").format(
            who=who, measured=_seconds(timing["measured_s"]),
            basis=_(timing["basis"]) if timing.get("basis") else "—", verdict=verdict,
            lower=edges[0], upper=edges[1])]
    if f.get("takeover_s") is not None:
        return [_("{who} advertised {took} after the fault.").format(
            who=who, took=_seconds(f["takeover_s"]))]
    return []


def _measured_client(run: _Run, f: dict, target: str | None = None) -> list[str]:
    """What the client saw of `target` (the gateway's VIP by default) during the fault."""
    target = target or f.get("vip") or run.results["vrrp"]["vip"]
    impact = (f.get("per_target") or {}).get(target) or {}
    if "lost_probes" not in impact:
        return []
    gap = impact.get("data_gap_s")
    every = run.results.get("probe", {}).get("interval_s")
    return [_("The client's pings to {target} (one every {every}): longest silence {gap}, "
              "{lost} lost, {late} answered late.").format(
        target=target, every=f"{i18n.number(every * 1000)}\u00a0ms" if every else "—",
        gap=_seconds(gap) if gap is not None else "—", lost=impact.get("lost_probes", 0),
        late=impact.get("delayed_probes", 0))]


def _upstream_address(topology: Topology):
    return topology.upstream_hosts[0].interfaces[0].address.ip


def _fault_part(index: int, fault: Fault, scenario: Scenario, target: str, before: str | None,
                run: _Run | None, number: _Numbers) -> Part:
    topology, vrrp = scenario.topology, scenario.topology.vrrp
    kind = KINDS[fault.kind]
    rule = rule_of(fault.kind, fault.target, fault.expect_master)
    lines = fault_lines(fault, topology)
    measured_fault = run.faults.get(fault.name) if run else None
    commands, note = [], ""
    if lines:
        commands.append(Command("measure", _("start counting: the client pings its gateway "
                                             "every 5 ms")))
        commands += lines
        commands.append(Command("state", _("a few seconds later: who is MASTER now?")))
        commands.append(Command("measure", _("stop counting: lost probes, longest gap between "
                                             "replies")))
        for i, r in enumerate(topology.routers):
            commands.append(Command(f"{r.name} journalctl -u keepalived -n 20",
                                    _("what its daemon did: “Entering MASTER STATE”, or "
                                      "BACKUP?") if i == 0 else ""))
    else:
        note = _("vrrplab shell has no command for this step: the teacher shows it with "
                 "sudo vrrplab run {scenario} --pace.").format(scenario=target)
    predict = []
    if lines and len(lines) == 1:
        ask = _("Before you type {command}: what will happen, and which router will be MASTER "
                "afterwards?").format(command=lines[0].line)
    elif lines:
        ask = _("Before you type these commands: what will happen, and which router will be "
                "MASTER afterwards?")
    else:
        ask = _("What will happen, and which router will be MASTER afterwards?")
    answer = [_outcome(fault, before)]
    why = _why(fault, rule, before, topology)
    if why:
        answer.append(why)
    measured = []
    if measured_fault is not None:
        who = measured_fault.get("settled_master") or measured_fault.get("new_master")
        measured.append(_("{who} MASTER after this step.").format(who=who)
                        if who else _("No router MASTER after this step."))
    predict.append(Question(number(), ask, 3, answer, None, measured))

    timed = (fault.expect_master is not None and fault.takeover and not fault.unstable
             and rule is not None and fault.expect_master != before)
    split = len(fault.holders()) > 1  # the old master keeps the VIP, and forwards
    upstream = timed and kind.cuts_upstream and bool(topology.upstream_hosts)
    outage = timed and rule in GATEWAY_OUTAGE_RULES and not split
    if timed:
        if outage:
            ask = _("How long will the client be without its gateway? Work it out with the "
                    "RFC's formula: which timer applies here, and whose?")
        elif upstream:
            ask = _("How long will the client be cut off from {host}? Work it out with the "
                    "RFC's formula: which timer applies here, and whose?").format(
                host=_upstream_address(topology))
        elif lines:
            ask = _("How long after the command will the master change? Work it out with the "
                    "RFC's formula.")
        else:
            ask = _("How long until the master changes? Work it out with the RFC's formula.")
        basis = _(BASIS[rule]) if rule in BASIS else "—"
        if rule == "next_advert":
            rfc = _("within one advert interval ({interval})").format(
                interval=_configured(vrrp.advert_int))
            bound = vrrp.advert_int
            answer = [_("Counted from {basis}.").format(basis=basis)]
        else:
            expected = formula.expected(fault, topology)
            rfc = f"{expected.text} = {_seconds(expected.bound_s)}"
            bound = expected.bound_s
            instance = topology.gateway_of(fault).name
            answer = [_("The timer of {router} (priority {priority}), counted from {basis}.")
                      .format(router=expected.router, basis=basis,
                              priority=vrrp.priority(expected.router, instance))]
        measured = _measured_takeover(measured_fault) if measured_fault else []
        predict.append(Question(number(), ask, 2, answer, rfc, measured))
        if outage:
            low = math.floor(bound)
            ask = _("The lesson announces “{claim}” with one ping a second (ping -t). How many "
                    "would you lose here?").format(claim=_("1-2 ping packets lost"))
            answer = [_("An outage of about {outage}: {low} or {high}, depending on where in the "
                        "second the fault falls.").format(outage=_seconds(bound), low=low,
                                                         high=low + 1)]
            measured = []
            pings = one_second_pings(run.results, measured_fault) if measured_fault else None
            if pings:
                measured.append(
                    _("This run, replayed at one ping a second: {n} lost.").format(n=pings[0])
                    if pings[0] == pings[1] else
                    _("This run, replayed at one ping a second: {low} to {high} lost.").format(
                        low=pings[0], high=pings[1]))
            predict.append(Question(number(), ask, 1, answer, None, measured))
    questions = []
    if lines:
        if fault.kind == "flap":
            answer = [_("An outage each time the master changes: the probes are lost while the "
                        "backup waits its Master_Down_Interval, cycle after cycle.")]
        elif outage:
            answer = [_("A longest gap close to the RFC's figure: the client's pings go "
                        "unanswered until the new master takes the VIP and sends its gratuitous "
                        "ARP.")]
        elif upstream:
            answer = [_("The pings to the gateway are answered all along; those to {host} are "
                        "lost until the new master takes over.").format(
                host=_upstream_address(topology))]
        elif split:
            answer = [_("Little or nothing: the old master still holds the VIP and still "
                        "forwards; the trouble is two routers answering for one address.")]
        elif timed:
            answer = [_("Almost nothing: the old master forwards the client's traffic until "
                        "the new one takes over.")]
        else:
            answer = [_("Nothing: the master does not change.")]
        measured = []
        if measured_fault:
            measured = _measured_client(run, measured_fault)
            if upstream:
                measured += _measured_client(run, measured_fault,
                                             str(_upstream_address(topology)))
        questions.append(Question(
            number(), _("What did measure show (probes lost, longest gap)? Does it match your "
                        "prediction?"), 2, answer, None, measured))
    elif measured_fault is not None:  # no shell line: what the run's client saw, with the outcome
        predict[0].measured += _measured_client(run, measured_fault)
    title = _("Step {n}: {name}").format(n=index, name=fault.name)
    return Part(title, _(kind.what), commands, questions, note, predict)


# -- the configurations -----------------------------------------------------------------


def _config_questions(topology: Topology, number: _Numbers) -> list[Question]:
    vrrp = topology.vrrp
    inst = topology.lan_instance()
    master = vrrp.master_of(inst.name)
    priorities = _listed(f"{r.name} {vrrp.priority(r.name, inst.name)}" for r in vrrp.routers)
    questions = [Question(
        number(), _("Which values must be the same in every router's file, and which must "
                    "differ?"), 3,
        [_("The same: the VRID ({vrid}), the VIP ({vip}), advert_int ({interval}) and the "
           "password. Different: the priority ({priorities}) and the initial state (MASTER on "
           "{master}, BACKUP on the others).").format(
            vrid=inst.vrid, vip=inst.ping_address(), interval=_configured(vrrp.advert_int),
            priorities=priorities, master=master)])]
    if vrrp.version == 2 and vrrp.auth_pass:
        questions.append(Question(
            number(), _("How long may the password (auth_pass) be, and why?"), 2,
            [_("8 characters: VRRPv2's PASS authentication carries 8; keepalived keeps the "
               "first 8 of a longer one and says so only in a warning. Here: {password}.")
             .format(password=vrrp.auth_pass)]))
    return questions


def _formulas(version: int) -> list[str]:
    if version == 2:
        skew = "Skew_Time = (256 − Priority) / 256"
    else:
        skew = "Skew_Time = ((256 − Priority) × Advertisement_Interval) / 256"
    return [skew, "Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time"]


# -- the sheet --------------------------------------------------------------------------


def build_sheet(scenario: Scenario, target: str, blanks: bool = False,
                results: dict | None = None, folder: Path | None = None,
                no_run: str = "") -> Sheet:
    """The sheet's words in the language chosen now; with `results`, the measured figures
    (the teacher's copy shows them), else `no_run` says why there are none."""
    topology, vrrp = scenario.topology, scenario.topology.vrrp
    run = _Run(results) if results is not None else None
    number = _Numbers()
    config_questions = _config_questions(topology, number) if blanks else []
    parts = [_start_part(scenario, target, run, number, i18n.language())]
    masters = {i: m[0] for i, m in initial_masters(scenario).items()}
    for index, fault in enumerate(scenario.faults, start=1):
        instance = topology.gateway_of(fault).name
        parts.append(_fault_part(index, fault, scenario, target, masters.get(instance), run,
                                 number))
        if fault.takeover and not fault.unstable:
            for name in fault.instances or [i.name for i in vrrp.instances]:
                masters[name] = fault.expect_master
    info = None
    if results is not None:
        checks = results.get("checks", [])
        info = RunInfo(folder=str(folder) if folder else "", run_id=results.get("run_id", ""),
                       speaker=results.get("speaker", ""),
                       started_at=results.get("started_at") or "",
                       verdict=results.get("verdict", ""),
                       passed=sum(1 for c in checks if c.get("ok")), checks=len(checks))
    return Sheet(
        scenario=scenario.name, target=target,
        description=_(scenario.description) if scenario.description else "",
        lesson=_(scenario.lesson) if scenario.lesson else "",
        version=vrrp.version, advert_int=_configured(vrrp.advert_int),
        formulas=_formulas(vrrp.version), config_questions=config_questions, parts=parts,
        run=info, no_run=no_run)
