"""Load topologies and scenarios from YAML and validate them into `model` data.

Every problem is reported as `FILE: FIELD: expected ..., got ...`, all of them at
once, as an `InputError` (exit 2). Loading never touches the network, needs no
root and starts nothing. Whatever the file holds (any YAML type anywhere, null
values, a list where a mapping belongs), the only exception that leaves this
package is `InputError`.

`yamlio` reads YAML safely and holds the `Checker` that collects problems;
`topology` loads a topology and its VRRP section; `scenario` finds and loads a
scenario (steps, faults, probes) over its topology. The names below are the
package's interface: import them from `vrrplab.loader`. The loaders look
`read_yaml` up here at each call, so replacing `vrrplab.loader.read_yaml` (as a
test does) reaches them.
"""

from __future__ import annotations

from vrrplab.loader.scenario import (
    ALLOWANCES,
    MAX_RUN_S,
    NO_MASTER,
    PROJECT_ROOT,
    default_probes,
    find_scenario,
    list_scenarios,
    load_scenario,
)
from vrrplab.loader.topology import (
    AUTH_PASS,
    BRIDGE_NAME,
    CONF_NAME,
    CONF_NAME_TEXT,
    HOST_ROLES,
    IFNAME,
    IFNAMSIZ,
    NODE_NAME,
    PASS_BYTES,
    RESERVED_IFNAMES,
    SEGMENT_NAME,
    load_topology,
)
from vrrplab.loader.yamlio import (
    LOWER_NAME,
    LOWER_NAME_TEXT,
    MAX_FILE_BYTES,
    MISSING,
    ONE_LINE,
    Checker,
    read_yaml,
    show,
)

__all__ = [
    "load_topology", "load_scenario", "find_scenario", "list_scenarios", "read_yaml", "show",
    "default_probes",
    "Checker", "PROJECT_ROOT", "NODE_NAME", "BRIDGE_NAME", "IFNAME", "IFNAMSIZ",
    "RESERVED_IFNAMES", "SEGMENT_NAME", "LOWER_NAME", "LOWER_NAME_TEXT", "ONE_LINE",
    "CONF_NAME", "CONF_NAME_TEXT", "AUTH_PASS", "NO_MASTER", "HOST_ROLES",
    "MAX_RUN_S", "ALLOWANCES", "PASS_BYTES", "MAX_FILE_BYTES", "MISSING",
]
