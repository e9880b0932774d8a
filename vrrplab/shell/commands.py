"""What a line typed at `vrrplab shell`'s prompt asks for: pure, no lab, no I/O.

`parse(line, topology)` turns a line into one command, or raises `ShellError` (one line,
in the reader's language). The node named first runs the rest (`r1 ip addr show eth0`,
`c1 ping 192.168.1.1 &`), except the lesson's service commands, which are mapped onto the
router's VRRP daemon: `systemctl stop|start|restart|status keepalived`, `service
keepalived stop`, `journalctl -u keepalived [-f] [-n N]` (a leading `sudo`, as the lesson
types it, is dropped: the lab runs as root). vrrplab's own commands come without a node:
`state`, `crash r1`, `link r1 eth0 down`, `freeze r1`, `thaw r1`, `watch`, `measure`,
`jobs`, `kill %1`, `help`, `exit`. Running them is `session` and `prompt`'s business.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from vrrplab.errors import VrrplabError
from vrrplab.i18n import N_

# the service names the lesson's commands may give the routers' VRRP daemon, whichever
# speaker runs (the bundled one answers for keepalived)
SERVICES = ("keepalived", "keepalived.service", "vrrp")
SERVICE_ACTIONS = ("start", "stop", "restart", "status", "is-active", "enable", "disable")
JOURNAL_DEFAULT_FOLLOW_LINES = 10  # journalctl -f shows the last 10 lines first
# Programs that need a terminal of their own (a screen to draw, keys to read): the shell
# hands a node's command no terminal (see `jobs`), so these are refused in one line; the
# second set only when typed alone (`sh -c '...'`, `top -b -n 1` are fine).
NEEDS_TERMINAL = frozenset({"nano", "vi", "vim", "emacs", "less", "more", "htop", "watch",
                            "mtr", "screen", "tmux", "man", "iftop", "nmtui"})
NEEDS_TERMINAL_ALONE = frozenset({"bash", "sh", "dash", "zsh", "python3", "python", "top"})


class ShellError(VrrplabError):
    """A line the shell cannot run: said in one line, the prompt comes back."""


@dataclass(frozen=True)
class NodeCommand:
    """`r1 ip addr show eth0`: `text` runs in the node's namespace (through sh -c)."""

    node: str
    text: str
    background: bool = False


@dataclass(frozen=True)
class ServiceCommand:
    """`r1 systemctl ACTION keepalived`, on the router's VRRP daemon."""

    router: str
    action: str


@dataclass(frozen=True)
class JournalCommand:
    """`r1 journalctl -u keepalived [-f] [-n N]`: the daemon's log (None: all of it)."""

    router: str
    follow: bool = False
    lines: int | None = None


@dataclass(frozen=True)
class LabCommand:
    """One of vrrplab's own commands, its arguments checked."""

    name: str
    args: tuple[str, ...] = ()


Command = NodeCommand | ServiceCommand | JournalCommand | LabCommand

# vrrplab's own commands: name -> (its arguments as help shows them, what it does)
LAB_COMMANDS: dict[str, tuple[str, str]] = {
    "state": ("", N_("who is MASTER of each instance, priorities, who holds the VIPs")),
    "watch": ("", N_("the live view: the routers, the probes while measuring, each change "
                     "as it comes; Ctrl-C returns")),
    "crash": ("ROUTER", N_("the router crashes: its daemon killed (SIGKILL), every link down")),
    "link": ("NODE IF up|down", N_("take one of a node's links down, or up again")),
    "freeze": ("ROUTER", N_("freeze the router's VRRP daemon (SIGSTOP): alive but silent")),
    "thaw": ("ROUTER", N_("let a frozen daemon run again (SIGCONT)")),
    "measure": ("[start|stop]", N_("start the client's probes (a ping every 5 ms); again: "
                                   "stop them and show lost probes and the longest gap")),
    "jobs": ("", N_("the commands running in the background (a trailing &)")),
    "kill": ("%N", N_("stop background command N, as Ctrl-C would")),
    "help": ("", N_("this help")),
    "exit": ("", N_("take the lab down and leave (also Ctrl-D, or Ctrl-C twice)")),
}
ALIASES = {"quit": "exit", "EOF": "exit", "?": "help", "status": "state"}


