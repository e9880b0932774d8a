"""The routers' keepalived.conf, as read, mapped onto vrrplab's model (`loader.model.Vrrp`).

`keepalived_read` reads each file as written; this says what the pair means in the
model the renderer, the bundled speaker and the checks use: the instances of the
first router's file (name, VRID, interface, VIPs), each router's priority, state,
password, track scripts and tracked interfaces, the group's version, advert interval,
preemption and vmac. A priority that differs between a router's instances becomes the
instance's own `priorities` (load sharing). What the model cannot hold is the lint's to
say (`lint/`), not this module's: here the first value wins. Pure, no I/O.
"""

from __future__ import annotations

from vrrplab.loader.model import TrackScript, Vrrp, VrrpInstance, VrrpRouter
from vrrplab.speakers.keepalived_read import Config, Instance, Script

PASS_BYTES = 8  # keepalived keeps the first 8 characters of auth_pass (VRRPv2's field)


def _value(setting, default=None):
    return setting.value if setting is not None else default


def _merge(orders: list[list[str]]) -> list[str]:
    """One order that keeps every list's own order (interfaces tracked per instance)."""
    merged: list[str] = []
    for order in orders:
        for i, name in enumerate(order):
            if name in merged:
                continue
            later = [n for n in order[i + 1:] if n in merged]
            merged.insert(merged.index(later[0]) if later else len(merged), name)
    return merged


def _track_script(script: Script) -> TrackScript:
    return TrackScript(name=script.name, script=_value(script.script, ""),
                       interval=float(_value(script.interval, 1.0)),
                       weight=_value(script.weight, 0), rise=_value(script.rise, 1),
                       fall=_value(script.fall, 1))


def _router(name: str, config: Config, first: Instance, group_pass: str | None) -> VrrpRouter:
    tracked = {ref.name for inst in config.instances for ref in inst.track_scripts}
    scripts = tuple(_track_script(s) for s in config.scripts.values() if s.name in tracked)
    interfaces = _merge([[ref.name for ref in inst.track_interfaces]
                         for inst in config.instances])
    own_pass = _value(first.auth_pass)
    return VrrpRouter(name=name, priority=_value(first.priority, 100),
                      state=_value(first.state, "BACKUP"), track_scripts=scripts,
                      track_interfaces=tuple(interfaces),
                      auth_pass=own_pass if own_pass != group_pass else None)


def to_vrrp(configs: dict[str, Config]) -> Vrrp:
    """The routers' configs (router name -> its Config, in router order) as one `Vrrp`.

    The first router's file gives the instances; the others are matched by instance
    name. Raises ValueError when a file has no vrrp_instance.
    """
    names = list(configs)
    first_config = configs[names[0]]
    if not all(c.instances for c in configs.values()):
        raise ValueError("a config without any vrrp_instance")
    lead = first_config.instances[0]
    group_pass = _value(lead.auth_pass)
    routers = tuple(_router(n, c, c.instances[0], group_pass) for n, c in configs.items())
    instances = []
    for inst in first_config.instances:
        mine = {n: configs[n].instance(inst.name) or configs[n].instances[0] for n in names}
        own = tuple((n, _value(i.priority, 100)) for n, i in mine.items())
        differs = any(p != r.priority for (_, p), r in zip(own, routers))
        instances.append(VrrpInstance(
            name=inst.name, vrid=_value(inst.vrid, 0), interface=_value(inst.interface, ""),
            vips=tuple(v.value for v in inst.vips), priorities=own if differs else ()))
    groups = first_config.sync_groups
    return Vrrp(version=first_config.version_of(lead),
                advert_int=float(_value(lead.advert_int, 1.0)),
                auth_pass=group_pass, preempt=lead.nopreempt is None,
                sync_group=groups[0].name if groups else None,
                instances=tuple(instances), routers=routers,
                preempt_delay=float(_value(lead.preempt_delay, 0.0)),
                use_vmac=any(i.use_vmac is not None for i in first_config.instances))
