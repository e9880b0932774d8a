"""The routers' own keepalived.conf files: `vrrplab run SCENARIO --config r1=PATH ...`.

A teacher runs the exercise on the files a pair of students wrote. Each file is read as
keepalived reads it (`speakers.keepalived_read`), the pair becomes vrrplab's model
(`speakers.keepalived_map.to_vrrp`), and that model replaces the topology's `vrrp:`
block: the checks then judge the students' intent (who should be master, which VIP
moves) and the bundled speaker runs the same intent. keepalived itself runs each file as
written (`speakers.keepalived`).

Only what the lab cannot hold is refused, before anything starts (InputError, exit 2,
naming the file and line): a router of the lab without a file, a file for a router the
lab does not have, an instance on an interface the router lacks, a VIP outside that
interface's subnet, what the bundled speaker cannot do. What is merely wrong (equal
priorities, a password keepalived truncates, a track_script it ignores) runs: the lab
shows what it does, and lint's findings go into results.json and the report.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import ip_interface
from pathlib import Path

from vrrplab.boundedio import Problem
from vrrplab.errors import InputError, LabError
from vrrplab.i18n import N_, Message
from vrrplab.lint.command import lint_paths
from vrrplab.loader.model import Probe, Scenario, Topology, Vrrp
from vrrplab.loader.scale import Scale
from vrrplab.loader.scenario import default_probes
from vrrplab.speakers.keepalived_map import to_vrrp
from vrrplab.speakers.keepalived_read import Config, Finding
from vrrplab.speakers import kinds_for

OPTION = "--config"


@dataclass(frozen=True)
class GivenConfigs:
    """The files each router runs instead of the one vrrplab renders, and what lint says."""

    paths: tuple[tuple[str, Path], ...]  # (router, the file as given, absolute), router order
    findings: tuple[Finding, ...] = ()
    # (router, path in the router, the file to put there): `--script`, a script a file names
    scripts: tuple[tuple[str, Path, Path], ...] = ()
    # (router, vrrp_script name, its command as keepalived splits it): what `try_checks`
    # runs once in each router before the daemons start
    checks: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # what the routers must still read of the host, where their folders may be hidden (a
    # home): each file given and what it includes, single files, never their whole folder
    read_files: tuple[Path, ...] = ()

    def path_of(self, router: str) -> Path | None:
        return dict(self.paths).get(router)

    @staticmethod
    def copy_name(router: str) -> str:
        return f"{router}.given.conf"

    def script_copy_name(self, router: str, target: Path) -> str:
        """`r1.script.2.check.sh`: numbered, two targets may share a file name."""
        index = next(i for i, (r, t, _s) in enumerate(self.scripts) if (r, t) == (router, target))
        return f"{router}.script.{index}.{target.name}"


    def copy_into(self, folder: Path) -> None:
        """A byte-for-byte copy of each file into the run's folder: the report shows the
        exact file each router was given (keepalived runs the original, whose includes
        are found beside it); each `--script` file is put in place from its copy."""
        for router, path in self.paths:
            (folder / self.copy_name(router)).write_bytes(path.read_bytes())
        for router, target, source in self.scripts:
            (folder / self.script_copy_name(router, target)).write_bytes(source.read_bytes())

    def placed(self, folder: Path) -> dict[str, tuple[tuple[Path, Path], ...]]:
        """For `lab.Lab`: router -> (path in the router, its copy in the run's folder)."""
        placed: dict[str, list[tuple[Path, Path]]] = {}
        for router, target, _source in self.scripts:
            placed.setdefault(router, []).append(
                (target, folder / self.script_copy_name(router, target)))
        return {router: tuple(files) for router, files in placed.items()}

    def as_results(self) -> dict:
        """results.json's `given_configs`: each router's file and lint's findings, in
        English (`message`) and in the run's language (`said`)."""
        return {"files": {router: {"path": str(path), "copy": self.copy_name(router)}
                          for router, path in self.paths},
                "findings": [{**f.as_dict(), "said": f.message.localized()}
                             for f in self.findings],
                "scripts": [{"router": router, "path": str(target), "given": str(source),
                             "copy": self.script_copy_name(router, target)}
                            for router, target, source in self.scripts]}


def refuse_added_vrids(scenario: Scenario, from_option: bool) -> None:
    """`--config` with VRIDs added (`--vrids`, or the scenario's `scale: {vrids}`): the
    files replace the topology's vrrp, the added instances with it, while results.json
    would say scale. Refused, exit 2, said where the number came from. (Added routers are
    fine: each needs its own file, as every router does.)"""
    if "vrids" not in scenario.scale:
        return
    scale = Scale(vrids=scenario.scale["vrids"],
                  vrids_from=None if from_option else scenario.path)
    raise scale.refused("vrids", Message(N_(
        "no VRIDs added to the routers' own files ({option} runs each file as written, "
        "with its own instances)"), option=OPTION))


def parse_options(values: Iterable[str]) -> dict[str, Path]:
    """`--config ROUTER=PATH` values as {router: path}; InputError naming each bad one."""
    given: dict[str, Path] = {}
    problems: list[Message] = []
    for value in values:
        router, sep, path = value.partition("=")
        if not sep or not router.strip() or not path:
            problems.append(Problem(N_("{option}: expected ROUTER=PATH (e.g. r1=r1.conf), got "
                                       "{value}"), option=OPTION, value=value))
        elif router in given:
            problems.append(Problem(N_("{option}: {router} given twice"), option=OPTION,
                                    router=router))
        else:
            given[router] = Path(path)
    if problems:
        raise InputError(problems)
    return given


SCRIPT_OPTION = "--script"
SCRIPT_MAX_BYTES = 64 * 1024
# a script is put in an existing folder two levels down or more (/etc/keepalived,
# /usr/local/bin), never over /etc or /usr; and not where each router has a private
# tmpfs already (lab.network.PRIVATE_TMPFS), where the folder does not exist for it
HIDDEN_IN_ROUTERS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/root"),
                     Path("/home"), Path("/run"), Path("/proc"), Path("/sys"), Path("/dev"))


