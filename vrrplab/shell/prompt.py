"""The prompt of `vrrplab shell`: read a line, run it, say what went wrong in one line.

Built on the standard library's `cmd` with readline: line editing, history and Tab
completion of nodes and commands, with no new dependency and nothing to draw but a
prompt. Its one weakness, a background job printing while a line is being typed, is
handled by `jobs.Terminal`, which writes the job's line above the prompt and draws the
prompt again. Parsing is `commands.parse` (pure); doing is `session.Session`.

Ctrl-C at the prompt prints a hint; a second one in a row, Ctrl-D or `exit` leaves.
Ctrl-C while a command runs stops that command only (a node's command, `watch`,
`journalctl -f`); the lab stays as it is.
"""

from __future__ import annotations

import cmd
import shlex
import shutil
import traceback

from rich.console import Console
from rich.markup import escape

from vrrplab.errors import VrrplabError
from vrrplab.i18n import N_, _, localized
from vrrplab.run.runner import Interrupted
from vrrplab.shell import service
from vrrplab.shell.commands import (
    LAB_COMMANDS,
    JournalCommand,
    LabCommand,
    NodeCommand,
    ServiceCommand,
    ShellError,
    parse,
)
from vrrplab.shell.jobs import Terminal
from vrrplab.shell.session import Session
from vrrplab.shell.watch import watch
from vrrplab.view.status import read_status, routers_table

PROMPT = "vrrplab> "
# sh's own words: no program to look up on PATH
SHELL_WORDS = frozenset({"cd", "echo", "export", "for", "if", "while", "test", "[", "true",
                         "false", "set", "read", "printf", "type", "command", "kill", "pwd",
                         "wait", "eval", "exec", ".", "ulimit", "umask", "case", "until"})
NODE_WORDS = ("ip", "ping", "arp", "tcpdump", "systemctl", "journalctl", "keepalived",
              "status", "stop", "start", "restart", "-u", "-f", "-n", "addr", "neigh",
              "route", "show", "link")


