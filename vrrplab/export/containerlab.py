"""The lab as a containerlab topology: the same nodes, links and settings. Pure text, no I/O.

`vrrplab export SCENARIO --containerlab DIR` (`clab_command`) writes what this module
renders, for containerlab on one host and clabernetes across a Kubernetes cluster
(docs/scale-out.md). It is the lab `lab/network.py` builds for `vrrplab run`:

- one `linux` node per router and host, named as in the topology, and one per segment
  named as Mininet names the segment's bridge (`s1`, `s2`...: the loader keeps those
  names free), a Linux bridge inside it, since containerlab's links are point to point;
- one link per interface, `NODE:IFACE` with the lesson's names (eth0, eth1), to a port
  of its segment's bridge;
- every node `network-mode: none`: no management interface, so eth0 is the lesson's and
  no route leads out of the lab. containerlab still makes its management network; the
  lab does not use it. The internet's stand-ins (8.8.8.8...) live on the upstream host,
  routed to it by the routers, as in the lab;
- each node's addresses, routes and sysctls as its `exec:` lines: `node_lines`, the
  lines `Lab._configure` runs (a unit test holds them equal);
- the routers' keepalived.conf as the lab runs it (`export/configs.py`) bound in, their
  track scripts bound then installed root-owned (keepalived's script security refuses a
  file a user owns, and a bound file keeps the host's owner); the image's start script
  (`start_script`) starts keepalived once the exec lines have made `READY`. With
  `--speaker frr`, FRR's vrrpd instead, as `export/clab_frr.py` says;
- each client's pings of its probe targets (its gateway's VIP first) as its last lines.

Not carried: vrrplab's faults, probes, capture, timings and verdicts. The routers' image
is built from the folder's Dockerfile (`dockerfile`): there is no official keepalived
image. Hosts and bridges run `HOST_IMAGE` (BusyBox's ip, sysctl and ping).
"""

from __future__ import annotations

import json
import shlex
import textwrap

from vrrplab.export import clab_frr, configs
from vrrplab.i18n import _
from vrrplab.loader.model import Node, Scenario, Topology

KEEPALIVED_VERSION = "2.2.7"  # Debian 12's, the one vrrplab's lab runs
KEEPALIVED_IMAGE = f"vrrplab/keepalived:{KEEPALIVED_VERSION}"
HOST_IMAGE = "alpine:3.20"  # small; BusyBox's ip, sysctl and ping run the lines below
READY = "/run/vrrplab-ready"  # the routers' last exec line makes it: keepalived may start
STAGING = "/vrrplab"  # where a router's bound track scripts wait to be installed
START_SCRIPT = "keepalived-start.sh"
START_COMMAND = "/usr/local/bin/keepalived-start"
BRIDGE = "br0"  # the Linux bridge inside each segment's node
PINGS, PING_DEADLINE_S = 3, 30  # a client's exec pings: this many replies, within this long
SPEAKERS = ("keepalived", "frr")
COMMENT_WIDTH = 86  # the topology file's comments: "# " and 86 characters
IMAGES = {"keepalived": KEEPALIVED_IMAGE, "frr": clab_frr.FRR_IMAGE}  # the routers' default


def clab_file(scenario: Scenario) -> str:
    """The topology file's name: containerlab looks for `*.clab.yml`."""
    return f"{scenario.name}.clab.yml"


def container(scenario: Scenario, node: str) -> str:
    """The container containerlab names for `node` (its default prefix, `clab`)."""
    return f"clab-{scenario.name}-{node}"


def bridges(topology: Topology) -> dict[str, str]:
    """segment -> the node that bridges it: s1, s2... in the topology's order, as Mininet."""
    return {segment: f"s{i}" for i, segment in enumerate(topology.segments, 1)}


def _ipv6_interface(intf) -> list[str]:
    """As `lab/network._ipv6_interface`: fe80:: + the host part and the global address, no
    DAD, kept across a link down/up, no autoconf."""
    conf = f"net.ipv6.conf.{intf.name}"
    return [f"sysctl -qw {conf}.disable_ipv6=0", f"sysctl -qw {conf}.addr_gen_mode=1",
            f"sysctl -qw {conf}.accept_dad=0", f"sysctl -qw {conf}.keep_addr_on_down=1",
            f"sysctl -qw {conf}.accept_ra=0", f"sysctl -qw {conf}.autoconf=0",
            f"ip addr flush dev {intf.name}",
            f"ip addr add {intf.link_local} dev {intf.name} nodad",
            f"ip addr add {intf.address} dev {intf.name} nodad"]


