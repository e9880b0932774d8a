"""The speaker interface, and the daemon bookkeeping every speaker shares.

A speaker runs one VRRP daemon in one router's namespace. It owns the process
(started in its own session, so a crash can kill the daemon and its children
together), its config and log files, and reads its state from its log.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from vrrplab.errors import LabError
from vrrplab.i18n import N_
from vrrplab.lab.process import wait_for_exit
from vrrplab.loader.model import Topology

STOP_TIMEOUT_S = 5.0  # a daemon still alive this long after SIGTERM is killed
CHECK_TIMEOUT_S = 10.0  # a config check (keepalived -t, the bundled --check)


@functools.lru_cache(maxsize=None)
def program_version(argv: tuple[str, ...], pattern: str, name: str) -> str | None:
    """`NAME VERSION` from what `argv` prints (stdout or stderr), None if it does not say.
    Asked once per program: every router running it gets the same answer."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(pattern, done.stdout + done.stderr)
    return f"{name} {match[1]}" if match else None


def group_stats(group: int):
    """(pid, /proc/PID/stat's fields after the name) of each process in process group
    `group`, read from /proc: the pgrp each process names, never a name pattern."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid_text, rest = stat.read_text().split(" (", 1)
            fields = rest.rsplit(")", 1)[1].split()
            if int(fields[2]) == group:
                yield int(pid_text), fields
        except (OSError, ValueError, IndexError):
            continue


class Speaker(ABC):
    """One router's VRRP daemon, whatever implements it."""

    kind = "abstract"

    def __init__(self, lab, topology: Topology, router: str, artifacts: Path, rundir: Path):
        self.lab = lab
        self.topology = topology
        self.router = router
        self.artifacts = artifacts  # kept in the report: configs, logs
        self.rundir = rundir  # private scratch (pid files), gone with the namespace
        self.proc: subprocess.Popen | None = None
        self._terminating = False
        self.config_warnings: list[str] = []  # what the config check said but let pass
        self.given_conf: Path | None = None  # the router's own keepalived.conf (run --config)
        self.starts = 0
        self.log_path = artifacts / f"{router}.{self.kind}.log"

    # -- what each speaker says for itself ---------------------------------

    @classmethod
    def require_installed(cls) -> None:
        """EnvironmentProblem if the daemon's programs are missing (the keepalived binary is
        checked with the other tools, sandbox.require_tools)."""

    @abstractmethod
    def prepare(self) -> None:
        """Write the config into the artifacts and check it; LabError if refused."""

    @abstractmethod
    def command(self) -> list[str]:
        """The daemon's argv, foreground, logging to stdout/stderr."""

    @abstractmethod
    def state(self, instance: str | None = None) -> str:
        """MASTER, BACKUP, FAULT, INIT or STOPPED, of `instance` (default: the LAN one)."""

    @abstractmethod
    def state_changes(self, text: str, instance: str | None = None) -> list[tuple[str, str]]:
        """(state, log line) of each state change of `instance` (default: the LAN one) in
        `text`, a piece of this speaker's log."""

    def version(self) -> str | None:
        """The daemon's name and version as it states it (results.json, the report)."""
        return None

    def auth_failure_evidence(self) -> str | None:
        """The first log line showing an advert dropped for its password, if any."""
        return None

    # -- process handling, shared ------------------------------------------

    def start(self) -> None:
        self.wait_stopped()
        if self.running:
            raise LabError(N_("{router}: {kind} is already running"), router=self.router,
                           kind=self.kind)
        self.starts += 1
        with open(self.log_path, "a") as log:
            self.proc = self.lab.popen(self.router, self.command(), stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """Ask for a graceful stop, as `systemctl stop` does (SIGTERM); do not wait."""
        self._terminating = True
        self.signal(signal.SIGTERM)

    def end_of_run(self) -> None:
        """The run is over: stop without waiting (`wait_stopped` waits). Graceful by default:
        the bundled speaker's last log line holds its counters."""
        self.terminate()

    def stop(self) -> None:
        """Graceful stop, and wait for the daemon to be gone."""
        self.terminate()
        self.wait_stopped()

    def wait_stopped(self) -> None:
        """Wait for a terminating daemon to exit; kill it if it will not."""
        if not self._terminating or self.proc is None:
            return
        try:
            wait_for_exit(self.proc, STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.crash()
        self._terminating = False

    def kill(self) -> None:
        """SIGKILL the daemon and its children, without waiting for them to exit."""
        self.signal(signal.SIGKILL, group=True)

    def crash(self) -> None:
        """SIGKILL the daemon and its children at once: nothing is sent; then reap it."""
        if self.running:
            self.kill()
            wait_for_exit(self.proc, STOP_TIMEOUT_S)

    def signal(self, signum: int, group: bool = False) -> None:
        if not self.running:
            return
        try:
            # mnexec -d made the daemon a session (and group) leader
            if group:
                os.killpg(self.proc.pid, signum)
            else:
                os.kill(self.proc.pid, signum)
        except ProcessLookupError:
            pass

    def usage(self) -> dict | None:
        """The daemon's process group now: CPU so far (user + system, s) and resident
        memory (KiB), for steady-state cost (issue 15), and the daemon's pid (a daemon
        restarted by a fault is another process: its CPU counts from 0); None if gone."""
        if not self.running:
            return None
        ticks, page_kib = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE") // 1024
        stats = [f for _, f in group_stats(self.proc.pid)]
        return {"t": time.time(), "pid": self.proc.pid,
                "cpu_s": sum(int(f[11]) + int(f[12]) for f in stats) / ticks,
                "rss_kib": sum(int(f[21]) for f in stats) * page_kib}

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the daemon's process group so far (None if gone)."""
        sample = self.usage()
        return None if sample is None else sample["cpu_s"]

    def read_log(self, start: int = 0, end: int | None = None) -> str:
        """The log, or the bytes [start, end) of it: one phase of the run."""
        try:
            data = self.log_path.read_bytes()
        except FileNotFoundError:
            return ""
        return data[start:end].decode(errors="replace")

    def log_size(self) -> int:
        """The log's size now: where the next phase's lines begin."""
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