def parse(line: str, topology) -> Command | None:
    """The command a line asks for (None: an empty line, or a comment)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    first, _, rest = text.partition(" ")
    if topology.has_node(first):
        return _node_command(first, rest.strip(), topology)
    name = ALIASES.get(first, first)
    if name in LAB_COMMANDS:
        return _lab_command(name, _split(rest), topology)
    raise ShellError(N_("{word}: neither a node nor a command (nodes: {nodes}; type help)"),
                     word=first, nodes=", ".join(n.name for n in topology.nodes))


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:  # an unbalanced quote
        raise ShellError(N_("cannot read the command: {why}"), why=str(exc)) from None


def _node_command(node: str, rest: str, topology) -> Command:
    background = rest.endswith("&") and not rest.endswith("&&")
    if background:
        rest = rest[:-1].rstrip()
    words = _split(rest)
    if words and words[0] == "sudo":  # the lesson's habit: the lab already runs as root
        words = words[1:]
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    if not words:
        raise ShellError(N_("{node}: which command? For example: {node} ip addr show"),
                         node=node)
    program = words[0]
    if program in ("systemctl", "service", "journalctl"):
        if background or set(rest) & set("|;<>`$"):
            raise ShellError(N_("{node}: {program} here takes no pipe, redirection or &"),
                             node=node, program=program)
        _router(node, topology, program)
        if program == "journalctl":
            return _journal(node, words[1:])
        if program == "service":  # service keepalived stop
            return _service(node, words[2:3] + words[1:2] + words[3:], program)
        return _service(node, [w for w in words[1:] if not w.startswith("-")], program)
    if program in NEEDS_TERMINAL or program in NEEDS_TERMINAL_ALONE and len(words) == 1:
        raise ShellError(N_("{node}: {program} needs a terminal of its own; the shell runs "
                            "commands that print and end (or end with Ctrl-C)"),
                         node=node, program=program)
    return NodeCommand(node, rest, background)


def _router(node: str, topology, program: str) -> None:
    if node not in {r.name for r in topology.routers}:
        raise ShellError(N_("{node} runs no VRRP daemon: {program} is for the routers ({routers})"),
                         node=node, program=program,
                         routers=", ".join(r.name for r in topology.routers))


def _service(router: str, words: list[str], program: str) -> ServiceCommand:
    actions = ", ".join(SERVICE_ACTIONS)
    if len(words) != 2 or words[0] not in SERVICE_ACTIONS:
        raise ShellError(N_("{router}: {program}: expected ACTION keepalived, ACTION one of "
                            "{actions}"), router=router, program=program, actions=actions)
    if words[1] not in SERVICES:
        raise ShellError(N_("{router}: no service {service} here, only keepalived (the router's "
                            "VRRP daemon)"), router=router, service=words[1])
    return ServiceCommand(router, words[0])


def _journal(router: str, words: list[str]) -> JournalCommand:
    unit, follow, lines = None, False, None
    i = 0
    while i < len(words):
        word = words[i]
        value = None
        if word in ("-u", "--unit", "-n", "--lines") and i + 1 < len(words):
            value, i = words[i + 1], i + 1
        elif word.startswith(("--unit=", "--lines=")):
            word, value = word.split("=", 1)
        elif word.startswith(("-u", "-n")) and len(word) > 2:
            word, value = word[:2], word[2:]
        if word in ("-u", "--unit") and value is not None:
            unit = value
        elif word in ("-n", "--lines") and value is not None:
            if not value.isdigit():
                raise ShellError(N_("{router}: journalctl -n: expected a number of lines, got "
                                    "{value}"), router=router, value=value)
            lines = int(value)
        elif word in ("-f", "--follow"):
            follow = True
        elif word in ("--no-pager", "-e", "--pager-end", "-b", "--boot"):
            pass  # no pager here, and the log is this lab's: nothing to choose
        else:
            raise ShellError(N_("{router}: journalctl: {option} is not understood here (-u "
                                "keepalived, -f, -n N)"), router=router, option=word)
        i += 1
    if unit not in SERVICES:
        raise ShellError(N_("{router}: journalctl: expected -u keepalived (the router's VRRP "
                            "daemon)"), router=router)
    if follow and lines is None:
        lines = JOURNAL_DEFAULT_FOLLOW_LINES
    return JournalCommand(router, follow, lines)


def _lab_command(name: str, args: list[str], topology) -> LabCommand:
    routers = [r.name for r in topology.routers]
    usage = f"{name} {LAB_COMMANDS[name][0]}".strip()
    if name in ("crash", "freeze", "thaw"):
        if len(args) != 1:
            raise ShellError(N_("usage: {usage}"), usage=usage)
        if args[0] not in routers:
            raise ShellError(N_("{name}: {router} is not a router (routers: {routers})"),
                             name=name, router=args[0], routers=", ".join(routers))
    elif name == "link":
        if len(args) != 3 or args[2] not in ("up", "down"):
            raise ShellError(N_("usage: {usage}"), usage=usage)
        node, interface = args[0], args[1]
        if not topology.has_node(node):
            raise ShellError(N_("link: no node {node} (nodes: {nodes})"), node=node,
                             nodes=", ".join(n.name for n in topology.nodes))
        names = [i.name for i in topology.node(node).interfaces]
        if interface not in names:
            raise ShellError(N_("link: {node} has no interface {interface} (it has {names})"),
                             node=node, interface=interface, names=", ".join(names))
    elif name == "measure":
        if len(args) > 1 or args and args[0] not in ("start", "stop"):
            raise ShellError(N_("usage: {usage}"), usage=usage)
    elif name == "kill":
        if len(args) != 1 or not args[0].lstrip("%").isdigit():
            raise ShellError(N_("usage: {usage}"), usage=usage)
        args = [args[0].lstrip("%")]
    elif args:
        raise ShellError(N_("{name} takes no argument"), name=name)
    return LabCommand(name, tuple(args))
