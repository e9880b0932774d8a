"""Turn a `Topology` into a running Mininet lab. The only module that imports Mininet.

One Linux bridge per segment (no Open vSwitch, no controller), one Mininet host
per node, interfaces named as in the topology (`eth0` inside a router, as in the
textbook). Addresses, routes and forwarding are set with `ip`/`sysctl` inside each
node's namespace. Everything here assumes it already runs inside vrrplab's
private namespace (see `sandbox`), so bridge names cannot collide with the host.
"""

from __future__ import annotations

import os
import subprocess
from typing import Callable

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host, Switch

from vrrplab.errors import LabError
from vrrplab.model import Topology


class IpBridge(Switch):
    """A Linux bridge made with `ip link` (Mininet's LinuxBridge needs brctl)."""

    def start(self, _controllers) -> None:
        self.cmd(f"ip link add name {self.name} type bridge mcast_snooping 0")
        for intf in self.intfList():
            if intf.name.startswith(f"{self.name}-"):
                self.cmd(f"ip link set dev {intf} master {self.name} up")
        self.cmd(f"ip link set dev {self.name} up")

    def stop(self, deleteIntfs: bool = True) -> None:  # noqa: N803 (Mininet's name)
        self.cmd(f"ip link del dev {self.name}")
        super().stop(deleteIntfs)


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
        script = ["sysctl -qw net.ipv6.conf.all.disable_ipv6=1"]  # quiet wire: no IPv6 chatter
        for intf in node.interfaces:
            script.append(f"ip addr flush dev {intf.name}")
            script.append(f"ip addr add {intf.address} dev {intf.name}")
            script.append(f"ip link set dev {intf.name} up")
        if node.role == "router":
            script.append("sysctl -qw net.ipv4.ip_forward=1")  # textbook step 2, this netns only
            if self.topology.vrrp.use_vmac:
                # answer ARP only on the interface that has the address, so the VIP on
                # the vmac is answered with the virtual MAC, never by eth0's own MAC
                script.append("sysctl -qw net.ipv4.conf.all.arp_ignore=1")
                script.append("sysctl -qw net.ipv4.conf.all.arp_announce=2")
        if node.gateway:
            script.append(f"ip route replace default via {node.gateway}")
        for route in node.routes:
            script.append(f"ip route replace {route.to} via {route.via}")
        for line in script:
            out = self.host(node.name).cmd(line + " 2>&1; echo rc=$?").strip()
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

    def cmd(self, node: str, command: str) -> str:
        """Run a shell command in the node's namespace and return its output."""
        return self.host(node).cmd(command)

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
        """IPv4 addresses on the interface (or all), if up: `ip addr show eth0 up`.

        An address on a dead link answers nobody: a crashed router does not hold
        the VIP. With use_vmac the VIP lives on a macvlan, hence `interface=None`.
        """
        where = f"dev {interface} " if interface else ""
        out = self.cmd(node, f"ip -4 -o addr show {where}up")
        return [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]

    def neighbour_mac(self, node: str, address: str) -> str | None:
        """The node's ARP entry for an address, as `arp -a` would show it."""
        out = self.cmd(node, f"ip neigh show {address}").split()
        return out[out.index("lladdr") + 1] if "lladdr" in out else None
