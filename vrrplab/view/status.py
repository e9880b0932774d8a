"""Each router's VRRP status now, read cheaply, and drawn as one rich table.

Read from the speakers' own state (their logs: no shell, no process), so the live view,
`vrrplab shell`'s `state` and `watch` can ask it often without touching the measurement.
A MASTER holds its instance's VIPs: that is what the speakers do on entering MASTER.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from vrrplab.i18n import _

STATE_STYLES = {"MASTER": "bold green", "BACKUP": "cyan", "FAULT": "bold red",
                "INIT": "yellow", "STOPPED": "dim"}


@dataclass(frozen=True)
class InstanceStatus:
    instance: str
    vrid: int
    state: str  # MASTER, BACKUP, FAULT, INIT or STOPPED
    priority: int  # as configured (a track script's weight is not shown here)
    vips: tuple[str, ...]  # the instance's VIPs when this router is MASTER, else ()


@dataclass(frozen=True)
class RouterStatus:
    router: str
    kind: str  # keepalived or bundled
    instances: tuple[InstanceStatus, ...]


def read_status(topology, speakers: dict) -> list[RouterStatus]:
    """Every started router's status, per VRRP instance, in the topology's order."""
    statuses = []
    for router in topology.routers:
        speaker = speakers.get(router.name)
        if speaker is None:
            continue
        instances = []
        for inst in topology.vrrp.instances:
            state = speaker.state(inst.name)
            vips = tuple(str(v.ip) for v in inst.vips) if state == "MASTER" else ()
            instances.append(InstanceStatus(inst.name, inst.vrid, state,
                                            topology.vrrp.priority(router.name, inst.name), vips))
        statuses.append(RouterStatus(router.name, speaker.kind, tuple(instances)))
    return statuses


def state_text(state: str) -> Text:
    # keepalived's own words, in French too ("routeur maître (état MASTER)")
    return Text(state, style=STATE_STYLES.get(state, ""))


def routers_table(statuses: list[RouterStatus]) -> Table:
    """One row per router and instance: state, priority, the VIPs it holds."""
    table = Table(title=_("Routers"), title_justify="left", expand=False)
    table.add_column(_("router"))
    table.add_column(_("daemon"))
    table.add_column(_("instance (VRID)"))
    table.add_column(_("state"))
    table.add_column(_("priority"), justify="right")
    table.add_column(_("VIPs held"))
    for status in statuses:
        for n, inst in enumerate(status.instances):
            table.add_row(status.router if n == 0 else "", status.kind if n == 0 else "",
                          f"{inst.instance} ({inst.vrid})", state_text(inst.state),
                          str(inst.priority), ", ".join(inst.vips) or "—")
    return table
