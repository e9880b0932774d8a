"""README.md of a `vrrplab export --containerlab` folder. Pure text, no I/O.

What the folder holds, the commands on one host (containerlab) and on a cluster
(clabernetes), the lesson's faults by hand, and what vrrplab measures that this lab does
not; docs/scale-out.md says the same at length.
"""

from __future__ import annotations

from vrrplab.export import clab_frr, configs
from vrrplab.export.containerlab import KEEPALIVED_IMAGE, START_SCRIPT, clab_file, container
from vrrplab.i18n import _
from vrrplab.loader.model import Scenario


def _block(lines: list[str]) -> list[str]:
    return ["```sh", *lines, "```"]


def readme(scenario: Scenario, router_image: str, files: list[str],
           speaker: str = "keepalived") -> str:
    """The folder's README.md; `files` the folder's files, in the order written."""
    frr = speaker == "frr"
    topology = scenario.topology
    clab = clab_file(scenario)
    first = topology.routers[0].name
    client = scenario.probe.source
    vip = topology.lan_instance().ping_address()
    lan = topology.lan_instance().interface
    described = {clab: _("the lab: nodes, links, each node's addresses and routes"),
                 "Dockerfile": _("the routers' image, {image}").format(image=router_image),
                 START_SCRIPT: _("the image's command: keepalived, once the addresses are set"),
                 clab_frr.DAEMONS: _("FRR's daemons file: vrrpd beside zebra"),
                 "README.md": _("this page")}
    for router in topology.routers:
        described[configs.config_name(router.name)] = _(
            "{router}'s keepalived.conf, as vrrplab's lab runs it").format(router=router.name)
        described[clab_frr.conf_name(router.name)] = _(
            "{router}'s frr.conf, as vrrplab's lab runs it").format(router=router.name)
    lines = [_("# {scenario} on containerlab").format(scenario=scenario.name), "",
             _("Written by `vrrplab export {scenario} --containerlab DIR`: the lab that "
               "`vrrplab run {scenario}` builds, for containerlab on one host or clabernetes "
               "on a Kubernetes cluster. The lab's data plane is its own links only: no "
               "node is on containerlab's management network, nothing routes out, and the "
               "internet the health checks ping (8.8.8.8...) is a host inside the lab.").format(
                 scenario=scenario.name), "",
             _("## Files"), ""]
    lines += [f"- `{name}`: " + described.get(name, _("a track script a keepalived.conf runs"))
              for name in files]
    lines += ["", _("## One host: containerlab"), "",
              _("Docker and containerlab installed, in this folder:"), ""]
    lines += _block(([] if frr else [f"docker build -t {router_image} ."]) + [
                     f"sudo containerlab deploy -t {clab}",
                     f"docker exec {container(scenario, client)} ping -c 5 {vip}",
                     f"docker logs {container(scenario, first)}",
                     f"sudo containerlab destroy -t {clab}"])
    lines += ["", _("## A cluster: clabernetes"), ""]
    convert = "cd DIR && clabverter --stdout --disableExpose | kubectl apply -f -"
    if frr:
        lines += [_("Turn the folder into Kubernetes objects with clabverter (the bound files "
                    "become ConfigMaps) and apply them; the cluster's nodes pull FRR's image. "
                    "vrrplab's docs/scale-out.md says more."), ""]
        lines += _block([convert.replace("DIR", ".")])
    else:
        lines += [_("The cluster's nodes pull the routers' image from a registry: push it to "
                    "one they reach and export again with its name (`--router-image`); then "
                    "turn the folder into Kubernetes objects with clabverter (the bound files "
                    "become ConfigMaps) and apply them. vrrplab's docs/scale-out.md says "
                    "more."), ""]
        pushed = f"REGISTRY/{KEEPALIVED_IMAGE}"
        lines += _block([f"docker build -t {pushed} .", f"docker push {pushed}",
                         f"vrrplab export {scenario.name} --containerlab DIR "
                         f"--router-image {pushed}", convert])
    lines += ["", _("## The faults, by hand"), ""]
    c = container(scenario, first)
    if frr:
        stop = clab_frr.stop_command(topology)
        lines += [_("- {router}'s vrrpd stops its instances (the lesson's failure: it sends "
                    "its priority-0 adverts): `docker exec {c} {stop}`; again: the same with "
                    "`no vrrp VRID shutdown`").format(router=first, c=c, stop=stop)]
    else:
        lines += [_("- {router}'s keepalived stops (the lesson's failure): `docker exec {c} "
                    "killall keepalived`; again: `docker exec -d {c} keepalived-start`").format(
                      router=first, c=c)]
    lines += [_("- {router}'s link down: `docker exec {c} ip link set dev {intf} down`").format(
                  router=first, c=c, intf=lan)]
    lines += [_("- who is master: `docker exec {c} vtysh -c 'show vrrp'`").format(c=c) if frr
              else _("- which router holds the VIP: `docker exec {c} ip addr show dev "
                     "{intf}`").format(c=c, intf=lan)]
    lines += ["", _("## What vrrplab measures that this lab does not"), "",
              _("vrrplab's faults on cue, its probes (a ping every 5 ms), the capture on the "
                "client's LAN, the RFC's bounds and the verdict are not carried: `vrrplab run "
                "{scenario}` measures them. A takeover timed here compares with vrrplab's only "
                "when it is captured on the LAN and the nodes' clocks agree "
                "(docs/scale-out.md).").format(scenario=scenario.name)]
    return "\n".join(lines) + "\n"