def _via(node: Node, hop) -> str:
    if hop.version == 6 and hop.is_link_local:
        intf = next(i for i in node.interfaces if i.address.version == 6)
        return f"via {hop} dev {intf.name}"
    return f"via {hop}"


def node_lines(topology: Topology, node: Node) -> list[str]:
    """The commands that give `node` its addresses, routes and sysctls: `Lab._configure`'s."""
    ipv6 = any(i.address.version == 6 for i in node.interfaces)
    lines = [] if ipv6 else ["sysctl -qw net.ipv6.conf.all.disable_ipv6=1"]  # a quiet wire
    for intf in node.interfaces:
        if intf.address.version == 6:
            lines += _ipv6_interface(intf)
        else:
            lines += [f"ip addr flush dev {intf.name}",
                      f"ip addr add {intf.address} dev {intf.name}"]
        lines.append(f"ip link set dev {intf.name} up")
    if node.role == "router":
        lines.append("sysctl -qw net.ipv4.ip_forward=1")
        if ipv6:
            lines.append("sysctl -qw net.ipv6.conf.all.forwarding=1")
        if topology.vrrp.use_vmac:
            lines += ["sysctl -qw net.ipv4.conf.all.arp_ignore=1",
                      "sysctl -qw net.ipv4.conf.all.arp_announce=2"]
    if node.gateway:
        lines.append(f"ip -{node.gateway.version} route replace default "
                     f"{_via(node, node.gateway)}")
    for route in node.routes:
        lines.append(f"ip -{route.via.version} route replace {route.to} {_via(node, route.via)}")
    return lines + _stand_ins(topology, node)


def _stand_ins(topology: Topology, node: Node) -> list[str]:
    """The internet's addresses (8.8.8.8...) on the upstream host's loopback, and the
    routers' routes to it: a health check that pings them never leaves the lab."""
    if node.answers_for:
        return ["ip link set dev lo up"] + [f"ip addr add {a}/{a.max_prefixlen} dev lo"
                                            for a in node.answers_for]
    if node.role != "router":
        return []
    lines, mine = [], {i.segment for i in node.interfaces}
    for host in topology.upstream_hosts:
        hop = next((i.address.ip for i in host.interfaces if i.segment in mine), None)
        lines += [f"ip -{a.version} route replace {a} via {hop}" for a in host.answers_for
                  if hop is not None and hop.version == a.version]
    return lines


def _busybox(line: str) -> str:
    """A line for BusyBox's ip, which has no `nodad`: accept_dad=0, set before, does it."""
    return line.removesuffix(" nodad")


def _bridge_lines(ports: int) -> list[str]:
    """A segment's node: its ports in one Linux bridge, no snooping, as the lab's bridges."""
    lines = ["sysctl -qw net.ipv6.conf.all.disable_ipv6=1",  # the bridge itself says nothing
             f"ip link add name {BRIDGE} type bridge",
             # BusyBox's ip has no mcast_snooping keyword: the bridge's own file
             f"sh -c 'echo 0 > /sys/class/net/{BRIDGE}/bridge/multicast_snooping'"]
    lines += [f"ip link set dev eth{p} master {BRIDGE} up" for p in range(1, ports + 1)]
    return lines + [f"ip link set dev {BRIDGE} up"]


def _pings(scenario: Scenario, node: Node) -> list[str]:
    return [f"ping -c {PINGS} -w {PING_DEADLINE_S} {target}"
            for probe in scenario.probes if probe.source == node.name for target in probe.targets]


def router_binds(topology: Topology, router: str) -> list[str]:
    """The router's keepalived.conf where keepalived reads it, its track scripts staged."""
    binds = [f"{configs.config_name(router)}:/etc/keepalived/keepalived.conf:ro"]
    return binds + [f"{name}:{STAGING}/{name}:ro" for name in _scripts_of(topology, router)]


def _scripts_of(topology: Topology, router: str) -> list[str]:
    return [name for name in configs.scripts(topology) if name.startswith(f"{router}.")]


