"""The bundled VRRP speaker: one process per router that drives `vrrplab.vrrp`.

`vrrplab speaker --config FILE` runs `speak` below; so does `python -m
vrrplab.bundled --config FILE` (`__main__`), the lighter door the lab uses.
The protocol itself (codec, timers, state machine, sync groups) is the sans-io
core in `vrrplab.vrrp`; this package is only its driver:

- `config`   the JSON config (rendered by `vrrplab.speakers.bundled_conf`) -> checked data
- `check`    `--check`: the config and this namespace checked, without the daemon's imports
- `log`      JSON-lines log on stdout, one line per event
- `net`      raw VRRP sockets, IPv4 header parsing, gratuitous ARP frames, link state
- `links`    VIPs through pyroute2 (imported in the background: it is slow), VMACs with `ip link`
- `health`   keepalived's vrrp_script counter and effective priority (pure), a script run
- `tracking` check scripts and tracked links -> `Fault` / `PriorityChanged` events
- `daemon`   the event loop: select on sockets, timers from `get_timer()`
- `mistimed` test-only: deliberately mis-timed routers, known-bad input for the lab tests' verdicts
"""

from __future__ import annotations

from pathlib import Path


def speak(config: Path, check: bool = False, outside_lab: bool = False) -> int:
    """Both doors' rules, one home: --check validates anywhere (`check.check`, without the
    daemon's imports); the daemon (`daemon.main`) refuses to run outside a lab node
    (EnvironmentProblem, which each door says its own way) unless `outside_lab`."""
    if check:
        from vrrplab.bundled.check import check as check_config

        return check_config(config)
    from vrrplab.bundled.daemon import main, refuse_outside_lab

    if not outside_lab:
        refuse_outside_lab()
    return main(config)
