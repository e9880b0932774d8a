"""FRR's vrrpd as a speaker: zebra + vrrpd per router, private paths, its log read.

FRR runs a daemon per protocol beside zebra, which owns the interfaces: vrrpd
talks to zebra over a socket. Per router and per start, a folder of its own in
the run's private tmpfs (owned by the `frr` user, which the daemons drop to) holds
that socket, the vty sockets, pid files and the config; nothing under /etc/frr is
read or changed and the system's FRR service is never started.

The daemon the run manages (`proc`) is vrrpd: a shell starts zebra in the
background, waits for its socket, then becomes vrrpd, so both share one process
group. SIGTERM reaches vrrpd alone, as `systemctl stop` would first: it sends its
priority-0 adverts and exits; zebra is then stopped with it (`wait_stopped`).
A crash kills the group. vrrpd logs to stdout, which is the router's log file;
zebra's lines go to `<router>.zebra.log`.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import signal
from pathlib import Path

from vrrplab.errors import EnvironmentProblem, LabError
from vrrplab.i18n import N_
from vrrplab.speakers.base import CHECK_TIMEOUT_S, Speaker, group_stats, program_version
from vrrplab.speakers.frr_conf import (
    ROUTER_SYSCTLS,
    macvlan_commands,
    macvlan_up_commands,
    render_frr_conf,
)

FRR_DIR = Path("/usr/lib/frr")  # Debian's frr package: the daemons live here
FRR_USER = "frr"
ZEBRA_SOCKET_WAIT_S = 5.0  # zebra makes its socket in ~50 ms here
VTYSH_TIMEOUT_S = 5.0
# "[VRRP] [VRID 10] [IPv4] Backup -> Master": vrrpd's state changes (vrrp.c); names
# are vrrp_state_names[]
STATE_LINE = re.compile(r"\[VRID (?P<vrid>\d+)\] \[IPv(?P<family>[46])\].*?"
                        r"(?P<old>Initialize|Master|Backup) -> (?P<new>Initialize|Master|Backup)")
STATE_NAMES = {"Initialize": "INIT", "Master": "MASTER", "Backup": "BACKUP"}
START_LINE = re.compile(r"vrrpd \S+ starting")  # "vrrpd 8.4.4 starting: vty@0", at each start


class FrrSpeaker(Speaker):
    kind = "frr"

    @property
    def conf_path(self) -> Path:
        return self.artifacts / f"{self.router}.frr.conf"

    @property
    def zebra_log(self) -> Path:
        return self.artifacts / f"{self.router}.zebra.log"

    @classmethod
    def require_installed(cls) -> None:
        for daemon in ("zebra", "vrrpd"):
            if not (FRR_DIR / daemon).exists():
                raise EnvironmentProblem(N_("FRR is not installed ({path} is missing): "
                                            "./setup.sh installs it"), path=FRR_DIR / daemon)
        try:
            pwd.getpwnam(FRR_USER)
        except KeyError:
            raise EnvironmentProblem(N_("FRR's user {user} does not exist (apt-get install "
                                        "--reinstall frr makes it)"), user=FRR_USER) from None

    def prepare(self) -> None:
        self.require_installed()
        self.conf_path.write_text(render_frr_conf(self.topology, self.router))
        self._setup_router()
        state = self._state_dir("check")
        result = self.lab.run(self.router, [str(FRR_DIR / "vrrpd"), "-C", "-f",
                                            str(self._private_conf(state)),
                                            "-z", str(state / "zserv.api"),
                                            "--vty_socket", str(state), "--log", "stdout",
                                            "-i", str(state / "vrrpd.pid")],
                              timeout=CHECK_TIMEOUT_S)
        complaints = [line for line in result.stdout.splitlines() if line.strip()]
        if result.returncode != 0:
            raise LabError(N_("{router}: vrrpd -C refused {path} (exit {code}): {output}"),
                           router=self.router, path=self.conf_path, code=result.returncode,
                           output="\n".join(complaints))

    def _setup_router(self) -> None:
        """The macvlans vrrpd drives and the ARP sysctls, once per run (they outlive a
        daemon: a killed vrrpd leaves its macvlan as it was)."""
        self._ip_batch(macvlan_commands(self.topology, self.router))
        for key, value in ROUTER_SYSCTLS:
            result = self.lab.run(self.router, ["sysctl", "-q", "-w", f"{key}={value}"],
                                  timeout=CHECK_TIMEOUT_S)
            if result.returncode != 0:
                raise LabError(N_("{router}: sysctl {key}={value} refused: {output}"),
                               router=self.router, key=key, value=value,
                               output=result.stdout.strip())
        self._ip_batch(macvlan_up_commands(self.topology))

    def _ip_batch(self, commands: list[str]) -> None:
        result = self.lab.run(self.router, ["ip", "-batch", "-"], timeout=CHECK_TIMEOUT_S,
                              input="\n".join(commands) + "\n")
        if result.returncode != 0:
            raise LabError(N_("{router}: the macvlans vrrpd needs could not be made: "
                              "{output}"), router=self.router, output=result.stdout.strip())

    def _state_dir(self, name: str) -> Path:
        """A folder the frr user owns, in the run's private tmpfs: sockets, pids, config."""
        folder = self.rundir / f"{self.router}-frr-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, FRR_USER, FRR_USER)
        return folder

    def _private_conf(self, state: Path) -> Path:
        """The config where the daemons (as the frr user) can read it."""
        conf = state / "frr.conf"
        shutil.copyfile(self.conf_path, conf)
        shutil.chown(conf, FRR_USER, FRR_USER)
        return conf

    @property
    def _current_state_dir(self) -> Path:
        return self.rundir / f"{self.router}-frr-{self.starts}"

    def command(self) -> list[str]:
        state = self._state_dir(str(self.starts))
        conf = self._private_conf(state)
        common = ["-z", str(state / "zserv.api"), "--vty_socket", str(state), "-P", "0",
                  "-f", str(conf), "--log", "stdout"]
        zebra = [str(FRR_DIR / "zebra"), *common, "-i", str(state / "zebra.pid")]
        vrrpd = [str(FRR_DIR / "vrrpd"), *common, "-i", str(state / "vrrpd.pid")]
        socket = shlex.quote(str(state / "zserv.api"))
        tries = int(ZEBRA_SOCKET_WAIT_S / 0.01)
        script = (f"{shlex.join(zebra)} >>{shlex.quote(str(self.zebra_log))} 2>&1 &\n"
                  f"i=0; while [ ! -S {socket} ] && [ $i -lt {tries} ]; do "
                  f"sleep 0.01; i=$((i+1)); done\n"
                  f"exec {shlex.join(vrrpd)}\n")
        return ["sh", "-c", script]

    def wait_stopped(self) -> None:
        """vrrpd gone (its goodbye sent), zebra goes too: the next start makes its own."""
        group = self.proc.pid if self.proc is not None else None
        super().wait_stopped()
        if group is not None and not self.running:
            for pid, _ in group_stats(group):  # zebra, once vrrpd is gone
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def version(self) -> str | None:
        return program_version((str(FRR_DIR / "vrrpd"), "--version"), r"version (\S+)", "frr")

    def end_of_run(self) -> None:
        """vrrpd's own last view kept (`<router>.frr-show-vrrp.json`: state, priority,
        counters per virtual router), then killed, as keepalived is."""
        try:
            view = self.show_vrrp()
            if view is not None:
                (self.artifacts / f"{self.router}.frr-show-vrrp.json").write_text(
                    json.dumps(view, indent=1) + "\n")
        except (LabError, OSError):
            pass  # evidence only: the daemons go whatever vtysh did
        finally:
            self.crash()

    def state(self, instance: str | None = None) -> str:
        if not self.running:
            return "STOPPED"
        states = self.state_changes(self._current_run_log(), instance)
        return states[-1][0] if states else "INIT"

    def state_changes(self, text: str, instance: str | None = None) -> list[tuple[str, str]]:
        inst = self.topology.vrrp.instance(instance) if instance else \
            self.topology.lan_instance()
        return [(STATE_NAMES[m["new"]], line.strip()) for line in text.splitlines()
                for m in [STATE_LINE.search(line)]
                if m and int(m["vrid"]) == inst.vrid and int(m["family"]) == inst.family]

    def show_vrrp(self) -> list | None:
        """vrrpd's own view (`show vrrp json`): each virtual router's state, priority,
        counters. None when vrrpd does not answer."""
        if not self.running:
            return None
        result = self.lab.run(self.router, ["vtysh", "--vty_socket",
                                            str(self._current_state_dir), "-c",
                                            "show vrrp json"], timeout=VTYSH_TIMEOUT_S)
        try:
            return json.loads(result.stdout) if result.returncode == 0 else None
        except json.JSONDecodeError:
            return None

    def _current_run_log(self) -> str:
        """The log since the latest start (the file is appended across restarts)."""
        text = self.read_log()
        starts = [m.start() for m in START_LINE.finditer(text)]
        return text[starts[-1]:] if starts else text


