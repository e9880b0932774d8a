"""What the lab looks like now: who is MASTER, where the VIPs are, what the client's
ARP entry says. The runner asks it while it waits, and records its snapshots.

A `Snapshot` is what the textbook's verification steps look at, at one instant
(`ip addr`, `arp -a`, each daemon's state); results.json keeps them as they are.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from vrrplab.lab.wait import WaitTimeout, wait_until

# announcements still on their way when the master is settled (a second gratuitous ARP
# burst answering a last lower-priority advert): the snapshot waits this long at most for
# the client's ARP entry to reach an expected holder; a stale entry still shows after it
ARP_SETTLE_S = 1.0


SNAPSHOT_KEYS = ("label", "t", "arp_settled_s", "expected_master", "expected_holders",
                 "states", "vips", "macs", "client_arp", "gateways")


@dataclass
class Snapshot:
    label: str  # "converge" or the fault's name
    t: float  # unix time
    expected_master: str | None
    expected_holders: list[str | None]  # the routers the VIP must be on
    arp_settled_s: float | None = None  # how long the client's ARP entry took to settle
    states: dict[str, str] = field(default_factory=dict)  # router -> its speaker's state
    vips: dict[str, list[str]] = field(default_factory=dict)  # router -> its addresses
    macs: dict[str, str | None] = field(default_factory=dict)  # router -> its LAN MAC
    client_arp: str | None = None  # the client's ARP entry for the gateway
    gateways: dict[str, dict] = field(default_factory=dict)  # load sharing: per LAN instance

    def as_dict(self) -> dict:
        """As results.json has always ordered a snapshot's keys."""
        found = asdict(self)
        return {key: found[key] for key in SNAPSHOT_KEYS}


class Observer:
    """Reads the lab's state through the lab and the speakers; changes nothing."""

    def __init__(self, lab, scenario, speakers: dict):
        self.lab = lab
        self.scenario = scenario
        self.topology = scenario.topology
        self.speakers = speakers  # router -> Speaker (filled as the runner starts them)

    def is_master(self, router: str, instances: tuple[str, ...] = ()) -> bool:
        """MASTER of these instances (default: all), with their VIPs on its interfaces."""
        chosen = [self.topology.vrrp.instance(i) for i in instances] or self.topology.vrrp.instances
        if any(self.speakers[router].state(inst.name) != "MASTER" for inst in chosen):
            return False
        return all(str(vip.ip) in self.addresses(router, inst) for inst in chosen
                   for vip in inst.vips)

    def addresses(self, router: str, inst) -> list[str]:
        """The router's addresses on the instance's link (fe80::1 may be a VIP on each link);
        with use_vmac the VIPs live on a macvlan: all its addresses."""
        interface = None if self.topology.vrrp.use_vmac else inst.interface
        return self.lab.addresses(router, interface)

    def hold_vip(self, routers: tuple[str, ...], instance: str | None = None) -> bool:
        """The VIP of `instance` (default: the LAN's) is on exactly these routers."""
        inst = self.topology.vrrp.instance(instance)
        vip = str(inst.vips[0].ip)
        return all((vip in self.addresses(r, inst)) == (r in routers) for r in self.speakers)

    def nobody_master(self) -> bool:
        return not any(s.state() == "MASTER" for s in self.speakers.values())

    def snapshot(self, label: str, expected_master: str | None,
                 holders: tuple[str, ...] | None, expected: dict[str, str]) -> Snapshot:
        """What the textbook's verification steps look at, at this instant; `expected`:
        instance -> the router that must be MASTER of it."""
        lan = self.topology.lan_instance()
        gateway = str(lan.vips[0].ip)
        client = self.scenario.probe.source
        chosen = holders if holders is not None else (expected_master,)
        settled = self.settle_client_arp(client, gateway, chosen) if expected_master else None
        return Snapshot(
            label=label,
            t=time.time(),
            arp_settled_s=None if settled is None else round(settled, 3),
            expected_master=expected_master,
            expected_holders=list(chosen),
            states={r: s.state() for r, s in self.speakers.items()},
            vips={r: self.lab.addresses(r) for r in self.speakers},
            macs={r: self.lab.mac(r, lan.interface) for r in self.speakers},
            client_arp=self.lab.neighbour_mac(client, gateway),
            gateways=self.gateways_now(expected),
        )

    def settle_client_arp(self, client: str, gateway: str, holders) -> float | None:
        """Up to ARP_SETTLE_S for the client's entry to point at a holder; the time it took."""
        if self.topology.vrrp.use_vmac:
            return None  # the virtual MAC, whoever holds it
        lan = self.topology.lan_instance()
        macs = {self.lab.mac(r, lan.interface) for r in holders if r in self.speakers}
        try:
            return wait_until(lambda: self.lab.neighbour_mac(client, gateway) in macs,
                              ARP_SETTLE_S, "the client's ARP entry to settle")
        except WaitTimeout:
            return None  # stale: the check will say so

    def gateways_now(self, expected: dict[str, str]) -> dict[str, dict]:
        """Load sharing: each LAN instance's VIP, its client's ARP entry, its expected master."""
        gateways = {}
        for inst in self.topology.gateway_instances():
            vip = str(inst.vips[0].ip)
            client = self.scenario.client_of(inst)
            master = expected.get(inst.name)
            if master and len(self.topology.gateway_instances()) > 1:
                self.settle_client_arp(client, vip, (master,))
            gateways[inst.name] = {"vip": vip, "client": client,
                                   "client_arp": self.lab.neighbour_mac(client, vip),
                                   "expected_master": expected.get(inst.name)}
        return gateways
