"""Turn a `Topology` into a running Mininet lab. The only module that imports Mininet.

One Linux bridge per segment (no Open vSwitch, no controller), one Mininet host
per node, interfaces named as in the topology (`eth0` inside a router, as in the
textbook). Addresses, routes and forwarding are set with `ip`/`sysctl` inside each
node's namespace. Everything here assumes it already runs inside vrrplab's
private namespace (see `sandbox`), so bridge names cannot collide with the host.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from typing import Callable

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host, Switch

from vrrplab.errors import LabError
from vrrplab.loader.model import Topology

CMD_TIMEOUT_S = 10.0  # every shell command in a node: ip, sysctl, cat (milliseconds, normally)
INTERRUPT_GRACE_S = 2.0  # after Ctrl-C, how long a stuck command gets to give the shell back


class IpBridge(Switch):
    """A Linux bridge made with `ip link` (Mininet's LinuxBridge needs brctl).

    Bridges live in the run's private namespace, where vrrplab itself runs: plain
    subprocesses with a timeout, not Mininet's shell.
    """

    def start(self, _controllers) -> None:
        _ip("link", "add", "name", self.name, "type", "bridge", "mcast_snooping", "0")
        for intf in self.intfList():
            if intf.name.startswith(f"{self.name}-"):
                _ip("link", "set", "dev", str(intf), "master", self.name, "up")
        _ip("link", "set", "dev", self.name, "up")

    def stop(self, deleteIntfs: bool = True) -> None:  # noqa: N803 (Mininet's name)
        _ip("link", "del", "dev", self.name, check=False)
        super().stop(deleteIntfs)


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


def _ip(*args: str, check: bool = True) -> None:
    try:
        result = subprocess.run(["ip", *args], capture_output=True, text=True,
                                timeout=CMD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise LabError(f"ip {' '.join(args)} did not finish in {CMD_TIMEOUT_S:g} s") from None
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


class Lab:
    """A started lab: run commands on nodes, take links up and down, stop it."""

    def __init__(self, topology: Topology, log: Callable[[str], None] = print):
        self.topology = topology
        self.log = log
        self.net: Mininet | None = None

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> None:
        setLogLevel("error")
        net = Mininet(topo=None, switch=IpBridge, controller=None, build=False,
                      autoSetMacs=False, cleanup=False, waitConnected=False)
        self.net = net
        bridges = {seg: net.addSwitch(f"s{i}") for i, seg in enumerate(self.topology.segments, 1)}
        for node in self.topology.nodes:
            host = net.addHost(node.name, cls=Host, ip=None)
            for intf in node.interfaces:
                net.addLink(host, bridges[intf.segment], intfName1=intf.name)
        net.start()
        for node in self.topology.nodes:
            self._configure(node)

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
        for line in script:
            out = self.cmd(node.name, line + " 2>&1; echo rc=$?").strip()
            if not out.endswith("rc=0"):
                raise LabError(f"{node.name}: '{line}' failed: {out}")

    def stop(self) -> None:
        if self.net is not None:
            self.net.stop()
            self.net = None

    # -- what runners and speakers use -------------------------------------

    def host(self, name: str) -> Host:
        assert self.net is not None, "lab not started"
        return self.net.get(name)

    def cmd(self, node: str, command: str, timeout: float = CMD_TIMEOUT_S) -> str:
        """Run a shell command in the node's namespace and return its output.

        Mininet's `Node.cmd` waits forever; this is the same shell, with a deadline:
        a command still running then is interrupted (Ctrl-C) and the run fails.
        """
        host = self.host(node)
        host.sendCmd(command)
        output, deadline = "", time.monotonic() + timeout
        try:
            while host.waiting:
                if not _readable(host, deadline - time.monotonic()):
                    raise LabError(f"{node}: '{command}' did not finish in {timeout:g} s")
                output += host.monitor()
        except BaseException:  # the deadline, or Ctrl-C/SIGTERM landing mid-command
            self._interrupt(host)
            raise
        return output

    @staticmethod
    def _interrupt(host) -> None:
        """Ctrl-C the node's shell and drain it, so its next command starts clean."""
        host.sendInt()
        deadline = time.monotonic() + INTERRUPT_GRACE_S
        while host.waiting and _readable(host, deadline - time.monotonic()):
            host.monitor()
        # give up on the rest: a shell still stuck may hand its leftovers to the next command
        host.waiting = False

    def popen(self, node: str, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start a process in the node's namespace (the caller owns and reaps it).

        It carries VRRPLAB_LAB_NODE, which lab-only tools (the attacker) insist on.
        """
        env = {**os.environ, **kwargs.pop("env", {}), "VRRPLAB_LAB_NODE": node}
        return self.host(node).popen(argv, env=env, **kwargs)

    def run(self, node: str, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        """Run a process in the node's namespace to completion, with a timeout."""
        proc = self.popen(node, argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            raise LabError(f"{node}: {' '.join(argv)} did not finish in {timeout:g} s") from None
        return subprocess.CompletedProcess(argv, proc.returncode, out, None)

    def nft(self, node: str, rules: str) -> None:
        """Apply an nftables script in the node's namespace (never the host's)."""
        proc = self.popen(node, ["nft", "-f", "-"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = proc.communicate(rules, timeout=10)
        if proc.returncode != 0:
            raise LabError(f"{node}: nft refused: {out.strip()}")

    def set_link(self, node: str, interface: str, up: bool) -> None:
        self.cmd(node, f"ip link set dev {interface} {'up' if up else 'down'}")

    def mac(self, node: str, interface: str) -> str:
        return self.cmd(node, f"cat /sys/class/net/{interface}/address").strip()

    def addresses(self, node: str, interface: str | None = None) -> list[str]:
        """IPv4 and IPv6 addresses on the interface (or all), if up: `ip addr show eth0 up`.

        An address on a dead link answers nobody: a crashed router does not hold
        the VIP. With use_vmac the VIP lives on a macvlan, hence `interface=None`.
        """
        where = f"dev {interface} " if interface else ""
        out = self.cmd(node, f"ip -o addr show {where}up")
        return [line.split()[3].split("/")[0] for line in out.splitlines()
                if line.split()[2:3] in (["inet"], ["inet6"])]

    def neighbour_mac(self, node: str, address: str) -> str | None:
        """The node's neighbour entry for an address (ARP; NDP for IPv6), as `ip neigh` shows it."""
        out = self.cmd(node, f"ip neigh show {address}").split()
        return out[out.index("lladdr") + 1] if "lladdr" in out else None
