"""Turn a `Topology` into a running Mininet lab. The only module that imports Mininet.

One Linux bridge per segment (no Open vSwitch, no controller), one Mininet host
per node, interfaces named as in the topology (`eth0` inside a router, as in the
textbook). Addresses, routes and forwarding are set with `ip`/`sysctl` inside each
node's namespace. Everything here assumes it already runs inside vrrplab's
private namespace (see `sandbox`), so bridge names cannot collide with the host.
"""

from __future__ import annotations

import math
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host, Switch

from vrrplab.errors import LabError
from vrrplab.lab.process import wait_for_exit
from vrrplab.linux import LAB_NODE_ENV, in_pid_namespace_of, let_ctrl_c_reach_children
from vrrplab.loader.model import Topology

CMD_TIMEOUT_S = 10.0  # every shell command in a node: ip, sysctl, cat (milliseconds, normally)
INTERRUPT_GRACE_S = 2.0  # after Ctrl-C, how long a stuck command gets to give the shell back
INTERRUPT_POLL_S = 0.05  # at_once: how often it wakes to let a signal's handler run
CANCEL_LOOK_S = 0.05  # a command's wait for its shell looks this often for a cancelled step
SHELL_EXIT_S = 2.0  # after SIGHUP (then again after SIGKILL), how long a node's shell has to exit

# Starting and stopping the lab each have one deadline, sized by the lab: a base plus an
# allowance per Mininet node (each router and host, and each segment's bridge: each has its
# own shell) and per link (a veth pair: one node interface, one bridge port). The base is
# one command's own deadline, so a small lab never cuts a single command shorter than
# CMD_TIMEOUT_S. Normally a node's shell starts in ~20 ms and takes ~15 commands of a few
# ms (Mininet's own and `_configure`'s); a link is one `ip link add`, eight `ifconfig`
# (each end's MAC, then up) and one `ip link set master`: ~50 ms. Stopping is two
# `ip link del` per link and a SIGHUP per shell. The allowances are 50-100 times those
# figures, for a machine busy with parallel bench runs; the textbook lab (6 nodes, 6
# links) gets 52 s to start and 28 s to stop.
START_BASE_S = CMD_TIMEOUT_S
START_PER_NODE_S = 5.0
START_PER_LINK_S = 2.0
STOP_BASE_S = CMD_TIMEOUT_S
STOP_PER_NODE_S = 2.0  # a SIGHUP and the shell's exit; SHELL_EXIT_S more if it needs SIGKILL
STOP_PER_LINK_S = 1.0


def lab_size(topology: Topology) -> tuple[int, int]:
    """Mininet nodes (each node and each segment's bridge) and links (one per interface)."""
    return (len(topology.nodes) + len(topology.segments),
            sum(len(node.interfaces) for node in topology.nodes))


def start_deadline(topology: Topology) -> float:
    nodes, links = lab_size(topology)
    return START_BASE_S + START_PER_NODE_S * nodes + START_PER_LINK_S * links


def stop_deadline(topology: Topology) -> float:
    nodes, links = lab_size(topology)
    return STOP_BASE_S + STOP_PER_NODE_S * nodes + STOP_PER_LINK_S * links


LINKS_MARK = "--links--"  # addresses(): where `ip -o link`'s lines begin


def held_addresses(addr_lines: str, link_lines: str) -> list[str]:
    """The addresses of `ip -o addr show up` whose interface `ip -o link show` does not say
    is operationally down (state DOWN: no carrier, protodown; LOWERLAYERDOWN: its parent
    link is down). Pure: Lab.addresses runs the commands."""
    down = {line.split(":")[1].strip().split("@")[0] for line in link_lines.splitlines()
            if re.search(r" state (DOWN|LOWERLAYERDOWN)\b", line)}
    return [line.split()[3].split("/")[0] for line in addr_lines.splitlines()
            if line.split()[2:3] in (["inet"], ["inet6"]) and line.split()[1] not in down]


