"""The bundled speaker (`vrrplab.bundled`) as a speaker: render, check, run, read its JSON log.

Mirrors `keepalived.py`: the config goes into the report as
`<router>.bundled.json` and is checked in the router's namespace with
`vrrplab speaker --check` (the bundled `keepalived -t`); the daemon runs in the
foreground and writes JSON lines (see `vrrplab.bundled.log`) to
`<router>.bundled.log`, from which `state()` and `state_changes()` read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vrrplab.bundled.log import read_events
from vrrplab.errors import LabError
from vrrplab.i18n import N_
from vrrplab.speakers.base import CHECK_TIMEOUT_S, Speaker
from vrrplab.speakers.bundled_conf import render_bundled_conf

WARNING = ": warning: "  # how `--check` prints what it accepts with a warning
AUTH_DROPS = ("auth_failed", "auth_type_mismatch")  # vrrplab.vrrp.packet.DropReason values


class BundledSpeaker(Speaker):
    kind = "bundled"

    @property
    def conf_path(self) -> Path:
        return self.artifacts / f"{self.router}.bundled.json"

    def prepare(self) -> None:
        self.conf_path.write_text(render_bundled_conf(self.topology, self.router))
        # `vrrplab speaker --check`'s check (`bundled.check`) through the light door, as the
        # daemon starts (`command`): without click and the YAML loader, nor the daemon's own
        # imports: a router's check 0.16 -> 0.07 s here, paid once per router per run
        argv = [*self.command(), "--check"]
        result = self.lab.run(self.router, argv, timeout=CHECK_TIMEOUT_S)
        if result.returncode != 0:
            raise LabError(N_("{router}: vrrplab speaker --check refused {path} (exit {code}): "
                              "{output}"), router=self.router, path=self.conf_path,
                           code=result.returncode, output=result.stdout.strip())
        # accepted with keepalived's warnings (a long auth_pass is cut to 8 characters)
        self.config_warnings = [line.split(WARNING, 1)[1] for line in result.stdout.splitlines()
                                if WARNING in line]

    def command(self) -> list[str]:
        # `python -m vrrplab.bundled` runs the same `daemon.main` as `vrrplab speaker`
        # without importing click and the YAML loader: ~0.1 s less start-up, which a
        # restarted router would otherwise add to its takeover (measured: 0.19 s
        # from start to the first log line through the CLI, 0.10 s this way).
        return [sys.executable, "-m", "vrrplab.bundled", "--config", str(self.conf_path)]

    def version(self) -> str | None:
        from vrrplab import __version__

        return f"vrrplab bundled {__version__}"

    def state(self, instance: str | None = None) -> str:
        if not self.running:
            return "STOPPED"
        lan = instance or self.topology.lan_instance().name
        states = [e["new"] for e in self._current_run() if e["event"] == "state" and e.get("instance") == lan]
        return str(states[-1]).upper() if states else "INIT"

    def state_changes(self, text: str, instance: str | None = None) -> list[tuple[str, str]]:
        lan = instance or self.topology.lan_instance().name
        return [(str(e["new"]).upper(), str(e.get("msg"))) for e in read_events(text)
                if e["event"] == "state" and e.get("instance") == lan]

    def auth_failure_evidence(self) -> str | None:
        """The first drop line for a password (or auth type) mismatch, with its source."""
        drop = next((e for e in read_events(self.read_log())
                     if e["event"] == "drop" and e.get("reason") in AUTH_DROPS), None)
        return f"{drop.get('msg')} (from {drop.get('src')}, {drop['reason']})" if drop else None

    def _current_run(self) -> list[dict[str, Any]]:
        """The events since the latest start (the log is appended across restarts)."""
        events = read_events(self.read_log())
        starts = [n for n, e in enumerate(events) if e["event"] == "start"]
        return events[starts[-1]:] if starts else events