def parse_scripts(values: Iterable[str], routers: list[str]) -> tuple[tuple[str, Path, Path], ...]:
    """`--script [ROUTER:]PATH=FILE` values: put FILE at PATH in ROUTER (every router when
    none is named). InputError naming each bad one; nothing is read but FILE's size."""
    found: list[tuple[str, Path, Path]] = []
    problems: list[Message] = []
    for value in values:
        where, sep, source = value.partition("=")
        router, colon, target = where.partition(":") if ":" in where.split("/")[0] else \
            ("", "", where)
        problem = _script_problem(router, target, source, sep, routers)
        if problem:
            problems.append(Problem(N_("{option} {value}: {problem}"), option=SCRIPT_OPTION,
                                    value=value, problem=problem))
            continue
        for name in [router] if router else routers:
            found.append((name, Path(target), Path(source).resolve()))
    if problems:
        raise InputError(problems)
    return tuple(found)


def _script_problem(router: str, target: str, source: str, sep: str,
                    routers: list[str]) -> Message | None:
    if not sep or not target or not source:
        return Message(N_("expected [ROUTER:]PATH=FILE (e.g. r1:/etc/keepalived/"
                          "check_gateway.sh=alice/check_gateway.sh)"))
    if router and router not in routers:
        return Message(N_("the lab's routers are {routers}"), routers=", ".join(routers))
    path = Path(target)
    if not path.is_absolute() or ".." in path.parts or len(path.parent.parts) < 3:
        return Message(N_("expected an absolute path in a folder two levels down or more, "
                          "such as /etc/keepalived/check_gateway.sh"))
    if any(path == h or h in path.parents for h in HIDDEN_IN_ROUTERS):
        return Message(N_("{folder} is private to each router (empty there): put the script "
                          "elsewhere, such as /etc/keepalived"), folder=str(path.parent))
    if not path.parent.is_dir():
        return Message(N_("{folder} does not exist on this machine (the lab hides an "
                          "existing folder behind the script, it creates none)"),
                       folder=str(path.parent))
    file = Path(source)
    if not file.is_file() or file.stat().st_size > SCRIPT_MAX_BYTES:
        return Message(N_("{file}: expected a readable file of at most {size} KiB"),
                       file=source, size=SCRIPT_MAX_BYTES // 1024)
    return None


def refuse_frr_for_given_configs(kinds: dict[str, str]) -> None:
    """The routers' own files are keepalived.conf: FRR reads none of it (exit 2)."""
    if "frr" in kinds.values():
        raise InputError(N_("--config: the routers' own keepalived.conf run on keepalived or "
                            "the bundled speaker (--speaker keepalived, bundled, mixed), not on "
                            "frr"))


def with_given_configs(scenario: Scenario, given: dict[str, Path],
                       speaker: str = "keepalived",
                       scripts: tuple[tuple[str, Path, Path], ...] = ()) -> Scenario:
    """`scenario` run on the routers' own files: their model in place of the topology's
    vrrp, the probes recomputed for it. InputError (exit 2) when the lab cannot run them."""
    topology = scenario.topology
    _check_routers(topology, given)
    ordered = [(r.name, given[r.name]) for r in topology.routers]
    linted = lint_paths([path for _, path in ordered], keepalived=False,
                        shown=[shown_name(path) for _, path in ordered])
    configs = dict(zip([name for name, _ in ordered], linted.configs))
    if not all(c.instances for c in configs.values()):
        raise InputError([Problem(N_("{file}: expected a vrrp_instance block (the lab runs "
                                     "the routers' instances)"), file=c.path)
                          for c in configs.values() if not c.instances])
    _check_fits_lab(topology, configs)
    vrrp = _gateway_first(topology, to_vrrp(configs))
    kinds = kinds_for(speaker, [r.name for r in topology.routers])
    refuse_frr_for_given_configs(kinds)
    if "bundled" in kinds.values():
        _check_bundled_can(configs)
    topology = dataclasses.replace(topology, vrrp=vrrp)
    probes = _probes_for(topology, default_probes(topology), scenario.probe.interval)
    checks = tuple((router, script.name, tuple(script.argv))
                   for router, config in configs.items() for script in config.scripts.values()
                   if script.argv)
    # the main files, then what they include (the reader names those by their real path)
    read = [p.resolve() for _, p in ordered] + [Path(f).resolve() for c in configs.values()
                                                for f in c.files[1:]]
    _check_scripts_fit(scripts, read)
    return dataclasses.replace(
        scenario, topology=topology, probes=probes,
        given=GivenConfigs(tuple((n, p.resolve()) for n, p in ordered), tuple(linted.findings),
                           scripts, checks, tuple(dict.fromkeys(read))))


CHECK_TRY_S = 5.0  # a check run once before the daemons: past this it is killed, and said
CHECK_SAID_BYTES = 2000  # what is kept of what it printed (the end: where errors come)


def try_checks(lab, given: GivenConfigs) -> list[dict]:
    """Run each vrrp_script the files define once, in its router, before the daemons start,
    and keep what it printed and its exit code. keepalived sends a script's output nowhere:
    this is how the report can say what a check does in the lab (the lesson's
    check_gateway.sh answered by the lab's 8.8.8.8, a write the host's read-only files
    refused, a command missing here)."""
    tried = []
    for router, name, argv in given.checks:
        entry = {"router": router, "name": name, "command": " ".join(argv)}
        try:
            result = lab.run(router, list(argv), timeout=CHECK_TRY_S)
            entry |= {"exit": result.returncode,
                      "said": (result.stdout or "")[-CHECK_SAID_BYTES:].strip()}
        except (LabError, OSError) as exc:  # stuck past its time, or not executable
            entry |= {"exit": None, "said": str(exc)}
        tried.append(entry)
    return tried


def shown_name(path: Path) -> str:
    """A file as the findings name it: from the current folder when it is below it (the
    run inside the lab gets absolute paths, the teacher typed relative ones)."""
    relative = os.path.relpath(path.resolve())
    return relative if not relative.startswith("..") else str(path)


def _check_scripts_fit(scripts: tuple[tuple[str, Path, Path], ...], read: list[Path]) -> None:
    """`--script` targets: each once per router, none in another's folder below it (its
    tmpfs would have no place), none where a given file must stay readable."""
    problems: list[Message] = []
    seen: set[tuple[str, Path]] = set()
    for router, target, _source in scripts:
        if (router, target) in seen:
            problems.append(Problem(N_("{option}: {path} given twice for {router}"),
                                    option=SCRIPT_OPTION, path=str(target), router=router))
        seen.add((router, target))
        folders = {t.parent for r, t, _ in scripts if r == router and t.parent != target.parent}
        if any(f in target.parents for f in folders):
            problems.append(Problem(N_("{option}: {path} is in a folder below another "
                                       "script's: put them in one folder"),
                                    option=SCRIPT_OPTION, path=str(target)))
        if any(target.parent in f.parents for f in read):
            problems.append(Problem(N_("{option}: {folder} holds the files given with --config: "
                                       "put the script elsewhere"), option=SCRIPT_OPTION,
                                    folder=str(target.parent)))
    if problems:
        raise InputError(problems)


def _check_routers(topology: Topology, given: dict[str, Path]) -> None:
    names = [r.name for r in topology.routers]
    problems: list[Message] = []
    for router in given:
        if router not in names:
            problems.append(Problem(N_("{option} {router}=...: the lab's routers are {routers}"),
                                    option=OPTION, router=router, routers=", ".join(names)))
    missing = [n for n in names if n not in given]
    if missing:
        problems.append(Problem(N_("{option}: a file for every router of the lab, missing "
                                   "{routers} (e.g. {option} {first}=PATH)"), option=OPTION,
                                routers=", ".join(missing), first=missing[0]))
    if problems:
        raise InputError(problems)


def _gateway_first(topology: Topology, vrrp: Vrrp) -> Vrrp:
    """The instance holding the main client's gateway first: the one the checks judge
    (`Topology.lan_instance`), whatever order the file lists them in."""
    client = next((n for n in topology.nodes if n.role == "client"), None)
    gateway = client.gateway if client else None
    ordered = sorted(vrrp.instances, key=lambda i: gateway not in {v.ip for v in i.vips})
    return dataclasses.replace(vrrp, instances=tuple(ordered))


def _check_fits_lab(topology: Topology, configs: dict[str, Config]) -> None:
    """Each instance on an interface every router has, its VIPs in that interface's subnet."""
    problems: list[Message] = []
    for router, config in configs.items():
        node = topology.node(router)
        names = ", ".join(i.name for i in node.interfaces)
        for inst in config.instances:
            if inst.interface is None:
                problems.append(Problem(N_("{where}: vrrp_instance {instance}: expected an "
                                           "interface line (the lab's {router} has {names})"),
                                        where=str(inst.where), instance=inst.name,
                                        router=router, names=names))
                continue
            if not inst.vips:
                problems.append(Problem(N_("{where}: vrrp_instance {instance}: expected a "
                                           "virtual_ipaddress block with the address the "
                                           "routers share"), where=str(inst.where),
                                        instance=inst.name))
            ifname = inst.interface.value
            own = next((i for i in node.interfaces if i.name == ifname), None)
            if own is None:
                problems.append(Problem(N_("{where}: interface {name}: the lab's {router} has "
                                           "{names}"), where=str(inst.interface.where),
                                        name=ifname, router=router, names=names))
                continue
            for vip in inst.vips:
                if ip_interface(vip.value).ip not in own.address.network:
                    problems.append(Problem(N_("{where}: {vip} is outside {name}'s subnet "
                                               "{subnet} in the lab"), where=str(vip.where),
                                            vip=str(vip.value), name=ifname,
                                            subnet=str(own.address.network)))
    if problems:
        raise InputError(problems)


BUNDLED_HINT = N_("run with --speaker keepalived")


def _check_bundled_can(configs: dict[str, Config]) -> None:
    """What the bundled speaker does not do, refused by line rather than silently dropped:
    unicast peers, a track line's own weight, a script's timeout or reverse weight, and
    every keyword keepalived reads that vrrplab does not model (notify scripts, garp
    tuning...: the reader's `not-modelled` notes)."""
    problems: list[Message] = []

    def refuse(where, what: str, **values) -> None:
        problems.append(Problem(N_("{where}: {what} ({hint})"), where=str(where),
                                what=Message(what, **values), hint=Message(BUNDLED_HINT)))

    for config in configs.values():
        for inst in config.instances:
            for peer in inst.unicast_peers[:1]:
                refuse(peer.where, N_("unicast_peer: the bundled speaker sends multicast only"))
            for ref in inst.track_scripts + inst.track_interfaces:
                if ref.weight is not None:
                    refuse(ref.where, N_("{name} weight {weight}: the bundled speaker takes a "
                                         "check's weight from its vrrp_script only"),
                           name=ref.name, weight=ref.weight)
        for script in config.scripts.values():
            if script.timeout is not None:
                refuse(script.timeout.where, N_("timeout: the bundled speaker does not time "
                                                "its checks out"))
            if script.reverse:
                refuse(script.weight.where if script.weight else script.where,
                       N_("weight ... reverse: the bundled speaker does not reverse weights"))
        for finding in config.findings:
            if finding.code == "not-modelled":
                refuse(finding.where, N_("{keyword}: keepalived does this, the bundled speaker "
                                         "does not"), keyword=finding.message.values["keyword"])
    if problems:
        raise InputError(problems)


def _probes_for(topology: Topology, probes: tuple[Probe, ...], interval: float
                ) -> tuple[Probe, ...]:
    """The default probes at the scenario's pace, without the upstream hosts when no
    instance gives them a way back (the lesson's files have the LAN's VIP only: the
    client pings its gateway, as the lesson's failover test does)."""
    vips = {v.ip for inst in topology.vrrp.instances for v in inst.vips}
    out = []
    for probe in probes:
        targets = tuple(t for t in probe.targets if _has_way_back(topology, t, vips))
        out.append(dataclasses.replace(probe, targets=targets, interval=interval))
    return tuple(out)


def _has_way_back(topology: Topology, target, vips: set) -> bool:
    host = next((n for n in topology.nodes if any(i.address.ip == target
                                                  for i in n.interfaces)), None)
    if host is None or host.role != "upstream":
        return True
    return all(route.via in vips for route in host.routes) and bool(host.routes)