class StepDeadline:
    """The deadline of the lab's current lifecycle step (starting or stopping it), if any.

    A lab has one, handed to each of its Mininet nodes as the node parameter `deadline`:
    the commands Mininet sends itself, deep in its own code, are held to it as well as to
    their own CMD_TIMEOUT_S. Outside a step there is none (`left()` is infinite).
    """

    def __init__(self) -> None:
        self.end = math.inf

    def left(self) -> float:
        return self.end - time.monotonic()

    @property
    def cancelled(self) -> bool:
        return self.end == -math.inf

    def cancel(self) -> None:
        """No time left in this step: a command not begun refuses to begin, one running
        ends as at its deadline (Ctrl-C, the shell drained)."""
        self.end = -math.inf

    @contextmanager
    def step(self, what: str, seconds: float) -> Iterator[None]:
        """Within the block, every wait of the lab's nodes ends by `seconds` from now; a
        LabError raised in it is said again with the step's name and deadline first."""
        self.end = time.monotonic() + seconds
        try:
            yield
        except LabError as exc:
            raise LabError(f"{what} (deadline {seconds:.3g} s): {exc}") from exc
        finally:
            self.end = math.inf


def _kill_group(pid: int) -> None:
    """SIGKILL a node shell's process group: `mnexec -d` made the shell a session leader,
    so the group is the shell and the command it runs (job control is off: `set +m`)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class BoundedShell:
    """Mixed into the lab's Mininet node classes: every wait on the node's shell has a deadline.

    Mininet talks to a node through a bash on a pty and waits on it with none, in three
    places: `Node.cmd` (which Mininet itself calls to make veth pairs, set MACs, bring
    interfaces up and delete them, in `net.start()`/`net.stop()` and link creation),
    `Node.read` (a new shell's first prompt, in `startShell`) and `Node.cleanup` (the
    shell's exit after `terminate`'s SIGHUP). Here `cmd` is the lab's own bounded command
    (select on the pty before each read, Ctrl-C and drain when the deadline passes), `read`
    refuses to block past the deadline of what it reads for, and `cleanup` SIGKILLs a shell
    that does not exit. Each deadline is the command's own (CMD_TIMEOUT_S unless given),
    cut to what is left of the lab's current step (`StepDeadline`, the node parameter
    `deadline`).

    Why override the node rather than guard `net.start()`/`net.stop()` from outside: a
    watchdog that kills a stuck shell does not end Mininet's blocked read, because Mininet
    keeps the pty's slave end open itself (no EOF, no EIO); running the call in a thread
    with a timeout leaves that thread blocked inside Mininet while the main thread tears
    the same nodes down, and a Ctrl-C reaches only the main thread. Overriding the three
    methods keeps everything on one thread and puts the deadline exactly where Mininet
    blocks, using the mechanism the lab's own commands already had. (`at_once` runs
    several nodes' commands on threads, one shell each: there the main thread cancels the
    step, which each command's wait looks at.)
    """

    # what the node's shell is being read for: (description, monotonic deadline, seconds)
    _reading_for: tuple[str, float, float] | None = None

    def _seconds(self, what: str, timeout: float | None) -> float:
        """`timeout` (default CMD_TIMEOUT_S) cut to the step's deadline; none left: LabError."""
        step = self.params.get("deadline")
        seconds = min(CMD_TIMEOUT_S if timeout is None else timeout,
                      step.left() if step is not None else math.inf)
        if seconds <= 0:
            raise LabError(f"{self.name}: {what} not begun: no time left")
        return seconds

    def _wait_readable(self) -> None:
        """Until the shell writes; LabError past the command's deadline, or as soon as the
        lab's step is cancelled (`StepDeadline.cancel`: a stop signal while `at_once` runs
        this on a worker thread, which the signal never reaches)."""
        what, deadline, seconds = self._reading_for
        step = self.params.get("deadline")
        while not _readable(self, min(deadline - time.monotonic(), CANCEL_LOOK_S)):
            if step is not None and step.cancelled:
                raise LabError(f"{self.name}: {what} cut short: the lab's step was stopped")
            if time.monotonic() >= deadline:
                raise LabError(f"{self.name}: {what} did not finish in {seconds:.3g} s")

    def read(self, size: int = 1024) -> str:
        """Mininet's read, which blocks until the shell writes: never past the deadline."""
        if self._reading_for is not None and not self.readbuf:
            self._wait_readable()
        return super().read(size)

    def startShell(self, mnopts=None) -> None:  # noqa: N802 (Mininet's name)
        """Mininet's, with a deadline on the shell's first prompt; a shell that misses it is
        killed (its pid is known as soon as it is spawned)."""
        seconds = self._seconds("starting its shell", None)
        self._reading_for = ("starting its shell", time.monotonic() + seconds, seconds)
        try:
            super().startShell(mnopts)
        except BaseException:
            if self.shell is not None:  # spawned, then stuck: its pid is all this needs
                _kill_group(self.shell.pid)
                _reaped(self.shell, SHELL_EXIT_S)  # the first error is the one to tell
            raise
        finally:
            self._reading_for = None

    def cmd(self, *args, timeout: float | None = None, **kwargs) -> str | None:
        """Run a shell command in the node and return its output, within `timeout`
        (default CMD_TIMEOUT_S, and never past the lab's current step's deadline).

        Mininet's `Node.cmd` waits forever; this is the same shell, with a deadline:
        a command still running then is interrupted (Ctrl-C) and LabError names it.
        """
        if not self.shell:
            return super().cmd(*args, **kwargs)  # Mininet's warning for a stopped node
        command = _command_text(args)
        seconds = self._seconds(f"'{command}'", timeout)
        self._reading_for = (f"'{command}'", time.monotonic() + seconds, seconds)
        self.sendCmd(*args, **kwargs)
        output = ""
        try:
            while self.waiting:
                self._wait_readable()
                output += self.monitor()
        except BaseException:  # the deadline, or Ctrl-C/SIGTERM landing mid-command
            self._reading_for = None
            self._interrupt()
            raise
        finally:
            self._reading_for = None
        return output

    def _interrupt(self) -> None:
        """Ctrl-C the node's shell and drain it, so its next command starts clean."""
        self.sendInt()
        deadline = time.monotonic() + INTERRUPT_GRACE_S
        while self.waiting and _readable(self, deadline - time.monotonic()):
            self.monitor()
        # give up on the rest: a shell still stuck may hand its leftovers to the next command
        self.waiting = False

    def cleanup(self) -> None:
        """Mininet's (close the pty, after `terminate`'s SIGHUP), but its wait for the
        shell's exit is bounded: past SHELL_EXIT_S, or the step's deadline, the shell is
        SIGKILLed."""
        shell = self.shell
        self.waitExited = False  # Mininet's own wait has no deadline: this one's below
        super().cleanup()
        if shell is None or shell.poll() is not None:
            return
        step = self.params.get("deadline")
        left = step.left() if step is not None else math.inf
        if _reaped(shell, max(0.0, min(SHELL_EXIT_S, left))):
            return
        _kill_group(shell.pid)
        if not _reaped(shell, SHELL_EXIT_S):
            raise LabError(f"{self.name}: its shell (pid {shell.pid}) did not exit "
                           f"{SHELL_EXIT_S:g} s after SIGKILL")


