"""Linux facts the loader, the lab and the bundled speaker share: names, paths, and whether
this process runs in a lab node."""

from __future__ import annotations

import os
import signal
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
    if ours is None or ours == init:
        return Message(N_("{tool}: this is not a lab node's network namespace: refusing"),
                       tool=tool)
    return None
