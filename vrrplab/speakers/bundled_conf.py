"""Render the bundled speaker's config for one router from the topology. Pure text, no I/O.

The bundled counterpart of `keepalived_conf`: the same model, written as JSON
that `vrrplab.bundled.config` reads back. One document per router:

    schema      1
    router      "r1"
    source      the topology file it came from
    sync_group  {"name": "GATEWAY", "instances": [...]} or null (as keepalived's
                vrrp_sync_group: rendered only with two instances or more)
    scripts     {name: {script, interval, weight, rise, fall}}  (keepalived's vrrp_script)
    instances   [{name, vrid, interface, primary_ip, vips, priority, state, version,
                  advert_int, preempt, preempt_delay, auth_pass, use_vmac,
                  track_scripts: [name], track_interfaces: [interface]}]

`primary_ip` is the router's own address on the instance's interface: the
source of its adverts (RFC 5798 §5.1.1.1). `auth_pass` is the router's own when
it has one (`Vrrp.auth_pass_of`), null without authentication. VIPs keep
their prefix, as keepalived.conf's `virtual_ipaddress` has them.

Test-only: with the environment variable VRRPLAB_TEST_MISTIME set to one of
`vrrplab.bundled.mistimed.MISTIMINGS`, the document also gets `test_mistime`,
and the speaker runs deliberately mis-timed (lab tests of the verdicts).
"""

from __future__ import annotations

import json
import os
from typing import Any

from vrrplab.bundled.config import SCHEMA
from vrrplab.bundled.mistimed import MISTIMINGS
from vrrplab.loader.model import Topology, TrackScript, VrrpInstance

MISTIME_ENV = "VRRPLAB_TEST_MISTIME"


def render_bundled_conf(topology: Topology, router: str) -> str:
    vrrp = topology.vrrp
    me = vrrp.router(router)
    names = [inst.name for inst in vrrp.instances]
    synced = bool(vrrp.sync_group) and len(names) > 1
    document = {
        "schema": SCHEMA,
        "router": router,
        "source": topology.path.name,
        "sync_group": {"name": vrrp.sync_group, "instances": names} if synced else None,
        "scripts": {s.name: _script(s) for s in me.track_scripts},
        "instances": [_instance(topology, router, inst) for inst in vrrp.instances],
    }
    mistime = _test_mistime()
    if mistime:
        document["test_mistime"] = mistime
    return json.dumps(document, indent=2) + "\n"


def _test_mistime() -> str | None:
    """The test-only mistiming asked for in the environment; never set outside lab tests."""
    value = os.environ.get(MISTIME_ENV)
    if not value:
        return None
    if value not in MISTIMINGS:
        raise ValueError(f"{MISTIME_ENV}={value!r}: expected one of {', '.join(MISTIMINGS)}")
    return value


def _script(script: TrackScript) -> dict[str, Any]:
    return {"script": script.script, "interval": script.interval, "weight": script.weight,
            "rise": script.rise, "fall": script.fall}


def _instance(topology: Topology, router: str, inst: VrrpInstance) -> dict[str, Any]:
    vrrp = topology.vrrp
    me = vrrp.router(router)
    return {
        "name": inst.name,
        "vrid": inst.vrid,
        "interface": inst.interface,
        "primary_ip": str(topology.node(router).interface(inst.interface).address.ip),
        "vips": [str(vip) for vip in inst.vips],
        "priority": vrrp.priority(router, inst.name),
        "state": vrrp.state(router, inst.name),
        "version": vrrp.version,
        "advert_int": float(vrrp.advert_int),
        "preempt": vrrp.preempt,
        "preempt_delay": float(vrrp.preempt_delay),
        "auth_pass": vrrp.auth_pass_of(router),
        "use_vmac": vrrp.use_vmac,
        "track_scripts": [s.name for s in me.track_scripts],
        "track_interfaces": list(me.track_interfaces),
    }
