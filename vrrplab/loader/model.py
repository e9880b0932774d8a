"""The lab and the scenario as frozen data, after validation.

`loader` builds these from YAML; everything downstream (lab, speakers, runner,
report) reads them and never sees raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from pathlib import Path

from vrrplab.vrrp.timers import master_down_interval, skew_time

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
InterfaceAddress = IPv4Interface | IPv6Interface
LINK_LOCAL = IPv6Network("fe80::/64")


def link_local_of(address: IPv6Interface) -> IPv6Interface:
    """The link-local address the lab gives an IPv6 interface: fe80:: + its host part.

    2001:db8:1::10/64 gets fe80::10: readable in captures and logs, and unique on
    a segment as the global addresses are (the kernel's EUI-64 one is random here).
    """
    host = int(address.ip) & ((1 << (128 - LINK_LOCAL.prefixlen)) - 1)
    return IPv6Interface((int(LINK_LOCAL.network_address) | host, LINK_LOCAL.prefixlen))


@dataclass(frozen=True)
class Interface:
    name: str  # as seen inside the node, e.g. "eth0"
    segment: str
    address: InterfaceAddress

    @property
    def link_local(self) -> IPv6Interface | None:
        return link_local_of(self.address) if self.address.version == 6 else None

    def own_addresses(self) -> tuple[Address, ...]:
        """Every address the interface answers for (with IPv6, its link-local too)."""
        ll = self.link_local
        return (self.address.ip,) if ll is None else (self.address.ip, ll.ip)


@dataclass(frozen=True)
class Route:
    to: Network
    via: Address


@dataclass(frozen=True)
class Node:
    name: str
    role: str  # "router", "client", "upstream" or "attacker" (the security lessons' mallory)
    interfaces: tuple[Interface, ...]
    gateway: Address | None = None  # with IPv6, often a link-local VIP (fe80::1)
    routes: tuple[Route, ...] = ()
    # the "internet" host: real-world addresses it answers at, inside the lab only, so that
    # the lesson's check_gateway.sh (ping 8.8.8.8) works as written
    answers_for: tuple[Address, ...] = ()

    def interface(self, name: str) -> Interface:
        for intf in self.interfaces:
            if intf.name == name:
                return intf
        raise KeyError(f"{self.name} has no interface {name}")

    def interface_on(self, segment: str) -> Interface | None:
        return next((i for i in self.interfaces if i.segment == segment), None)


@dataclass(frozen=True)
class VrrpInstance:
    name: str
    vrid: int
    interface: str  # the routers' interface name, the same on every router
    vips: tuple[InterfaceAddress, ...]  # IPv6: the link-local one first (RFC 5798 §5.2.9)
    @property
    def family(self) -> int:
        return self.vips[0].version

    def ping_address(self) -> Address:
        """The VIP a client pings: the first one, or with IPv6 the first global one."""
        return next((v.ip for v in self.vips if v.ip not in LINK_LOCAL), self.vips[0].ip)

    # load sharing: this instance's own priorities, (router, priority), overriding the
    # routers' for it; the highest of them starts MASTER (the others BACKUP)
    priorities: tuple[tuple[str, int], ...] = ()

    def priority_override(self, router: str) -> int | None:
        return dict(self.priorities).get(router)


@dataclass(frozen=True)
class TrackScript:
    """keepalived's vrrp_script: a health check run inside the router."""

    name: str
    script: str  # a shell command, run in the router's namespace; exit 0 = healthy
    interval: float  # seconds between two runs
    weight: int  # < 0: added while failing; > 0: added while succeeding; 0: FAULT on failure
    rise: int = 1  # successes in a row to be healthy again
    fall: int = 1  # failures in a row to be failing


@dataclass(frozen=True)
class VrrpRouter:
    name: str
    priority: int
    state: str  # initial state asked of the speaker: "MASTER" or "BACKUP"
    track_scripts: tuple[TrackScript, ...] = ()
    track_interfaces: tuple[str, ...] = ()  # any of them down = FAULT
    auth_pass: str | None = None  # this router's own, when it differs from the group's


@dataclass(frozen=True)
class Vrrp:
    version: int
    advert_int: float  # seconds
    auth_pass: str | None
    preempt: bool
    sync_group: str | None
    instances: tuple[VrrpInstance, ...]
    routers: tuple[VrrpRouter, ...]
    preempt_delay: float = 0.0  # seconds a returning router waits before preempting
    use_vmac: bool = False  # answer ARP with 00:00:5e:00:01:VRID (a macvlan per VRID)

    def router(self, name: str) -> VrrpRouter:
        return next(r for r in self.routers if r.name == name)

    def instance(self, name: str | None = None) -> VrrpInstance:
        """The instance called `name`; the first one (the clients' gateway) by default."""
        if name is None:
            return self.instances[0]
        return next(i for i in self.instances if i.name == name)

    def priority(self, router: str, instance: str | None = None) -> int:
        """`router`'s priority in `instance` (the first instance by default)."""
        override = self.instance(instance).priority_override(router) if self.instances else None
        return override if override is not None else self.router(router).priority

    def state(self, router: str, instance: str | None = None) -> str:
        """The state `router` starts `instance` in: its own, or by rank where the instance
        has priorities of its own (the highest MASTER, with preemption)."""
        inst = self.instance(instance)
        if not inst.priorities:
            return self.router(router).state
        best = max(self.routers, key=lambda r: self.priority(r.name, inst.name)).name
        # as the loader wants of the routers' own state: keepalived honours nopreempt and
        # preempt_delay only for an instance that starts as BACKUP
        return "MASTER" if best == router and self.preempt and not self.preempt_delay \
            else "BACKUP"

    def master_of(self, instance: str | None = None) -> str:
        """The router configured to start MASTER of `instance`, else the highest priority."""
        names = [r.name for r in self.routers]
        masters = [r for r in names if self.state(r, instance) == "MASTER"]
        return masters[0] if masters else max(names, key=lambda r: self.priority(r, instance))

    def auth_pass_of(self, router: str) -> str | None:
        return self.router(router).auth_pass or self.auth_pass

    def skew_time(self, router: str, instance: str | None = None) -> float:
        return skew_time(self.priority(router, instance), self.advert_int, self.version)

    def master_down_interval(self, router: str, instance: str | None = None) -> float:
        return master_down_interval(self.priority(router, instance), self.advert_int,
                                    self.version)


@dataclass(frozen=True)
class Topology:
    name: str
    description: str
    path: Path
    segments: dict[str, Network]
    nodes: tuple[Node, ...]
    vrrp: Vrrp
    # what loader.scale added to the file: {"routers": 16} ({} as written, or a scale that
    # adds nothing, such as --routers 2 on a two-router lab)
    grown: dict[str, int] = field(default_factory=dict)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def has_node(self, name: str) -> bool:
        return any(n.name == name for n in self.nodes)

    def with_role(self, role: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.role == role)

    routers = property(lambda self: self.with_role("router"))
    clients = property(lambda self: self.with_role("client"))
    upstream_hosts = property(lambda self: self.with_role("upstream"))
    attackers = property(lambda self: self.with_role("attacker"))

    def lan_segment(self) -> str:
        """The segment of the clients' gateway instance (where an attacker forges adverts)."""
        return self.segment_of(self.routers[0].name, self.lan_instance().interface)

    def lan_instance(self) -> VrrpInstance:
        """The instance that gives the clients their gateway (the first one)."""
        return self.vrrp.instances[0]

    def gateway_instances(self) -> tuple[VrrpInstance, ...]:
        """The LAN instances whose VIP a host has as its gateway (two when sharing the
        load); the first LAN instance when no host names one. The LAN's other instances
        (a lab grown with --vrids) are nobody's gateway: no client's view to judge."""
        lan = self.lan_segment()
        on_lan = [i for i in self.vrrp.instances
                  if self.segment_of(self.routers[0].name, i.interface) == lan]
        used = {n.gateway for n in self.nodes if n.gateway is not None}
        return tuple(i for i in on_lan if used & {v.ip for v in i.vips}) or tuple(on_lan[:1])

    def gateway_of(self, fault: "Fault") -> VrrpInstance:
        """The gateway instance a fault is about: the first of its own, else the main one."""
        gateways = self.gateway_instances()
        return next((i for name in fault.instances for i in gateways if i.name == name),
                    gateways[0])

    def instance_of_vip(self, address, segment: str | None = None) -> VrrpInstance | None:
        """The instance holding `address` (on `segment`: fe80::1 may be a VIP on every link)."""
        return next((i for i in self.vrrp.instances if any(v.ip == address for v in i.vips)
                     and segment in (None, self.segment_of(self.routers[0].name, i.interface))),
                    None)

    def segment_of(self, router: str, interface: str) -> str:
        return self.node(router).interface(interface).segment


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str  # a key of vrrplab.faults.catalogue.KINDS
    target: str  # a router; an attacker host for the attack kinds
    expect_master: str | None  # the router MASTER afterwards; None: no router is
    interface: str | None = None  # link faults: which of the target's links (default: LAN)
    vip_holders: tuple[str, ...] = ()  # who holds the VIP afterwards (default: expect_master)
    takeover: bool = True  # False: the master must not change (nopreempt, a tie)
    period: float = 2.0  # flap: seconds per down/up cycle
    count: int = 3  # flap: cycles
    duty: float = 0.5  # flap: share of each cycle spent down
    bound: str | None = None  # which RFC bound applies, when not the kind's usual one
    unstable: bool = False  # the fault causes repeated elections: no single master to wait for
    rate: float = 1.5  # zero_storm: forged priority-0 adverts per second
    # the instances expect_master becomes MASTER of (default: all); the others keep theirs
    instances: tuple[str, ...] = ()
    priority: int | None = None  # set_priority: the router's priority from now on

    def holders(self) -> tuple[str, ...]:
        if self.expect_master is None:
            return ()  # the routers stepped down: nobody holds the VIP
        return self.vip_holders or (self.expect_master,)


@dataclass(frozen=True)
class Step:
    action: str  # "wait_master", "wait_masters", "hold" or "fault"
    router: str | None = None
    # wait_master by instance, ((instance, router), ...): load sharing; empty: router of all
    masters: tuple[tuple[str, str], ...] = ()
    routers: tuple[str, ...] = ()  # wait_masters: all of them MASTER at once
    seconds: float | None = None
    fault: Fault | None = None


@dataclass(frozen=True)
class Probe:
    source: str  # the client node that probes
    targets: tuple[Address, ...]
    interval: float  # seconds between two probes to one target


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path
    topology: Topology
    steps: tuple[Step, ...]
    probes: tuple[Probe, ...]  # one per probing client; the first is the main one
    lesson: str = ""  # what the run shows, printed with the verdict
    # the routers' own keepalived.conf (`run --config`): speakers.given.GivenConfigs
    given: Any = None
    # what the scenario is about among what a speaker could run without (speakers.fit)
    needs: tuple[str, ...] = ()
    # what the run changed for its speakers (speakers.fit), said in the summary and results
    adapted: tuple[Any, ...] = ()
    # how the lab was grown from its topology (loader.scale): {"routers": 16, "vrids": 4};
    # {} when nothing was added (topology.grown)
    scale: dict[str, int] = field(default_factory=dict)
    faults: tuple[Fault, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(s.fault for s in self.steps if s.fault))

    @property
    def probe(self) -> Probe:
        return self.probes[0]

    def client_of(self, instance: VrrpInstance) -> str:
        """The probing client whose gateway is this instance's VIP (else the main one)."""
        vips = {v.ip for v in instance.vips}
        return next((p.source for p in self.probes
                     if self.topology.node(p.source).gateway in vips), self.probe.source)