PTY_LINE_BYTES = 3000  # a pty in canonical mode cuts a line at 4095 bytes: under that


def run_lines(node, lines: list[str]) -> None:
    """Run shell lines in the node, few round trips for all (each was ~5 ms: the lab's
    build is mostly these), stopping at the first that fails; LabError names it."""
    start = 0
    while start < len(lines):
        end, size = start, 0
        while end < len(lines) and (end == start or size + len(lines[end]) + 30 < PTY_LINE_BYTES):
            size += len(lines[end]) + 30  # the "{ echo '#line N'; ...; } && " around it
            end += 1
        _run_chunk(node, lines[start:end], start)
        start = end


def _run_chunk(node, lines: list[str], first: int) -> None:
    # each line's number is echoed before it runs: the last one seen is the one that failed
    script = " && ".join(f"{{ echo '#line {first + n}'; {line}; }}"
                         for n, line in enumerate(lines))
    out = node.cmd(f"( {script} ) 2>&1; echo rc=$?").strip()
    if out.endswith("rc=0"):
        return
    marks = list(re.finditer(r"^#line (\d+)\r?$", out, re.MULTILINE))
    line = lines[int(marks[-1][1]) - first] if marks else "?"
    said = out[marks[-1].end():] if marks else out  # what the failing line said
    said = re.sub(r"rc=\d+$", "", said.strip()).strip()
    raise LabError(f"{node.name}: '{line}' failed: {said}")


def _reaped(shell: subprocess.Popen, seconds: float) -> bool:
    try:
        wait_for_exit(shell, seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


class LabHost(BoundedShell, Host):
    """A router or host of the lab: Mininet's Host, every wait on its shell bounded."""


# the router's shell is PID 1 of a PID namespace of its own, with its own /proc
# (--kill-child: when Mininet's SIGHUP ends unshare, the router's shell goes with it)
ROUTER_PID_NAMESPACE = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]


