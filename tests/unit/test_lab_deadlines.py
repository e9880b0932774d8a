"""Starting and stopping a lab has deadlines: Mininet's own waits on a node's shell included.

No root, no namespaces, no `ip`: each Mininet node here runs Mininet's real code (its
`startShell`, `sendCmd`, `monitor`, `read`, `terminate`) over a real pty, but the process
on the other end is FAKE_SHELL, a few lines of Python that answer like Mininet's bash
(the prompt is chr(127)) and hang, or turn deaf, where a test wants them to. Each test
has a deadline of a fraction of a second, passed as a parameter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mininet")

from mininet.link import Intf, Link  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.node import Node  # noqa: E402

from vrrplab.errors import LabError  # noqa: E402
from vrrplab.lab import network  # noqa: E402
from vrrplab.lab.network import Lab, LabHost, RouterHost, StepDeadline  # noqa: E402
from vrrplab.loader import load_topology  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY_S = 0.3  # a deadline in these tests
LAB_S = 2.0  # a whole lab's start or stop: six fake shells get there even on a busy machine
# what any of them may take, deadline and clean-up included: not a speed target (the machine
# is noisy), a proof that the wait ends, where the stuck shell would hold it for an hour
QUICK_S = 10.0

# argv: HANG (a command starting with it never ends; "" for none), then flags:
# "mute" never prompts, "deaf" ignores SIGHUP, "stubborn" ignores Ctrl-C too
FAKE_SHELL = r"""
import os, signal, sys, termios, time
hang, flags = sys.argv[1], sys.argv[2:]
attrs = termios.tcgetattr(0)
attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG)  # Ctrl-C arrives as \x03
termios.tcsetattr(0, termios.TCSANOW, attrs)
if "deaf" in flags:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
if "mute" in flags:
    time.sleep(3600)
os.write(1, b"\x7f")
pending = b""
while True:
    try:
        data = os.read(0, 1024)
    except OSError:  # EIO: Mininet closed the pty
        data = b""
    if not data:
        if "deaf" in flags:  # outlives its pty too: only SIGKILL ends it
            time.sleep(3600)
        break
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        if hang and line.startswith(hang.encode()):
            if "stubborn" in flags:
                time.sleep(3600)
            while b"\x03" not in os.read(0, 1024):
                pass
            os.write(1, b"^C\r\n\x7f")
            continue
        answer = b"rc=0\r\n" if b"rc=$?" in line else b""
        os.write(1, answer + b"\x7f")
"""


SPAWNED: list[subprocess.Popen] = []  # every fake shell, killed after each test whatever happened


class FakeNode(LabHost):
    """The lab's node class, Mininet's code and all, with FAKE_SHELL behind its pty."""

    hang = ""
    flags: tuple[str, ...] = ()

    def _popen(self, cmd, **params):
        SPAWNED.append(subprocess.Popen([sys.executable, "-c", FAKE_SHELL, self.hang, *self.flags],
                                        start_new_session=True, **params))  # as `mnexec -d`
        return SPAWNED[-1]

    def start(self, _controllers):  # a bridge's start: here a command in its shell
        self.cmd(f"bridge {self.name} up")

    stand_in = "cat >/dev/null"  # what a process started in the node (Lab.popen) runs instead

    # a router's: its mount commands go to the fake shell like any other
    protect_host_files = RouterHost.protect_host_files

    def popen(self, *_args, **kwargs):
        SPAWNED.append(subprocess.Popen(["sh", "-c", self.stand_in], **kwargs))
        return SPAWNED[-1]


def fake(hang: str = "", *flags: str) -> type[FakeNode]:
    return type("Fake", (FakeNode,), {"hang": hang, "flags": flags})


@pytest.fixture(autouse=True)
def no_real_shell_or_ip(monkeypatch):
    """Whatever goes wrong in a test, no real shell or `ip` ever runs (we may be root)."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("a real Mininet shell or `ip` would run here")
    monkeypatch.setattr(Node, "_popen", refuse)
    monkeypatch.setattr(network, "_ip", refuse)
    monkeypatch.setattr(network, "INTERRUPT_GRACE_S", 0.05)
    monkeypatch.setattr(network, "SHELL_EXIT_S", 0.2)
    yield
    while SPAWNED:
        proc = SPAWNED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def node(cls: type[FakeNode] = FakeNode, name: str = "r1", step: StepDeadline | None = None):
    return cls(name, inNamespace=False, deadline=step or StepDeadline())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def timed(call):
    """(what `call` raised or returned, the seconds it took)."""
    start = time.monotonic()
    try:
        result = call()
    except LabError as exc:
        result = exc
    return result, time.monotonic() - start