def document(scenario: Scenario, router_image: str = KEEPALIVED_IMAGE,
             speaker: str = "keepalived") -> dict:
    """The topology file as data: what containerlab reads (`render` writes it with comments).
    With `speaker` frr, `scenario` is the one `clab_frr.fitted` gives."""
    topology = scenario.topology
    nodes: dict[str, dict] = {}
    for node in topology.nodes:
        lines = node_lines(topology, node)
        if node.role == "router" and speaker == "frr":
            nodes[node.name] = clab_frr.router_node(topology, node, router_image, lines, READY)
        elif node.role == "router":
            lines += [f"install -m 0755 {STAGING}/{name} {configs.SCRIPT_DIR}/{name}"
                      for name in _scripts_of(topology, node.name)]
            nodes[node.name] = {"kind": "linux", "image": router_image, "network-mode": "none",
                                "binds": router_binds(topology, node.name),
                                "exec": lines + [f"touch {READY}"]}
        else:
            lines = [_busybox(line) for line in lines] + _pings(scenario, node)
            nodes[node.name] = {"kind": "linux", "image": HOST_IMAGE, "network-mode": "none",
                                "cmd": "sleep infinity", "exec": lines}
    links = []
    for segment, bridge in bridges(topology).items():
        members = [(n.name, i.name) for n in topology.nodes for i in n.interfaces
                   if i.segment == segment]
        nodes[bridge] = {"kind": "linux", "image": HOST_IMAGE, "network-mode": "none",
                         "cmd": "sleep infinity", "exec": _bridge_lines(len(members))}
        links += [{"endpoints": [f"{node}:{intf}", f"{bridge}:eth{port}"]}
                  for port, (node, intf) in enumerate(members, 1)]
    return {"name": scenario.name, "topology": {"nodes": nodes, "links": links}}


def _q(value: str) -> str:
    """A YAML scalar: JSON's double-quoted string is YAML's too."""
    return json.dumps(value)


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


def _node_comment(topology: Topology, name: str, speaker: str) -> str:
    segment = next((s for s, b in bridges(topology).items() if b == name), None)
    if segment is not None:
        return _("{node}: segment {segment} ({subnet}), a Linux bridge").format(
            node=name, segment=segment, subnet=topology.segments[segment])
    node = topology.node(name)
    if node.role == "router" and speaker == "frr":
        return _("{node}: router, FRR's vrrpd with its frr.conf").format(node=name)
    if node.role == "router":
        return _("{node}: router, keepalived with its keepalived.conf").format(node=name)
    if node.answers_for:
        return _("{node}: the internet inside the lab, also at {addresses}").format(
            node=name, addresses=", ".join(map(str, node.answers_for)))
    roles = {"client": _("client"), "upstream": _("upstream host"),
             "attacker": _("attacker (vrrplab's attack is not carried)")}
    return f"{name}: {roles.get(node.role, node.role)}"


def render(scenario: Scenario, router_image: str = KEEPALIVED_IMAGE,
           speaker: str = "keepalived", adapted: tuple[str, ...] = ()) -> str:
    """The topology file: `document` as YAML, a comment on top (with each of `adapted`,
    what FRR changed, in words) and before each node."""
    doc = document(scenario, router_image, speaker)
    topology = scenario.topology
    lines = _comment(header(scenario, router_image, speaker, adapted))
    lines += ["", f"name: {_q(doc['name'])}", "", "topology:", "  nodes:"]
    for name, spec in doc["topology"]["nodes"].items():
        lines += _comment(_node_comment(topology, name, speaker), "    ") + [f"    {name}:"]
        for key, value in spec.items():
            if isinstance(value, list):
                lines += [f"      {key}:"] + [f"        - {_q(v)}" for v in value]
            else:
                lines.append(f"      {key}: {_q(value)}")
    lines.append("  links:")
    for link in doc["topology"]["links"]:
        lines.append(f"    - endpoints: [{', '.join(_q(e) for e in link['endpoints'])}]")
    return "\n".join(lines) + "\n"