class Prompt(cmd.Cmd):
    prompt = PROMPT

    def __init__(self, session: Session, terminal: Terminal, console: Console):
        super().__init__()
        self.session = session
        self.topology = session.topology
        self.terminal = terminal
        self.console = console
        self.interrupts = 0  # Ctrl-C at the prompt, in a row
        self.handlers = {NodeCommand: self._node, ServiceCommand: self._service,
                         JournalCommand: self._journal, LabCommand: self._lab}

    # -- the loop ----------------------------------------------------------------

    def loop(self) -> None:
        """Read and run lines until `exit`, Ctrl-D, or a second Ctrl-C in a row."""
        self.say(_("type help for the commands; exit (or Ctrl-D) takes the lab down"))
        while True:
            try:
                self.terminal.prompt = self.prompt
                self.cmdloop()
                return
            except KeyboardInterrupt:
                self.terminal.prompt = None
                self.interrupts += 1
                if self.interrupts >= 2:
                    self.say("")
                    return
                self.say("\n" + _("(Ctrl-C again, Ctrl-D or exit: take the lab down and "
                                  "leave)"))

    def precmd(self, line: str) -> str:
        self.terminal.prompt = None
        self.interrupts = 0
        return line

    def postcmd(self, stop: bool, line: str) -> bool:
        self.terminal.prompt = None if stop else self.prompt
        return stop

    def emptyline(self) -> bool:
        return False  # cmd's default runs the last command again

    def onecmd(self, line: str) -> bool:
        """Run one line; True to leave. Never a traceback: one line, and the prompt again."""
        try:
            command = parse(line, self.topology)
            if command is None:
                return False
            return bool(self.handlers[type(command)](command))
        except VrrplabError as exc:
            self.error(exc.localized())
        except KeyboardInterrupt:
            self.say("")  # the command stopped there; the lab stays as it is
        except (Interrupted, SystemExit):
            raise
        except Exception as exc:  # a bug of ours: one line here, the traceback in a file
            log = self.session.out / "shell-errors.log"
            with open(log, "a") as out:
                out.write(f"{line}\n{traceback.format_exc()}\n")
            self.error(_("{error} (details in {log})").format(error=localized(exc), log=log))
        return False

    # -- what each command does ---------------------------------------------------

    def _node(self, command: NodeCommand) -> None:
        words = shlex.split(command.text)
        program = words[0]
        if "=" not in program and program not in SHELL_WORDS and shutil.which(program) is None:
            raise ShellError(N_("{node}: {program}: command not found"), node=command.node,
                             program=program)
        if command.background:
            job = self.session.jobs.background(command.node, command.text)
            self.say(f"[{job.number}] {job.proc.pid}")
        else:
            self.session.jobs.foreground(command.node, command.text)

    def _service(self, command: ServiceCommand) -> None:
        router, action = command.router, command.action
        speaker = self.session.speakers[router]
        note = service.which_daemon(router, speaker)
        if note and action not in ("is-active",):
            self.say(note, style="dim")
        if action == "status":
            instances = [i.name for i in self.topology.vrrp.instances]
            for line in service.status(router, speaker, self.session.started.get(router),
                                       router in self.session.frozen, instances):
                self.say(line)
        elif action == "is-active":
            self.say(service.is_active(speaker))
        elif action in ("enable", "disable"):
            self.say(_("{router}: vrrplab starts the VRRP daemon with the lab; nothing to "
                       "{action}").format(router=router, action=action))
        else:
            self.session.service(router, action)
            done = {"stop": N_("{router}: {daemon} stopped"),
                    "start": N_("{router}: {daemon} started"),
                    "restart": N_("{router}: {daemon} restarted")}[action]
            self.say(_(done).format(router=router, daemon=speaker.kind), style="dim")

    def _journal(self, command: JournalCommand) -> None:
        speaker = self.session.speakers[command.router]
        lines, offset = service.journal(speaker)
        if command.lines is not None:
            lines = lines[-command.lines:] if command.lines else []
        for line in lines:
            self.say(line)
        if command.follow:
            service.follow(speaker, offset, self.say)  # until Ctrl-C

    def _lab(self, command: LabCommand) -> bool:
        name, args = command.name, command.args
        session = self.session
        if name == "exit":
            return True
        if name == "help":
            self.help()
        elif name == "state":
            table = routers_table(read_status(self.topology, session.speakers))
            with self.terminal.lock:  # a background job's line waits for the whole table
                self.console.print(table)
        elif name == "watch":
            probe_logs = session.probers.logs() if session.measuring else []
            watch(self.topology, session.speakers, probe_logs, self.console)
        elif name == "crash":
            session.crash(args[0])
            links = ", ".join(i.name for i in self.topology.node(args[0]).interfaces)
            self.say(_("{router} crashed: its VRRP daemon killed (SIGKILL), its links down "
                       "({links}); to bring it back: link {router} IF up, then {router} "
                       "systemctl start keepalived").format(router=args[0], links=links))
        elif name == "link":
            session.link(args[0], args[1], args[2] == "up")
            self.say((_("{node}: {interface} is up") if args[2] == "up"
                      else _("{node}: {interface} is down")).format(node=args[0],
                                                                     interface=args[1]))
        elif name == "freeze":
            session.freeze(args[0])
            self.say(_("{router}: VRRP daemon frozen (SIGSTOP): no more adverts; thaw "
                       "{router} lets it run").format(router=args[0]))
        elif name == "thaw":
            if args[0] not in session.frozen:
                raise ShellError(N_("{router}: its VRRP daemon is not frozen"), router=args[0])
            session.thaw(args[0])
            self.say(_("{router}: VRRP daemon running again (SIGCONT)").format(router=args[0]))
        elif name == "measure":
            self._measure(args[0] if args else ("stop" if session.measuring else "start"))
        elif name == "jobs":
            for job in session.jobs.running():
                self.say(f"[{job.number}] {_('running')}  {job.describe()}")
        elif name == "kill":
            if session.jobs.stop(int(args[0])) is None:
                raise ShellError(N_("kill: no job %{number}"), number=args[0])
        return False

    def _measure(self, action: str) -> None:
        session = self.session
        if action == "start":
            if session.measuring:
                raise ShellError(N_("measure: already measuring (measure stop shows the "
                                    "result)"))
            session.start_probes()
            probe = session.scenario.probe
            self.say(_("measuring: {client} probes {targets} every {interval} ms; measure "
                       "again stops and shows what was lost").format(
                client=probe.source, targets=", ".join(map(str, probe.targets)),
                interval=f"{probe.interval * 1000:g}"))
        else:
            if not session.measuring:
                raise ShellError(N_("measure: not measuring (measure starts it)"))
            for line in session.stop_probes():
                self.say(line)

    # -- help ----------------------------------------------------------------

    def help(self) -> None:
        routers = [r.name for r in self.topology.routers]
        first, second = routers[0], routers[-1]
        client = (self.topology.clients or self.topology.nodes)[0].name
        vip = self.topology.lan_instance().ping_address()
        lan = self.topology.lan_instance().interface
        examples = [
            (f"{first} ip addr show {lan}", _("the addresses: the master holds the VIP")),
            (f"{client} ping -c 3 {vip}", _("three pings to the gateway (the VIP)")),
            (f"{client} ping {vip} &", _("in the background: its replies go on while you type "
                                         "(kill %1 stops it)")),
            (f"{client} arp -a", _("the client's ARP table: which MAC answers for the VIP")),
            (f"{second} tcpdump -i {lan} vrrp -c 5", _("five VRRP adverts on the wire")),
            (f"{first} systemctl stop|start|restart|status keepalived",
             _("the router's VRRP daemon, as in the lesson")),
            (f"{first} journalctl -u keepalived [-f] [-n 20]", _("the daemon's log")),
        ]
        self.say(_("On a node: NODE COMMAND (nodes: {nodes}); Ctrl-C stops a command").format(
            nodes=", ".join(n.name for n in self.topology.nodes)), style="bold")
        width = max(len(e) for e, _w in examples) + 2
        for example, what in examples:
            self.say(f"  {example:<{width}}{what}")
        self.say(_("vrrplab's commands:"), style="bold")
        rows = [(f"{name} {usage}".strip(), _(what)) for name, (usage, what)
                in LAB_COMMANDS.items()]
        width = max(len(r) for r, _w in rows) + 2
        for row, what in rows:
            self.say(f"  {row:<{width}}{what}")

    # -- completion (Tab) ----------------------------------------------------------

    def completenames(self, text: str, *ignored) -> list[str]:
        names = [n.name for n in self.topology.nodes] + list(LAB_COMMANDS)
        return [n + " " for n in names if n.startswith(text)]

    def completedefault(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        first = line.split()[0] if line.split() else ""
        if first in ("crash", "freeze", "thaw"):
            names = [r.name for r in self.topology.routers]
        elif first == "link":
            names = [n.name for n in self.topology.nodes] + ["eth0", "eth1", "up", "down"]
        else:
            names = list(NODE_WORDS)
        return [n + " " for n in names if n.startswith(text)]

    # -- output ------------------------------------------------------------------

    def say(self, text: str, style: str | None = None) -> None:
        with self.terminal.lock:
            self.console.print(escape(text), style=style, highlight=False, soft_wrap=True)

    def error(self, text: str) -> None:
        self.say(text, style="red")