# what a router may still write: its /proc (the network's sysctls), its ptys, the run's
# private /run (pid files); everything else of the host read-only (`host_view_script`)
KEEP_WRITABLE = (Path("/proc"), Path("/dev/pts"), Path("/run"))
# private, empty, writable in each router: scratch space, and the homes hidden
# the run's folder is also here in each router (its first `writable`): a script a config
# runs may leave its own log there, kept with the run
RUN_FOLDER_IN_ROUTER = Path("/run/vrrplab-run")
KEPT_ASIDE = Path("/run/vrrplab-kept")  # the readable folders, bound aside on the way
# what the routers run from: this package's folder (an editable install's project) and the
# Python environment (a venv), wherever they are
OWN_CODE = (Path(__file__).resolve().parents[2], Path(sys.prefix).resolve())  # in the run's private /run: binds kept aside
PRIVATE_TMPFS = ((Path("/tmp"), "1777"), (Path("/var/tmp"), "1777"), (Path("/dev/shm"), "1777"),
                 (Path("/root"), "700"), (Path("/home"), "755"))


def mount_points(mountinfo: str) -> list[Path]:
    """The mount points of a /proc/PID/mountinfo text, in its order (octal escapes read)."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4:
            raw = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
            points.append(Path(raw))
    return points


def _under(path: Path, roots) -> bool:
    return any(path == root or root in path.parents for root in roots)


def host_view_script(points: list[Path], writable: tuple[Path, ...] = (),
                     readable: tuple[Path, ...] = ()) -> list[str]:
    """Shell lines that make, in a router's own mount namespace, the host's files read-only.

    A config's health check runs as root in the router (the lesson's, a student's): it must
    not change or read the host by accident (root there keeps CAP_SYS_ADMIN: a script that
    remounts on purpose is not stopped). Every mount point but KEEP_WRITABLE is remounted
    read-only (a per-mount flag: the host keeps its own rw mounts); PRIVATE_TMPFS give the
    router empty scratch space and hide /root and /home; each of `writable` (the run's
    folder, perhaps under /tmp) is bound aside first and back in place last, so it stays
    writable and visible; each of `readable` (vrrplab's own code and Python, the files a
    teacher gave: folders or single files, perhaps under /home) the same way, then
    read-only, and its stash unmounted (a rw way to the host left in /run otherwise). The
    router's namespace is private (unshare's default propagation): nothing of this reaches
    the host or the other nodes.
    """
    q = shlex.quote
    kept = tuple(writable) + tuple(readable)
    aside = [Path(f"{RUN_FOLDER_IN_ROUTER}{'-' + str(n) if n else ''}")
             for n in range(len(writable))] + [KEPT_ASIDE / str(n) for n in range(len(readable))]
    lines = []
    for path, stash in zip(kept, aside):
        make = (f"mkdir -p {q(str(stash.parent))} && touch {q(str(stash))}" if path.is_file()
                else f"mkdir -p {q(str(stash))}")
        lines += [make, f"mount --bind {q(str(path))} {q(str(stash))}"]
    for i, point in enumerate(points):
        # a point mounted over later (at it, or at a folder above it) is hidden: nothing
        # reaches it, and mount cannot remount it (mnexec mounts a new /sys over the old)
        hidden = any(_under(point, (later,)) for later in points[i + 1:])
        if not hidden and not _under(point, KEEP_WRITABLE):
            lines.append(f"mount -o remount,bind,ro {q(str(point))}")
    for point, mode in PRIVATE_TMPFS:
        lines.append(f"mount -t tmpfs -o mode={mode},size=16m vrrplab-{point.name} "
                     f"{q(str(point))}")
    # back in place, a folder before what is inside it (the project, then its reports/)
    for path, stash in sorted(zip(kept, aside), key=lambda pair: len(pair[0].parts)):
        make = (f"mkdir -p {q(str(path.parent))} && {{ [ -e {q(str(path))} ] || "
                f"touch {q(str(path))}; }}" if path.is_file() else f"mkdir -p {q(str(path))}")
        lines += [make, f"mount --bind {q(str(stash))} {q(str(path))}"]
    for path, stash in zip(readable, aside[len(writable):]):
        if path not in writable:
            lines += [f"mount -o remount,bind,ro {q(str(path))}", f"umount {q(str(stash))}"]
    return lines


def place_file_script(target: Path, source: Path, fresh: bool = True) -> list[str]:
    """Shell lines that put `source` at `target` in a router's own mount namespace (a
    student's `/etc/keepalived/check_gateway.sh`, `run --script`): an empty private tmpfs
    over the target's folder, which must exist on the host (`speakers.given` checks it),
    then the file copied in, executable (`fresh`: the folder's first file, which mounts
    the tmpfs). The host's folder is hidden in this router only."""
    q = shlex.quote
    mount = [f"mount -t tmpfs -o mode=755,size=1m vrrplab-placed {q(str(target.parent))}"]
    return (mount if fresh else []) + [f"cp {q(str(source))} {q(str(target))}",
                                       f"chmod 755 {q(str(target))}"]


