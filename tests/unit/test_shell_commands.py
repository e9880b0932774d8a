"""`vrrplab shell`'s lines parsed and mapped, and its output formats: no root, no lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vrrplab import i18n
from vrrplab.loader import load_topology
from vrrplab.shell import service
from vrrplab.shell.commands import ShellError, parse
from vrrplab.shell.commands import JournalCommand as Journal
from vrrplab.shell.commands import LabCommand as Lab
from vrrplab.shell.commands import NodeCommand as Node
from vrrplab.shell.commands import ServiceCommand as Service
from vrrplab.shell.launch import find_lab, load_lab

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def textbook():
    return load_topology(ROOT / "topologies/textbook.yaml")


@pytest.mark.parametrize("line, command", [
    ("r1 ip addr show eth0", Node("r1", "ip addr show eth0")),
    ("c1 ping -c 3 192.168.1.1", Node("c1", "ping -c 3 192.168.1.1")),
    ("c1 ping 192.168.1.1 &", Node("c1", "ping 192.168.1.1", background=True)),
    ("c1 arp -a | grep 192.168.1.1", Node("c1", "arp -a | grep 192.168.1.1")),
    ("c1 ip neigh && c1 true", Node("c1", "ip neigh && c1 true")),
    ("r2 tcpdump -i eth0 vrrp -c 5", Node("r2", "tcpdump -i eth0 vrrp -c 5")),
    ("r1 sudo ip addr show eth0", Node("r1", "ip addr show eth0")),
    ("r1 systemctl stop keepalived", Service("r1", "stop")),
    ("r1 sudo systemctl start keepalived", Service("r1", "start")),
    ("r1 systemctl restart keepalived.service", Service("r1", "restart")),
    ("r1 systemctl --no-pager status keepalived", Service("r1", "status")),
    ("r2 service keepalived stop", Service("r2", "stop")),
    ("r1 journalctl -u keepalived", Journal("r1")),
    ("r2 journalctl -u keepalived -n 20", Journal("r2", lines=20)),
    ("r2 sudo journalctl -u keepalived -f", Journal("r2", follow=True, lines=10)),
    ("r1 journalctl --unit=keepalived --lines=3 --no-pager", Journal("r1", lines=3)),
    ("state", Lab("state")),
    ("status", Lab("state")),
    ("crash r1", Lab("crash", ("r1",))),
    ("link r1 eth0 down", Lab("link", ("r1", "eth0", "down"))),
    ("link c1 eth0 up", Lab("link", ("c1", "eth0", "up"))),
    ("freeze r2", Lab("freeze", ("r2",))),
    ("thaw r2", Lab("thaw", ("r2",))),
    ("measure", Lab("measure")),
    ("measure stop", Lab("measure", ("stop",))),
    ("kill %2", Lab("kill", ("2",))),
    ("quit", Lab("exit")),
    ("EOF", Lab("exit")),
])
def test_the_lessons_lines_and_vrrplabs_own(textbook, line, command):
    assert parse(line, textbook) == command


@pytest.mark.parametrize("line", ["", "   ", "# a comment"])
def test_nothing_to_do(textbook, line):
    assert parse(line, textbook) is None


@pytest.mark.parametrize("line, says", [
    ("r9 ip addr", "r9: neither a node nor a command (nodes: r1, r2, c1, inet; type help)"),
    ("r1", "r1: which command?"),
    ("r1 &", "r1: which command?"),
    ("c1 systemctl stop keepalived", "c1 runs no VRRP daemon"),
    ("r1 systemctl stop nginx", "no service nginx here"),
    ("r1 systemctl reload keepalived", "expected ACTION keepalived"),
    ("r1 systemctl stop keepalived &", "takes no pipe, redirection or &"),
    ("r1 journalctl -u keepalived | grep MASTER", "takes no pipe, redirection or &"),
    ("r1 journalctl -u ssh", "expected -u keepalived"),
    ("r1 journalctl -u keepalived -n many", "expected a number of lines, got many"),
    ("r1 journalctl -u keepalived --since today", "--since is not understood"),
    ("r1 nano /etc/keepalived/keepalived.conf", "nano needs a terminal of its own"),
    ("r1 bash", "bash needs a terminal of its own"),
    ("c1 ping 'unbalanced", "cannot read the command"),
    ("crash c1", "crash: c1 is not a router (routers: r1, r2)"),
    ("crash", "usage: crash ROUTER"),
    ("link r1 eth0", "usage: link NODE IF up|down"),
    ("link r1 eth7 down", "link: r1 has no interface eth7 (it has eth0, eth1)"),
    ("link r7 eth0 down", "link: no node r7"),
    ("measure now", "usage: measure [start|stop]"),
    ("kill 1x", "usage: kill %N"),
    ("state r1", "state takes no argument"),
])
def test_a_line_it_cannot_run_is_one_line_of_error(textbook, line, says):
    with pytest.raises(ShellError) as caught:
        parse(line, textbook)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_errors_in_french(textbook):
    with i18n.using("fr"), pytest.raises(ShellError) as caught:
        parse("c1 systemctl stop keepalived", textbook)
    assert "c1" in caught.value.localized() and "VRRP" in caught.value.localized()


def test_bash_with_a_command_is_a_command(textbook):
    assert parse("r1 sh -c 'ip -br addr'", textbook) == Node("r1", "sh -c 'ip -br addr'")


def test_a_scenario_or_a_bare_topology(tmp_path):
    scenario = load_lab(find_lab("failover-basic"))
    assert scenario.topology.name == "textbook" and scenario.probe.source == "c1"
    bare = load_lab(find_lab("textbook"))
    assert bare.steps == () and [str(t) for t in bare.probe.targets] == ["192.168.1.1",
                                                                         "203.0.113.100"]
    with pytest.raises(Exception, match="no such scenario or topology"):
        find_lab("no-such-lab")


class FakeSpeaker:
    """What service.py reads of a speaker: its kind, process, state and log."""

    def __init__(self, kind: str, log: str, running: bool = True):
        self.kind, self.log, self.running = kind, log, running
        self.proc = type("Proc", (), {"pid": 83})()
        self.conf_path = Path(f"/reports/r1.{kind}.conf")

    def command(self):
        return ["/usr/sbin/keepalived"] if self.kind == "keepalived" else ["/usr/bin/python3"]

    def state(self, instance=None):
        return "MASTER" if self.running else "STOPPED"

    def read_log(self, start=0, end=None):
        return self.log.encode()[start:end].decode()


KEEPALIVED_LOG = ("Fri Dec  4 22:35:11 2026: Starting Keepalived v2.2.7 (01/16,2022)\n"
                  "Fri Dec  4 22:35:15 2026: (VI_LAN) Entering MASTER STATE\n"
                  "Fri Dec  4 22:35:15 2026: (VI_LAN) setting VI")  # still being written


def test_journal_shows_keepalived_lines_as_written_and_follows_from_the_last_whole_one():
    speaker = FakeSpeaker("keepalived", KEEPALIVED_LOG)
    lines, offset = service.journal(speaker)
    assert lines == KEEPALIVED_LOG.splitlines()[:2]
    speaker.log += "Ps.\n"
    more, _ = service.journal(speaker, offset)
    assert more == ["Fri Dec  4 22:35:15 2026: (VI_LAN) setting VIPs."]


def test_journal_shows_the_bundled_speakers_json_in_keepalived_layout():
    events = [{"t": 1764887715.5, "event": "state", "instance": "VI_LAN", "old": "BACKUP",
               "new": "MASTER", "msg": "(VI_LAN) Entering MASTER STATE"},
              {"t": 1764887716.0, "event": "stop", "reason": "SIGTERM", "counters": {}}]
    speaker = FakeSpeaker("bundled", "".join(json.dumps(e) + "\n" for e in events))
    lines, _ = service.journal(speaker)
    assert lines[0].endswith(": (VI_LAN) Entering MASTER STATE")
    assert lines[1].endswith(": stop reason=SIGTERM")


def test_systemctl_status_as_systemd_lays_it_out():
    running = service.status("r1", FakeSpeaker("keepalived", KEEPALIVED_LOG), 1764887711.0,
                             False, ["VI_LAN", "VI_UP"])
    assert running[0].startswith("● keepalived.service - ")
    assert "Active: active (running) since" in running[2]
    assert "Main PID: 83 (keepalived)" in running[3]
    assert "VI_LAN MASTER, VI_UP MASTER" in running[4]
    assert running[-1].endswith("(VI_LAN) Entering MASTER STATE")
    stopped = service.status("r1", FakeSpeaker("keepalived", "", running=False), None, False,
                             ["VI_LAN"])
    assert "Active: inactive (dead)" in stopped[2] and not any("PID" in s for s in stopped)
    bundled = FakeSpeaker("bundled", "")
    assert "bundled" in service.status("r1", bundled, None, True, ["VI_LAN"])[0]
    assert "keepalived" in service.which_daemon("r1", bundled)
    assert service.which_daemon("r1", FakeSpeaker("keepalived", "")) is None
