"""keepalived as a speaker: render, check with `keepalived -t`, run, read its log."""

from __future__ import annotations

import re
import shutil

from vrrplab.errors import EnvironmentProblem, LabError
from vrrplab.i18n import N_
from vrrplab.speakers.base import CHECK_TIMEOUT_S, Speaker, program_version
from vrrplab.speakers.keepalived_conf import render_keepalived_conf, script_path

TRUNCATION = "Truncating auth_pass to 8 characters"
STATE_LINE = re.compile(r"\((?P<instance>[^)]+)\) Entering (?P<state>[A-Z]+) STATE")
# SIGTERM: keepalived logs this, sends priority 0 and removes its VIPs at once, but its
# process lives about a second more: from this line on it is STOPPED for VRRP
STOPPING_LINE = re.compile(r": Stopping$", re.MULTILINE)


class KeepalivedSpeaker(Speaker):
    kind = "keepalived"

    @property
    def conf_path(self):
        return self.artifacts / f"{self.router}.keepalived.conf"

    @property
    def run_conf(self):
        """The file keepalived runs: the router's own as given, else the rendered one."""
        return self.given_conf or self.conf_path

    def prepare(self) -> None:
        if shutil.which("keepalived") is None:
            raise EnvironmentProblem(N_("keepalived is not installed (apt-get install "
                                        "keepalived)"))
        if self.given_conf is not None:
            self._prepare_given()
            return
        for script in self.topology.vrrp.router(self.router).track_scripts:
            path = script_path(self.artifacts, self.router, script.name)
            path.write_text(f"#!/bin/sh\n# {script.name}, run by keepalived in {self.router}\n"
                            f"{script.script}\n")
            path.chmod(0o755)
        self.conf_path.write_text(render_keepalived_conf(self.topology, self.router,
                                                         self.artifacts))
        complaints, code = self._check()
        if code != 0 and complaints and all(TRUNCATION in c for c in complaints):
            # the long-password lesson: keepalived -t flags it, keepalived runs with it
            self.config_warnings = complaints
        elif code != 0:
            raise LabError(N_("{router}: keepalived -t refused {path} (exit {code}): {output}"),
                           router=self.router, path=self.conf_path, code=code,
                           output="\n".join(complaints))

    def _prepare_given(self) -> None:
        """The router's own file runs as written (the runner keeps a copy for the report):
        all keepalived -t says of it is kept, never refused, the run shows what keepalived
        does with it. Pid files are the command line's, not the file's."""
        self.config_warnings, _code = self._check()

    def _check(self) -> tuple[list[str], int]:
        result = self.lab.run(self.router, ["keepalived", "-t", "-f", str(self.run_conf)],
                              timeout=CHECK_TIMEOUT_S)
        return [line for line in result.stdout.splitlines() if line.strip()], result.returncode

    def command(self) -> list[str]:
        # Fresh pid files for every start: a killed keepalived leaves its own
        # behind, and a new one finding them would exit "already running".
        pids = self.rundir / f"{self.router}-{self.starts}"
        pids.mkdir(parents=True, exist_ok=True)
        return ["keepalived", "--dont-fork", "--log-console", "--log-detail",
                "-f", str(self.run_conf), "-p", str(pids / "keepalived.pid"),
                "-r", str(pids / "vrrp.pid"), "-c", str(pids / "checkers.pid")]

    def version(self) -> str | None:
        return program_version(("keepalived", "--version"), r"Keepalived v(\S+)", "keepalived")

    def end_of_run(self) -> None:
        """Killed: after SIGTERM keepalived lives about a second more (STOPPING_LINE) and
        says nothing the run still reads; its evidence was collected before."""
        self.crash()

    def state(self, instance: str | None = None) -> str:
        if not self.running:
            return "STOPPED"
        lan = instance or self.topology.lan_instance().name
        log = self._current_run_log()
        if STOPPING_LINE.search(log):
            return "STOPPED"
        state = "INIT"
        for match in STATE_LINE.finditer(log):
            if match["instance"] == lan:
                state = match["state"]
        return state

    def state_changes(self, text: str, instance: str | None = None) -> list[tuple[str, str]]:
        lan = instance or self.topology.lan_instance().name
        return [(m["state"], line.strip()) for line in text.splitlines()
                for m in [STATE_LINE.search(line)] if m and m["instance"] == lan]

    def auth_failure_evidence(self) -> str | None:
        return next((line.strip() for line in self.read_log().splitlines()
                     if "received an invalid passwd" in line), None)

    def _current_run_log(self) -> str:
        """The log since the latest start (the file is appended across restarts)."""
        text = self.read_log()
        start = text.rfind("Starting Keepalived")
        return text[start:] if start >= 0 else text