class RouterHost(LabHost):
    """A router: its processes in a PID namespace of their own, as on real hardware.

    The lesson's health check `killall -0 keepalived` must find this router's keepalived
    only: with one PID namespace for the whole lab, r1's check found r2's and never
    failed. The node's shell starts under `unshare --pid --fork --mount-proc` (Mininet's
    `self.pid` stays unshare's, whose network namespace is the router's), and every
    process `popen` starts enters the shell's PID namespace and mount namespace (its
    /proc) before it exists (`linux.in_pid_namespace_of`). Its pid as vrrplab sees it
    is the sandbox's, so signals and waits are unchanged.
    """

    _init_pid: int | None = None

    def _popen(self, cmd, **params):
        if self.shell is None and cmd[:1] == ["mnexec"]:  # Mininet starting the node's shell
            cmd = cmd[:2] + ROUTER_PID_NAMESPACE + cmd[2:]
        return super()._popen(cmd, **params)

    def protect_host_files(self, writable: tuple[Path, ...] = (),
                           readable: tuple[Path, ...] = (),
                           placed: tuple[tuple[Path, Path], ...] = ()) -> None:
        """The host's files as this router's processes see them: read-only, home folders
        hidden, private writable space where the lab needs it (`host_view_script`); then
        each (path, source) of `placed` put at its path, for this router alone."""
        table = self.cmd("cat /proc/self/mountinfo")
        lines = host_view_script(mount_points(table), writable, readable)
        folders: set[Path] = set()
        for target, source in placed:
            lines += place_file_script(target, source, fresh=target.parent not in folders)
            folders.add(target.parent)
        run_lines(self, lines)

    def init_pid(self) -> int:
        """The router's PID 1 (its shell), as the sandbox numbers it: unshare's child."""
        if self._init_pid is None:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            if not children:
                raise LabError(f"{self.name}: its shell has not started")
            self._init_pid = int(children[0])
        return self._init_pid

    def popen(self, *args, **kwargs):
        init = self.init_pid()
        kwargs.setdefault("mncmd", ["mnexec", "-da", str(init)])  # its /proc, its network
        # mnexec chdirs to the caller's folder inside the router, where it may be hidden
        # (under /home, /tmp): "/" is there in every router
        kwargs.setdefault("cwd", "/")
        with in_pid_namespace_of(init):
            return super().popen(*args, **kwargs)


def _command_text(args: tuple) -> str:
    """The command as Mininet's `sendCmd` sends it (a string, a list, or words)."""
    if len(args) == 1 and isinstance(args[0], list):
        args = tuple(args[0])
    return " ".join(str(arg) for arg in args)


class IpBridge(BoundedShell, Switch):
    """A Linux bridge made with `ip link` (Mininet's LinuxBridge needs brctl).

    Bridges live in the run's private namespace, where vrrplab itself runs: plain
    subprocesses with a timeout, not Mininet's shell. Mininet still gives the bridge a
    shell (it deletes the bridge's ports with it): bounded like every node's.
    """

    def start(self, _controllers) -> None:
        self._ip("link", "add", "name", self.name, "type", "bridge", "mcast_snooping", "0")
        for intf in self.intfList():
            if intf.name.startswith(f"{self.name}-"):
                self._ip("link", "set", "dev", str(intf), "master", self.name, "up")
        self._ip("link", "set", "dev", self.name, "up")

    def stop(self, deleteIntfs: bool = True) -> None:  # noqa: N803 (Mininet's name)
        self._ip("link", "del", "dev", self.name, check=False)
        super().stop(deleteIntfs)

    def _ip(self, *args: str, check: bool = True) -> None:
        _ip(*args, check=check, timeout=self._seconds(f"'ip {' '.join(args)}'", None))


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def at_once(work: Callable, items: list, cancel: Callable) -> None:
    """work(item) for every item at once, a thread each (each item has a node shell of its
    own); the first item's exception, in order, is raised once all have ended. A Ctrl-C
    or SIGTERM is handled on the main thread alone (Python's rule; the workers block
    them): it then calls `cancel` (the lab's step: each worker's command ends as at its
    deadline, Ctrl-C and drained, and no other begins) and waits for the workers, which
    end within that (INTERRUPT_GRACE_S), not at their commands' deadlines."""
    failures: list[BaseException | None] = [None] * len(items)
    ended = [threading.Event() for _ in items]

    def run(index: int, item) -> None:
        try:
            work(item)
        except BaseException as exc:  # raised by the caller's thread, below
            failures[index] = exc
        finally:
            ended[index].set()

    launched = 0
    try:
        # the workers are born with the stop signals blocked (never interrupted by one)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for index, item in enumerate(items):
                thread = threading.Thread(target=run, args=(index, item),
                                          name=f"node-setup-{index}", daemon=True)
                launched += 1  # before start(): a signal's handler may raise inside it
                thread.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        for done in ended:  # short waits: another thread may be the one given a signal
            while not done.wait(INTERRUPT_POLL_S):
                pass
    except BaseException as exc:
        if not isinstance(exc, Exception):  # KeyboardInterrupt, the run's Interrupted
            cancel()
        # each worker ends within the Ctrl-C's grace once cancelled; bounded all the same,
        # for one a signal kept from starting at all
        for done in ended[:launched]:
            done.wait(INTERRUPT_GRACE_S + 1.0)
        raise
    first = next((exc for exc in failures if exc is not None), None)
    if first is not None:
        raise first