def header(scenario: Scenario, router_image: str, speaker: str = "keepalived",
           adapted: tuple[str, ...] = ()) -> str:
    """The comment on top of the topology file: what it is, where nothing goes, what next;
    each paragraph wrapped (the translation's length is its own)."""
    values = dict(scenario=scenario.name, topology=scenario.topology.name, image=router_image,
                  clab=clab_file(scenario))
    # TRANSLATORS: this and the next messages are the comment on top of the containerlab
    # topology file (YAML), each a paragraph (vrrplab wraps it)
    intro = _("{scenario}: vrrplab's lab for containerlab (one host) and clabernetes (a "
              "cluster), written by `vrrplab export {scenario} --containerlab DIR` from the "
              "topology {topology}: the lab `vrrplab run {scenario}` builds, its nodes, the "
              "lesson's interface names, a Linux bridge per segment (s1, s2...), the same "
              "addresses, routes and keepalived.conf.")
    if speaker == "frr":
        intro = _("{scenario}: vrrplab's lab for containerlab (one host) and clabernetes (a "
                  "cluster), written by `vrrplab export {scenario} --containerlab DIR --speaker "
                  "frr` from the topology {topology}: the lab `vrrplab run {scenario} --speaker "
                  "frr` builds, its nodes, the lesson's interface names, a Linux bridge per "
                  "segment (s1, s2...), the same addresses, routes and frr.conf, on FRR's image "
                  "{image}.")
    mgmt = _("containerlab makes its management network (the docker network \"clab\") as "
             "always; no node of this lab is on it (network-mode: none): the lab's data plane "
             "is the links below and nothing else, eth0 is the lesson's eth0, and no route "
             "leads out of the lab. The internet (8.8.8.8...) is a host inside the lab, as in "
             "vrrplab.")
    steps = [_("Deploy:  sudo containerlab deploy -t {clab}    (README.md: on a cluster)")]
    if speaker != "frr":
        steps = [_("First build the routers' image, in this folder:  docker build -t {image} ."),
                 _("Then:  sudo containerlab deploy -t {clab}    (README.md: on a cluster)")]
    parts = [_wrapped(intro.format(**values)), _wrapped(mgmt),
             "\n".join(step.format(**values) for step in steps)]
    if adapted:
        parts.append("\n".join([_wrapped(_("What vrrplab changes to run this scenario on FRR, "
                                            "as in its own lab:"))]
                               + [_wrapped(line, "- ", "  ") for line in adapted]))
    return "\n\n".join(parts)


def _wrapped(text: str, first: str = "", then: str = "") -> str:
    return textwrap.fill(text, COMMENT_WIDTH, initial_indent=first, subsequent_indent=then,
                         break_long_words=False, break_on_hyphens=False)


def dockerfile(scenario: Scenario, router_image: str = KEEPALIVED_IMAGE) -> str:
    """The routers' image: keepalived 2.2.7 (Debian 12's) and the lesson's tools."""
    # TRANSLATORS: comment lines at the top of a Dockerfile
    head = _wrapped(_("{image}: the routers of {clab} (vrrplab export --containerlab): "
                      "keepalived {version}, the version vrrplab's lab runs (Debian 12's), and "
                      "the lesson's tools: ping, ip, killall, sysctl.").format(
        image=router_image, clab=clab_file(scenario), version=KEEPALIVED_VERSION))
    head += "\n" + _("Build it in this folder, before deploying:  docker build -t {image} ."
                     ).format(image=router_image)
    check = _wrapped(_("The tag names keepalived's version: the build stops if Debian's is "
                       "another."))
    pattern = KEEPALIVED_VERSION.replace(".", r"\.")
    return "\n".join(_comment(head) + [
        "FROM debian:bookworm-slim",
        "RUN apt-get update \\",
        " && apt-get install -y --no-install-recommends \\",
        "      keepalived iputils-ping iproute2 psmisc procps \\",
        " && rm -rf /var/lib/apt/lists/*"] + _comment(check) + [
        f'RUN keepalived --version 2>&1 | grep -q "^Keepalived v{pattern} "',
        f"COPY {START_SCRIPT} {START_COMMAND}",
        f'CMD ["{START_COMMAND}"]']) + "\n"


def start_script() -> str:
    """The image's command: wait for the exec lines, run keepalived, outlive it."""
    # TRANSLATORS: comment lines of a shell script (keep them short)
    head = _wrapped(_("The router's keepalived, the image's command (vrrplab export "
                      "--containerlab). containerlab's exec lines give the router its addresses "
                      "first; their last line makes {ready}. keepalived's log: docker logs "
                      "CONTAINER. When keepalived ends (killall keepalived: the lesson's "
                      "failure), the router stays up; start it again with: docker exec -d "
                      "CONTAINER keepalived-start").format(ready=READY))
    ended = _("keepalived ended (exit {code}); the router stays up. Start it again: "
              "docker exec -d CONTAINER keepalived-start")
    said = shlex.quote(ended.replace("%", "%%").replace("{code}", "%s"))
    return "\n".join(["#!/bin/sh"] + _comment(head) + [
        f"while [ ! -e {READY} ]; do sleep 0.2; done",
        "keepalived --dont-fork --log-console --log-detail "
        "-f /etc/keepalived/keepalived.conf &",
        "speaker=$!",
        "trap 'kill -TERM \"$speaker\" 2>/dev/null; wait \"$speaker\"; exit 0' TERM INT",
        "wait \"$speaker\"",
        "code=$?",
        f"printf {said}'\\n' \"$code\"",
        '[ "$$" = 1 ] || exit "$code"  # started again by hand: done',
        "trap 'exit 0' TERM INT",
        "while :; do sleep 3600 & wait $!; done"]) + "\n"