# -- one node ----------------------------------------------------------------


def test_a_node_answers_and_stops():
    host = node()
    assert host.cmd("ip addr add 192.0.2.1/24 dev eth0 2>&1; echo rc=$?").strip() == "rc=0"
    pid = host.pid
    host.terminate()
    assert host.shell is None and gone(pid)


def test_a_stuck_command_gets_a_clear_error_within_its_timeout():
    host = node(fake("sleep"))
    error, took = timed(lambda: host.cmd("sleep 60", timeout=TINY_S))
    assert isinstance(error, LabError), error
    assert str(error) == f"r1: 'sleep 60' did not finish in {TINY_S:g} s"
    assert TINY_S <= took < QUICK_S
    assert host.cmd("echo rc=$?").strip() == "rc=0"  # Ctrl-C gave the shell back
    host.terminate()


def test_mininet_s_own_command_is_held_to_the_step_s_deadline():
    """Mininet calls `node.cmd('ip link del eth0')` itself, with no timeout of its own."""
    step = StepDeadline()
    host = node(fake("ip link del", "stubborn"), step=step)
    with pytest.raises(LabError) as caught, step.step("stopping the lab", TINY_S):
        start = time.monotonic()
        host.cmd("ip link del eth0")
    assert time.monotonic() - start < QUICK_S
    assert str(caught.value).startswith(f"stopping the lab (deadline {TINY_S:g} s): r1: "
                                        "'ip link del eth0' did not finish in 0.")
    assert step.left() == float("inf")  # the step is over
    host.terminate()
    assert gone(host.pid)


def test_no_command_begins_once_the_step_s_deadline_has_passed():
    step = StepDeadline()
    host = node(step=step)
    with pytest.raises(LabError, match="r1: 'ip link set dev eth0 up' not begun: no time left"):
        with step.step("starting the lab", 0.0):
            host.cmd("ip link set dev eth0 up")
    host.terminate()


def test_a_shell_that_never_prompts_is_refused_and_killed():
    step = StepDeadline()
    def start():
        with step.step("starting the lab", TINY_S):
            node(fake("", "mute"), "c1", step)

    error, took = timed(start)
    assert isinstance(error, LabError), error
    assert str(error) == (f"starting the lab (deadline {TINY_S:g} s): "
                          f"c1: starting its shell did not finish in {TINY_S:g} s")
    assert took < QUICK_S
    assert SPAWNED[0].poll() is not None  # killed and reaped


def test_a_shell_deaf_to_sighup_is_killed_at_stop():
    host = node(fake("", "deaf"))
    pid = host.pid
    _, took = timed(host.terminate)
    assert gone(pid) and host.shell is None
    assert took < QUICK_S


# -- the lab: Mininet's own start and stop, over fake nodes -------------------


class FakeMininet(Mininet):
    """Mininet's own code (addLink, start, stop) over fake nodes: hosts and bridges alike
    are `node_class`, whatever class the lab asks for."""

    node_class: type[FakeNode] = FakeNode
    hang_on = ""  # the node whose shell hangs on `hang` (the others answer)

    def __init__(self, **_params):  # no Mininet.init: it wants root and sets sysctls
        self.hosts, self.switches, self.controllers, self.links, self.terms = [], [], [], [], []
        self.nameToNode, self.built, self.waitConn = {}, False, False
        self.topo, self.autoStaticArp, self.xterms, self.inNamespace = None, False, False, False
        self.link, self.intf = Link, Intf

    def _node(self, name, params, into):
        cls = self.node_class if name == self.hang_on else FakeNode
        made = cls(name, inNamespace=False, deadline=params["deadline"])
        into.append(made)
        self.nameToNode[name] = made
        return made

    def addHost(self, name, cls=None, **params):  # noqa: N802
        return self._node(name, params, self.hosts)

    def addSwitch(self, name, cls=None, **params):  # noqa: N802
        return self._node(name, params, self.switches)