def _ipv6_interface(intf) -> list[str]:
    """An IPv6 interface with exactly two addresses: its link-local one (fe80:: + the host
    part, see `model.link_local_of`) and its global one, usable at once (no DAD), kept
    across a link down/up (a link fault must not renumber the router), no autoconf."""
    conf = f"net.ipv6.conf.{intf.name}"
    return [f"sysctl -qw {conf}.disable_ipv6=0", f"sysctl -qw {conf}.addr_gen_mode=1",
            f"sysctl -qw {conf}.accept_dad=0", f"sysctl -qw {conf}.keep_addr_on_down=1",
            f"sysctl -qw {conf}.accept_ra=0", f"sysctl -qw {conf}.autoconf=0",
            f"ip addr flush dev {intf.name}",  # after addr_gen_mode: no EUI-64 address back
            f"ip addr add {intf.link_local} dev {intf.name} nodad",
            f"ip addr add {intf.address} dev {intf.name} nodad"]


def _via(node, hop) -> str:
    """`via HOP`, and the interface for a link-local next hop (the node's IPv6 one)."""
    if hop.version == 6 and hop.is_link_local:
        intf = next(i for i in node.interfaces if i.address.version == 6)
        return f"via {hop} dev {intf.name}"
    return f"via {hop}"


def _readable(host, seconds: float) -> bool:
    """The node's shell has output within `seconds` (Mininet's own poll also reports
    its pty writable, so its `monitor(timeoutms)` can block: select on input only)."""
    return seconds > 0 and bool(select.select([host.stdout.fileno()], [], [], seconds)[0])


def _ip(*args: str, check: bool = True, timeout: float = CMD_TIMEOUT_S) -> None:
    try:
        result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"ip {' '.join(args)} did not finish in {timeout:.3g} s") from None
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


