"""The client's probers (`python -m vrrplab.run.probe`, one per probing client) as
processes of the run: start them, ask whether every target answers again, stop them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from vrrplab.i18n import N_, Message
from vrrplab.lab.process import stop_process
from vrrplab.lab.wait import wait_until
from vrrplab.run.probe import probe_log_name, read_probe_log

PROBER_START_S = 5.0  # a prober's Python start-up until its log exists
PROBER_STOP_S = 5.0  # SIGTERM to exit; then SIGKILL


class Probers:
    def __init__(self, lab, scenario, out: Path, interval: float):
        self.lab = lab
        self.scenario = scenario
        self.out = out
        self.interval = interval
        self.processes: list[subprocess.Popen] = []
        self.started_at: float | None = None
        self.stopped_at: float | None = None

    def _logs(self) -> list[tuple[Path, object]]:
        return [(self.out / probe_log_name(n, probe.source), probe)
                for n, probe in enumerate(self.scenario.probes)]

    def logs(self) -> list[tuple[str, Path, list[str]]]:
        """(client, its probe log, its targets): what the live view reads as it grows."""
        return [(probe.source, log, [str(t) for t in probe.targets]) for log, probe in self._logs()]

    def start(self) -> None:
        """Start every client's prober once; return when each has opened its log."""
        if self.processes:
            return
        for log, probe in self._logs():
            argv = [sys.executable, "-m", "vrrplab.run.probe", "--interval",
                    str(self.interval), "--out", str(log), *map(str, probe.targets)]
            self.processes.append(self.lab.popen(
                probe.source, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL))
        self.started_at = time.time()
        wait_until(lambda: all(log.exists() for log, _ in self._logs()), PROBER_START_S,
                   Message(N_("the probers to start")))

    def answered_since(self, at: float, cut: frozenset[str] = frozenset()) -> bool:
        """Every probe target of every client (but the `cut` ones) has answered a probe sent
        after `at`."""
        for log, probe in self._logs():
            traces = read_probe_log(log, [str(t) for t in probe.targets])
            if not all(any(s > at and r is not None for s, r in zip(tr.sent, tr.recv))
                       for target, tr in traces.items() if target not in cut):
                return False
        return True

    def stop(self) -> None:
        """SIGTERM to every prober at once, then reap each (SIGKILL if it lingers)."""
        running = [p for p in self.processes if p.poll() is None]
        for prober in running:
            prober.terminate()
        for prober in running:
            stop_process(prober, PROBER_STOP_S)
        if running:
            self.stopped_at = time.time()
