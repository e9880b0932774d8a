"""What each speaker kind lacks or imposes, and the words for it. Pure data.

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
    # vrrplab's FRR driver, not vrrpd itself: a router that starts as Backup (its macvlan
    # in protodown) and becomes Master logs "Failed to find address to bind on vrrp6-10"
    # and sends no advert, though zebra (show interface) lists the macvlan's link-local
    # address; tried here: DAD off, keep_addr_on_down (the VIPs move, the adverts do not)
    "ipv6": N_("IPv6 (in vrrplab's FRR driver: vrrpd finds no address to bind its adverts "
               "to on the macvlan; not solved yet)"),
}
# speaker kind -> the features it does not have (FRR 8.4's vrrpd: its commands are
# version, priority, advertisement-interval, preempt, ip, ipv6, shutdown, and no more;
# its priority is 1-254, an owner's 255 is refused; IPv6 and a reused VRID are the
# driver's gaps, not vrrpd's)
LACKS = {"frr": frozenset(FEATURES)}
ALWAYS_VMAC = frozenset({"frr"})  # kinds that answer with 00:00:5e:00:01:VRID whatever the config


def describe_missing(missing: dict) -> Message:
    """Why a run is skipped (results.json `skipped_because`): a speaker lacks what the
    scenario needs."""
    return Message(N_("{routers} ({kind}): no {feature}, which the scenario needs"),
                   routers=", ".join(missing["routers"]), kind=missing["kind"],
                   feature=Message(FEATURES[missing["feature"]]))


def describe_adaptation(adapted: dict) -> Message:
    """One of `scenario.adapted` (results.json `adapted`) in words."""
    routers = ", ".join(adapted["routers"])
    if adapted["change"] == "use_vmac":
        return Message(N_("every router answers with the virtual MAC (use_vmac): {routers} "
                          "({kind}) always does"), routers=routers, kind=adapted["kind"])
    return Message(N_("run without {feature} on every router: {routers} ({kind}) has none, "
                      "and the scenario does not need it"),
                   feature=Message(FEATURES[adapted["feature"]]), routers=routers,
                   kind=adapted["kind"])
