"""topology.png: the lab drawn for a printed sheet, from the topology alone (no run).

The clients' LAN across the top with the hosts on it above, the routers below it, each
other segment (upstream) under the routers with its hosts under it. Each segment names
its subnet and, at its right end, the VIPs the routers share on it with their VRID; each
box gives a node's addresses, a router's priority and the state its configuration starts
it in. Black on white with light fills, large type: readable printed in black and white,
the router that starts as master drawn with a thick border.
"""

from __future__ import annotations

import io

from vrrplab.i18n import _
from vrrplab.loader.model import Node, Topology

WIDTH_IN, DPI = 12.0, 150  # 1800 px wide: sharp on an A4 page
BOX_W, GAP = 2.6, 0.5  # in data units (inches)
CHAR_IN = 0.12  # the width of a character of a segment's labels (13 pt bold)
FONT = "DejaVu Sans"
FILLS = {"router": "#ffffff", "master": "#dff3e4", "client": "#e4ecfa", "upstream": "#eeeeee",
         "attacker": "#fbe0de"}


def _router_lines(topology: Topology, node: Node) -> tuple[list[str], bool]:
    """A router's box: name, each interface's address, its priority (group by group when
    the groups differ), the state it starts in."""
    vrrp = topology.vrrp
    lines = [node.name]
    lines += [f"{i.name} {i.address.ip}" for i in node.interfaces]
    priorities = []
    for inst in topology.gateway_instances():
        p = vrrp.priority(node.name, inst.name)
        if p not in priorities:
            priorities.append(p)
    lines.append(_("priority {priority}").format(priority=" / ".join(map(str, priorities))))
    states = {vrrp.state(node.name, inst.name) for inst in topology.gateway_instances()}
    master = states == {"MASTER"}
    if len(states) == 1:
        lines.append(_("starts as {state}").format(state=states.pop()))
    return lines, master


def _host_lines(topology: Topology, node: Node) -> list[str]:
    role = {"client": _("client"), "upstream": _("upstream host"),
            "attacker": _("attacker")}.get(node.role, node.role)
    lines = [node.name, role] + [str(i.address.ip) for i in node.interfaces]
    if node.gateway is not None:
        lines.append(_("gateway {vip}").format(vip=node.gateway))
    return lines


def _vip_labels(topology: Topology, segment: str) -> list[str]:
    out = []
    for inst in topology.vrrp.instances:
        if topology.segment_of(topology.routers[0].name, inst.interface) == segment:
            vips = ", ".join(str(v.ip) for v in inst.vips)
            out.append(f"VIP {vips} · VRID {inst.vrid}")
    return out


def _clear_of(candidates: list[list[float]], routers: list[float]) -> list[float]:
    """The first placement of host boxes whose links keep clear of the routers' (a link
    right above or below a router's would seem to run through the segment into it); the
    first one shifted aside if none does."""
    def clear(centres):
        return all(abs(c - r) >= 0.6 for c in centres for r in routers)

    for centres in candidates:
        if clear(centres):
            return centres
    return [c + 0.9 for c in candidates[0]]


