"""Linux facts the loader, the lab and the bundled speaker share: names, paths, and whether
this process runs in a lab node."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vrrplab.i18n import N_, Message

IFNAMSIZ = 15  # the kernel's limit on an interface name (IFNAMSIZ - 1 characters)
SYS_NET = Path("/sys/class/net")  # one directory per interface of the namespace
PROC_NET = Path("/proc/sys/net")  # the namespace's network sysctls

# set by lab.network.Lab.popen on every process it starts in a node: lab-only tools (the
# attacker, the bundled speaker) look for it
LAB_NODE_ENV = "VRRPLAB_LAB_NODE"


def let_ctrl_c_reach_children() -> None:
    """A process started in the background by a script (`cmd &`, nohup, some CI runners)
    inherits SIGINT ignored, and so would every command it starts: a node's `sleep` or
    `ping` would then outlive the Ctrl-C that must stop it (Mininet's sendInt, the
    shell's jobs). Python's own Ctrl-C handler instead: commands start with the default."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


CLONE_NEWPID = 0x20000000  # <sched.h>; Python's os.setns comes with 3.12, Debian's is 3.11
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int, nstype: int) -> None:
    if _libc.setns(fd, nstype) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


@contextmanager
def in_pid_namespace_of(pid: int) -> Iterator[None]:
    """Processes this thread starts meanwhile are born in `pid`'s PID namespace.

    setns(CLONE_NEWPID) changes only where this thread's next children go (the caller
    itself stays where it is), so a Popen inside this block starts its process there; the
    thread's own namespace is given back after it, even on error.
    """
    with open(f"/proc/{pid}/ns/pid", "rb") as target, open("/proc/self/ns/pid", "rb") as own:
        _setns(target.fileno(), CLONE_NEWPID)
        try:
            yield
        finally:
            _setns(own.fileno(), CLONE_NEWPID)


INIT_CMDLINE = Path("/proc/1/cmdline")


def _in_router_pid_namespace() -> bool:
    """PID 1 here is a lab router's shell (`lab.network.RouterHost`: a router has a PID
    namespace of its own, so PID 1 shares its network namespace, unlike on the host)."""
    node = os.environ.get(LAB_NODE_ENV)
    try:
        argv = INIT_CMDLINE.read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(node) and f"mininet:{node}".encode() in argv


def outside_lab_node(tool: str) -> Message | None:
    """Why this process is not in a vrrplab lab node, or None when it is.

    A lab node's process carries LAB_NODE_ENV and has a network namespace of its own,
    never the one of PID 1 (the host's, or the lab supervisor's private one): a tool that
    forges adverts or adds VIPs does it in a lab, not on the machine that runs it.
    """
    if not os.environ.get(LAB_NODE_ENV):
        return Message(N_("{tool} runs only inside a vrrplab lab node ({marker} is not set): "
                          "refusing"), tool=tool, marker=LAB_NODE_ENV)
    try:
        ours, init = os.readlink("/proc/self/ns/net"), os.readlink("/proc/1/ns/net")
    except OSError:  # cannot tell: assume the worst
        ours = init = None
    if ours is None or (ours == init and not _in_router_pid_namespace()):
        return Message(N_("{tool}: this is not a lab node's network namespace: refusing"),
                       tool=tool)
    return None


def leave(code: int) -> None:
    """End this process now with `code`: flush what it printed, then exit without the
    interpreter's teardown (0.2-0.4 s for the run's PID 1 with matplotlib and scapy
    loaded, whose namespace the kernel is about to take down anyway; 25-45 ms for the
    bundled speaker with pyroute2, after its stop line). Every file and socket the caller
    wrote to is closed by then."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the terminal gone (SIGHUP), the reader, or closed
            pass
    os._exit(code)