def _kill_shells(nodes) -> str:
    """SIGKILL the shells of these nodes still alive, then reap them (SHELL_EXIT_S in all):
    the fallback of a stop that failed. Only these pids: never a name pattern, never `mn -c`."""
    alive = [n for n in nodes if n.shell is not None and n.shell.poll() is None]
    for node in alive:
        _kill_group(node.shell.pid)
    deadline = time.monotonic() + SHELL_EXIT_S
    stuck = []
    for node in alive:
        try:
            wait_for_exit(node.shell, max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stuck.append(f"{node.name} (pid {node.shell.pid})")
    said = (f"killed the shells of {', '.join(n.name for n in alive)}" if alive
            else "no shell was left to kill")
    if stuck:
        said += f"; still not gone: {', '.join(stuck)}"
    return said + "; the rest goes with the run's private namespace"


class Lab:
    """A started lab: run commands on nodes, take links up and down, stop it."""

    def __init__(self, topology: Topology, log: Callable[[str], None] = print,
                 writable: tuple[Path, ...] = (), readable: tuple[Path, ...] = (),
                 placed: dict[str, tuple[tuple[Path, Path], ...]] | None = None):
        self.topology = topology
        self.log = log
        self.writable = writable  # what the routers may write of the host's files (the run's)
        # ... and must still see where it may be hidden (under /home, /tmp): vrrplab's own
        # code and Python, the files the teacher gave
        self.readable = tuple(dict.fromkeys(OWN_CODE + tuple(readable)))
        self.placed = placed or {}  # router -> (path in the router, file to put there)
        self.net: Mininet | None = None
        self.deadline = StepDeadline()  # the current start's or stop's, shared by the nodes

    # -- lifecycle ----------------------------------------------------------

    def _step(self, what: str, seconds: float):
        nodes, links = lab_size(self.topology)
        return self.deadline.step(f"{what} of {nodes} nodes and {links} links", seconds)

    def start(self, deadline_s: float | None = None) -> None:
        """Build the lab within `deadline_s` (default: `start_deadline`, from its size):
        node shells, veth pairs, bridges, addresses and routes. Past it, LabError names
        the step and the node; what was built is left for `stop`."""
        seconds = start_deadline(self.topology) if deadline_s is None else deadline_s
        let_ctrl_c_reach_children()  # the node shells and their commands: Ctrl-C works
        setLogLevel("error")
        net = Mininet(topo=None, switch=IpBridge, controller=None, build=False,
                      autoSetMacs=False, cleanup=False, waitConnected=False)
        self.net = net
        with self._step("starting the lab", seconds):
            bridges = {seg: net.addSwitch(f"s{i}", deadline=self.deadline)
                       for i, seg in enumerate(self.topology.segments, 1)}
            for node in self.topology.nodes:
                cls = RouterHost if node.role == "router" else LabHost
                host = net.addHost(node.name, cls=cls, ip=None, deadline=self.deadline)
                for intf in node.interfaces:
                    # the bridge's shell makes the veth pair (Mininet runs `ip link add ...
                    # netns PID` in the first node): a router's shell, in its own PID
                    # namespace, could not name the bridge's PID
                    net.addLink(bridges[intf.segment], host, intfName2=intf.name)
            net.start()
            # each node's own shell: all at once (one after another, these were half the
            # textbook lab's build, ~0.15 s); the first LabError is raised here
            at_once(self._set_up, self.topology.nodes, self.deadline.cancel)

    def _set_up(self, node) -> None:
        """The node's addresses and routes; a router's view of the host's files too."""
        self._configure(node)
        if node.role == "router":
            self.host(node.name).protect_host_files(self.writable, self.readable,
                                                    self.placed.get(node.name, ()))

    def _configure(self, node) -> None:
        ipv6 = any(i.address.version == 6 for i in node.interfaces)
        script = [] if ipv6 else ["sysctl -qw net.ipv6.conf.all.disable_ipv6=1"]  # quiet wire
        for intf in node.interfaces:
            if intf.address.version == 6:
                script += _ipv6_interface(intf)
            else:
                script.append(f"ip addr flush dev {intf.name}")
                script.append(f"ip addr add {intf.address} dev {intf.name}")
            script.append(f"ip link set dev {intf.name} up")
        if node.role == "router":
            script.append("sysctl -qw net.ipv4.ip_forward=1")  # textbook step 2, this netns only
            if ipv6:
                script.append("sysctl -qw net.ipv6.conf.all.forwarding=1")
            if self.topology.vrrp.use_vmac:
                # answer ARP only on the interface that has the address, so the VIP on
                # the vmac is answered with the virtual MAC, never by eth0's own MAC
                script.append("sysctl -qw net.ipv4.conf.all.arp_ignore=1")
                script.append("sysctl -qw net.ipv4.conf.all.arp_announce=2")
        if node.gateway:
            script.append(f"ip -{node.gateway.version} route replace default "
                          f"{_via(node, node.gateway)}")
        for route in node.routes:
            script.append(f"ip -{route.via.version} route replace {route.to} "
                          f"{_via(node, route.via)}")
        script += self._stand_ins(node)
        run_lines(self.host(node.name), script)

    def _stand_ins(self, node) -> list[str]:
        """The internet's stand-in addresses (`Node.answers_for`, e.g. 8.8.8.8): on the
        upstream host's loopback, and routed to it by every router beside it, so that a
        health check pinging them works as written, and never leaves the lab."""
        if node.answers_for:
            return ["ip link set dev lo up"] + [
                f"ip addr add {a}/{a.max_prefixlen} dev lo" for a in node.answers_for]
        if node.role != "router":
            return []
        lines = []
        mine = {i.segment for i in node.interfaces}
        for host in self.topology.upstream_hosts:
            hop = next((i.address.ip for i in host.interfaces if i.segment in mine), None)
            lines += [f"ip -{a.version} route replace {a} via {hop}" for a in host.answers_for
                      if hop is not None and hop.version == a.version]
        return lines

    def stop(self, deadline_s: float | None = None) -> None:
        """Take the lab down within `deadline_s` (default: `stop_deadline`, from its size).

        Past it, or on any other failure, the shells this lab started are SIGKILLed (by
        their pids, which Mininet recorded) and LabError names the step and the node. What
        Mininet had no time to delete (veth pairs, bridges) lives in the run's private
        namespace and goes with it when the run ends (see `sandbox`).
        """
        if self.net is None:
            return
        net, self.net = self.net, None
        seconds = stop_deadline(self.topology) if deadline_s is None else deadline_s
        try:
            with self._step("stopping the lab", seconds):
                net.stop()
        except LabError as exc:
            raise LabError(f"{exc}; {_kill_shells(net.hosts + net.switches)}") from exc
        except BaseException:  # Ctrl-C, SIGTERM: nothing of the lab may outlive the run
            _kill_shells(net.hosts + net.switches)
            raise

    # -- what runners and speakers use -------------------------------------

    def host(self, name: str) -> Host:
        assert self.net is not None, "lab not started"
        return self.net.get(name)

    def cmd(self, node: str, command: str, timeout: float = CMD_TIMEOUT_S) -> str:
        """Run a shell command in the node's namespace and return its output, within
        `timeout`: past it the command is interrupted (Ctrl-C) and LabError names it
        (`BoundedShell.cmd`)."""
        return self.host(node).cmd(command, timeout=timeout)

    def popen(self, node: str, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start a process in the node's namespace (the caller owns and reaps it).

        It carries VRRPLAB_LAB_NODE (`linux.LAB_NODE_ENV`), which lab-only tools (the
        attacker, the bundled speaker) insist on.
        """
        env = {**os.environ, **kwargs.pop("env", {}), LAB_NODE_ENV: node}
        return self.host(node).popen(argv, env=env, **kwargs)

    def run(self, node: str, argv: list[str], timeout: float,
            input: str | None = None) -> subprocess.CompletedProcess:  # noqa: A002
        """Run a process in the node's namespace to completion, with a timeout (then it is
        killed and LabError says so); `input` is written to its stdin."""
        stdin = {} if input is None else {"stdin": subprocess.PIPE}
        proc = self.popen(node, argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **stdin)
        try:
            out, _ = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            # its whole group (mnexec -d made it a leader): a child it left (a check's
            # `ping` without -c) would hold the pipe open and the wait below forever
            _kill_group(proc.pid)
            proc.kill()  # itself, should it not lead a group
            try:
                proc.communicate(timeout=CMD_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
            raise LabError(f"{node}: {' '.join(argv)} did not finish in {timeout:g} s") from None
        return subprocess.CompletedProcess(argv, proc.returncode, out, None)

    def nft(self, node: str, rules: str) -> None:
        """Apply an nftables script in the node's namespace (never the host's)."""
        result = self.run(node, ["nft", "-f", "-"], CMD_TIMEOUT_S, input=rules)
        if result.returncode != 0:
            raise LabError(f"{node}: nft refused: {result.stdout.strip()}")

    def set_link(self, node: str, interface: str, up: bool) -> None:
        self.cmd(node, f"ip link set dev {interface} {'up' if up else 'down'}")

    def mac(self, node: str, interface: str) -> str:
        return self.cmd(node, f"cat /sys/class/net/{interface}/address").strip()

    def addresses(self, node: str, interface: str | None = None) -> list[str]:
        """IPv4 and IPv6 addresses on the interface (or all), if up: `ip addr show eth0 up`.

        An address on a dead link answers nobody: a crashed router does not hold
        the VIP. With use_vmac the VIP lives on a macvlan, hence `interface=None`.
        Nor does one on a link that is up but operationally down: FRR's vrrpd keeps
        the VIP on the backup's macvlan and puts it in protodown (NO-CARRIER, state
        DOWN) rather than removing it.
        """
        where = f"dev {interface} " if interface else ""
        out = self.cmd(node, f"ip -o addr show {where}up; echo {LINKS_MARK}; ip -o link show")
        addresses, _, links = out.partition(LINKS_MARK)
        return held_addresses(addresses, links)

    def neighbour_mac(self, node: str, address: str) -> str | None:
        """The node's neighbour entry for an address (ARP; NDP for IPv6), as `ip neigh` shows it."""
        out = self.cmd(node, f"ip neigh show {address}").split()
        return out[out.index("lladdr") + 1] if "lladdr" in out else None