def draw_topology(topology: Topology, title: str | None = None) -> bytes:
    """The PNG's bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    lan = topology.lan_segment()
    others = [s for s in topology.segments if s != lan and any(
        i.segment == s for n in topology.nodes for i in n.interfaces)]
    above = [n for n in topology.nodes if n.role != "router" and n.interfaces[0].segment == lan]
    below = {s: [n for n in topology.nodes if n.role != "router" and n.interfaces[0].segment == s]
             for s in others}
    routers = list(topology.routers)

    line_h = 0.32
    router_h = line_h * (len(max((_router_lines(topology, r)[0] for r in routers), key=len)) + 0.6)
    host_h = line_h * (max([len(_host_lines(topology, n)) for n in topology.nodes
                            if n.role != "router"] or [2]) + 0.6)
    # each segment's name and subnet in a column on the left, where its line starts; the
    # VIPs' labels under its right end: what hangs below a segment keeps clear of both
    left = max(len(str(net)) for net in topology.segments.values()) * CHAR_IN + GAP
    reserve = max([len(label) for s in topology.segments for label in _vip_labels(topology, s)]
                  or [0]) * CHAR_IN + GAP
    widest = max(len(routers), *[len(v) for v in below.values()], 1)
    width = max(WIDTH_IN, left + widest * (BOX_W + GAP) + reserve,
                left + len(above) * (BOX_W + GAP))
    # from the top: title, hosts above the LAN, the LAN, routers, then each other segment
    y = 0.0
    title_h = 0.7 if title else 0.2
    y -= title_h
    top_hosts_y = y - host_h if above else y
    lan_y = top_hosts_y - 0.8
    router_top = lan_y - 0.8
    router_bottom = router_top - router_h
    segment_y, hosts_top = {}, {}
    cursor = router_bottom - 0.8
    for s in others:
        segment_y[s] = cursor
        hosts_top[s] = cursor - 0.7
        cursor = hosts_top[s] - (host_h if below[s] else 0) - 0.8
    height = -cursor - 0.5

    fig = plt.figure(figsize=(width, height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(-height, 0)
    ax.axis("off")
    if title:
        ax.text(GAP, -0.4, title, fontsize=18, fontweight="bold", family=FONT, va="center")

    def xs(n: int, right: float = width) -> list[float]:
        """Box centres spread evenly between the names' column and `right`."""
        room = right - left
        step = room / (n + 1)
        if step < BOX_W + GAP:  # tight: each box in a slot of its own
            step = room / max(n, 1)
            return [left + step * (i + 0.5) for i in range(n)]
        return [left + step * (i + 1) for i in range(n)]

    def box(cx: float, top: float, h: float, lines: list[str], kind: str) -> None:
        master = kind == "master"
        ax.add_patch(FancyBboxPatch((cx - BOX_W / 2, top - h), BOX_W, h,
                                    boxstyle="round,pad=0,rounding_size=0.12",
                                    facecolor=FILLS.get(kind, "#ffffff"), edgecolor="#111",
                                    linewidth=4 if master else 1.6, zorder=3))
        for i, text in enumerate(lines):
            ax.text(cx, top - line_h * (i + 0.9), text, ha="center", va="center", zorder=4,
                    family=FONT, fontsize=15 if i == 0 else 12,
                    fontweight="bold" if i == 0 or (master and text == lines[-1]) else "normal")

    def segment(name: str, yy: float) -> None:
        ax.plot([left, width - GAP * 0.6], [yy, yy], color="#111", linewidth=6,
                solid_capstyle="round", zorder=2)
        ax.text(left - 0.2, yy + 0.17, name, fontsize=14, fontweight="bold", family=FONT,
                va="center", ha="right", zorder=4)
        ax.text(left - 0.2, yy - 0.17, str(topology.segments[name]), fontsize=12,
                family=FONT, va="center", ha="right", zorder=4)
        for i, label in enumerate(_vip_labels(topology, name)):
            ax.text(width - GAP * 0.6, yy - 0.25 - 0.32 * i, label, fontsize=13,
                    fontweight="bold", family=FONT, va="center", ha="right", color="#1f4e99",
                    zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})

    def link(x: float, y1: float, y2: float) -> None:
        ax.plot([x, x], [y1, y2], color="#555", linewidth=2.2, zorder=1)

    segment(lan, lan_y)
    router_xs = xs(len(routers), width - reserve)
    placed = _clear_of([xs(len(above), width - reserve), xs(len(above))], router_xs)
    for cx, node in zip(placed, above):
        box(cx, top_hosts_y + host_h, host_h, _host_lines(topology, node),
            node.role if node.role in FILLS else "client")
        link(cx, top_hosts_y, lan_y)
    # the routers sit between the LAN's VIP labels' column and the left edge: spread evenly
    for cx, node in zip(router_xs, routers):
        lines, master = _router_lines(topology, node)
        box(cx, router_top, router_h, lines, "master" if master else "router")
        for intf in node.interfaces:
            yy = lan_y if intf.segment == lan else segment_y.get(intf.segment)
            if yy is None:
                continue
            start = router_top if intf.segment == lan else router_bottom
            link(cx, start, yy)
            ax.text(cx + 0.08, (start + yy) / 2, intf.name, fontsize=11, family=FONT,
                    va="center", ha="left", color="#333", zorder=4)
    for s in others:
        segment(s, segment_y[s])
        placed = _clear_of([xs(len(below[s]), width - reserve)], router_xs)
        for cx, node in zip(placed, below[s]):
            box(cx, hosts_top[s], host_h, _host_lines(topology, node),
                node.role if node.role in FILLS else "upstream")
            link(cx, segment_y[s], hosts_top[s])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()