def lab(monkeypatch, hang_on: str = "", hang: str = "", *flags: str) -> Lab:
    monkeypatch.setattr(network, "Mininet", type("Net", (FakeMininet,), {
        "node_class": fake(hang, *flags), "hang_on": hang_on}))
    return Lab(load_topology(ROOT / "topologies/textbook.yaml"), log=lambda _line: None)


def shells(built: Lab | Mininet):
    net = built if isinstance(built, Mininet) else built.net
    return [n.shell for n in net.hosts + net.switches]


def test_a_lab_starts_and_stops(monkeypatch):
    built = lab(monkeypatch)
    built.start(deadline_s=5.0)
    net = built.net
    assert [h.name for h in net.hosts] == ["r1", "r2", "c1", "inet"]
    assert len(net.links) == 6
    processes = shells(net)
    built.stop(deadline_s=5.0)
    assert built.net is None
    assert all(p.poll() is not None for p in processes)


def test_a_start_stuck_in_mininet_s_link_creation_names_the_step_and_the_node(monkeypatch):
    # the bridge's shell makes each veth pair (a router's, in its own PID namespace,
    # could not name the bridge's PID)
    built = lab(monkeypatch, "s1", "ip link add", "stubborn")
    error, took = timed(lambda: built.start(deadline_s=LAB_S))
    assert isinstance(error, LabError), error
    assert str(error).startswith(f"starting the lab of 6 nodes and 6 links (deadline "
                                 f"{LAB_S:g} s): s1: 'ip link add name s1-eth")
    assert took < QUICK_S
    processes = shells(built)
    built.stop(deadline_s=5.0)  # what was built is left for stop, as the runner does
    assert all(p.poll() is not None for p in processes)


def test_a_stop_past_its_deadline_kills_the_lab_s_shells(monkeypatch):
    built = lab(monkeypatch, "c1", "ip link del", "stubborn")
    built.start(deadline_s=5.0)
    processes = shells(built)
    error, took = timed(lambda: built.stop(deadline_s=LAB_S))
    assert isinstance(error, LabError), error
    message = str(error)
    assert message.startswith(f"stopping the lab of 6 nodes and 6 links (deadline {LAB_S:g} s): "
                              "c1: 'ip link del eth0' did not finish in ")
    assert "; killed the shells of r1, r2, c1, inet, s1, s2;" in message
    assert took < QUICK_S
    assert all(p.poll() is not None for p in processes)
    assert built.net is None
    built.stop()  # a second stop has nothing to do


def test_a_deaf_shell_at_stop_is_killed_within_the_deadline(monkeypatch):
    built = lab(monkeypatch, "inet", "", "deaf")
    built.start(deadline_s=5.0)
    processes = shells(built)
    _, took = timed(lambda: built.stop(deadline_s=LAB_S))
    assert took < QUICK_S
    assert all(p.poll() is not None for p in processes)


def test_the_deadlines_grow_with_the_lab():
    small = load_topology(ROOT / "topologies/textbook.yaml")
    large = load_topology(ROOT / "topologies/three-routers.yaml")
    assert network.lab_size(small) == (6, 6)
    assert network.start_deadline(small) == 52.0 and network.stop_deadline(small) == 28.0
    assert network.start_deadline(large) > network.start_deadline(small)
    assert network.stop_deadline(large) > network.stop_deadline(small)


# -- a process in a node: nft -------------------------------------------------


@pytest.mark.parametrize("stand_in, error", [
    ("cat >/dev/null", None),
    ("cat >/dev/null; echo 'Error: No such file or directory'; exit 1",
     "r1: nft refused: Error: No such file or directory"),
    ("exec sleep 3600", f"r1: nft -f - did not finish in {TINY_S:g} s"),
])
def test_nft_has_a_deadline_and_a_clear_error(monkeypatch, stand_in, error):
    built = lab(monkeypatch)
    built.start(deadline_s=5.0)
    built.host("r1").stand_in = stand_in
    monkeypatch.setattr(network, "CMD_TIMEOUT_S", TINY_S)
    result, took = timed(lambda: built.nft("r1", "add table inet vrrplab\n"))
    assert (str(result) if error else result) == error
    assert took < QUICK_S
    assert SPAWNED[-1].poll() is not None  # killed, if it had to be
    built.stop(deadline_s=5.0)
