"""What each speaker kind lacks or imposes, what it is known to do against the RFC, and
the words for it. Pure data.

`speakers.fit` decides from it whether a scenario runs on a set of speakers (and how it
is adapted); the summary and the report word the decisions with it (analysis may not
import the speakers).
"""

from __future__ import annotations

from vrrplab.i18n import N_, Message

FEATURES = {
    "auth": N_("VRRPv2 PASS authentication (auth_pass)"),
    "sync_group": N_("sync groups"),
    "scripts": N_("health-check scripts (vrrp_script, track_script)"),
    "track_interface": N_("interface tracking (track_interface)"),
    "preempt_delay": N_("preempt_delay"),
    "owner": N_("an address owner (priority 255)"),
    # vrrplab's FRR driver: vrrpd's log names a virtual router by VRID and family only, and
    # the driver names its macvlans so: one VRID on two interfaces would be one
    "vrid_reused": N_("one VRID on two interfaces (in vrrplab's FRR driver: vrrpd's log and "
                      "the macvlans name a virtual router by its VRID)"),
    # the bundled speaker's IPv6 instances run on the interface's own MAC only
    # (bundled/config.py refuses use_vmac with IPv6): next to FRR, which always answers
    # with the virtual MAC and so makes every router use it, an IPv6 scenario cannot run
    "ipv6_vmac": N_("IPv6 virtual MAC (use_vmac, which FRR's vrrpd imposes on every router)"),
}
# speaker kind -> the features it does not have (FRR 8.4's vrrpd: its commands are
# version, priority, advertisement-interval, preempt, ip, ipv6, shutdown, and no more;
# its priority is 1-254, an owner's 255 is refused; a reused VRID is the driver's gap.
# The bundled speaker: no IPv6 virtual MAC yet)
LACKS = {"frr": frozenset(FEATURES) - {"ipv6_vmac"}, "bundled": frozenset({"ipv6_vmac"})}
ALWAYS_VMAC = frozenset({"frr"})  # kinds that answer with 00:00:5e:00:01:VRID whatever the config

# speaker kind -> {a feature the scenario uses: what the speaker does with it against the
# RFC}. Known findings: the run goes on as written, its checks fail as they must (never
# loosened), and the summary, report.html and the interop matrix say why beside them.
#
# frr, IPv6: FRR 8.4's vrrpd with its zebra, not vrrplab's driver. Over IPv6 a router
# that becomes Master sends no advert until one advertisement interval later (so its
# takeover is late by that much, measured here: 1.604 s after a goodbye against the
# RFC's 0.609 s, 4.58 s after a restart against 3.53 s). Found with `debug vrrp` and
# `debug zebra events`: as Backup the macvlan is in protodown, and zebra tells vrrpd the
# addresses of an interface that goes down are deleted; Backup also forgets the advert's
# source. As Master, vrrpd lifts protodown and waits for zebra's "up" to send its pending
# advert, but zebra sends "up" first and the addresses after it (zebra/interface.c,
# if_up: zebra_interface_up_update, then if_install_connected), so the advert finds no
# link-local on the macvlan ("Failed to find address to bind on vrrp6-10", vrrp.c
# vrrp_bind_to_primary_connected) and is dropped; the next one, at the Adver_Timer,
# binds and goes. Its unsolicited NAs do go at once (0.601 s after the goodbye).
# The client loses nothing for it (0 probes to the VIP or through the gateway over 15
# runs, ignore_routes_with_linkdown set for IPv6 as for IPv4: frr_conf.ROUTER_SYSCTLS):
# a Backup's macvlan in protodown still receives what the switch sends to the virtual
# MAC and answers or forwards it through its parent interface. Before that setting, the
# Backup routed some of it out of its protodown macvlan and the client lost up to 2 s
# (the VIP's answers late in 6 of 8 runs, traffic through the gateway in some).
# The first convergence shows the late advert as well: r2's Master_Down_Timer expires
# before r1's first advert, so r2 is Master too for about an interval; a snapshot taken
# then sees the VIP up on both (the converge check fails, 3 runs in 15), and when r2
# steps down zebra's final Router Advertisement from the virtual MAC moves the switch's
# entry to r2 until r1's next advert. IPv4 is not affected: its adverts come from the
# parent interface, which stays up. Tried: DAD off, keep_addr_on_down; the link-local
# set by hand (addrgenmode none, the interface's own fe80::10: kept, the adverts now
# name their router, the first is still missing); `no link-detect` on the macvlan (zebra
# still deletes the addresses on protodown, and vrrpd, which then thinks the macvlan up,
# never finds one). The fix is vrrpd's (send the pending advert when the link-local
# arrives), not the driver's. tests/lab/test_frr.py holds the failures it causes.
KNOWN = {"frr": {"ipv6": N_(
    "over IPv6 a router that becomes master sends its first advert one advertisement "
    "interval late: FRR 8.4's zebra reports the macvlan up before putting its addresses "
    "back, so vrrpd's pending advert finds no link-local address and is dropped (its "
    "Neighbor Advertisements go on time); the next advert goes at the advertisement "
    "timer. A finding about vrrpd, not vrrplab's driver: the checks that time it fail")}}


def describe_missing(missing: dict) -> Message:
    """Why a run is skipped (results.json `skipped_because`): a speaker lacks what the
    scenario needs."""
    return Message(N_("{routers} ({kind}): no {feature}, which the scenario needs"),
                   routers=", ".join(missing["routers"]), kind=missing["kind"],
                   feature=Message(FEATURES[missing["feature"]]))


def describe_adaptation(adapted: dict) -> Message:
    """One of `scenario.adapted` (results.json `adapted`) in words."""
    routers = ", ".join(adapted["routers"])
    if adapted["change"] == "known":
        return Message(N_("{routers} ({kind}): {finding}"), routers=routers,
                       kind=adapted["kind"],
                       finding=Message(KNOWN[adapted["kind"]][adapted["feature"]]))
    if adapted["change"] == "use_vmac":
        return Message(N_("every router answers with the virtual MAC (use_vmac): {routers} "
                          "({kind}) always does"), routers=routers, kind=adapted["kind"])
    return Message(N_("run without {feature} on every router: {routers} ({kind}) has none, "
                      "and the scenario does not need it"),
                   feature=Message(FEATURES[adapted["feature"]]), routers=routers,
                   kind=adapted["kind"])
