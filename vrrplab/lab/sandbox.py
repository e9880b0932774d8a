"""The private namespace every lab lives in, and the run registry `clean` reads.

`run_inside` re-executes vrrplab as PID 1 of fresh network, mount and PID
namespaces (`unshare --net --mount --pid --fork --mount-proc --kill-child`):
the host never sees the lab's links or bridges, and when the run ends, however
it ends, the kernel removes them. The supervisor (this process, outside)
forwards SIGINT/SIGTERM to the lab's process group, since unshare blocks
them; `unshare` gets PR_SET_PDEATHSIG so a SIGKILLed supervisor takes the lab
with it. Each run is recorded under /run/vrrplab-runs while it lives, tagged
with the pids and their start times, so `vrrplab clean` can tell our leftovers
from anything else without matching names. The supervisor waits for the run
until its deadline (RUN_DEADLINE_S), then stops it: SIGTERM (the run tears its
lab down), SIGKILL after STOP_GRACE_S (the kernel takes the namespace with it).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from vrrplab.boundedio import Problem, for_terminal, read_json
from vrrplab.errors import EnvironmentProblem, InputError, LabError
from vrrplab.i18n import N_, Message, _
from vrrplab.lab.process import wait_for_exit
from vrrplab.loader import MAX_RUN_S

INSIDE_ENV = "VRRPLAB_INSIDE"
REGISTRY = Path("/run/vrrplab-runs")
REQUIRED_TOOLS = {
    "unshare": "util-linux", "ip": "iproute2", "sysctl": "procps", "mount": "mount",
    "mnexec": "mininet", "tcpdump": "tcpdump",
}
PR_SET_PDEATHSIG = 1
MAX_ENTRY_BYTES = 64 * 1024  # an entry is one line of JSON (its `out` a path)
ENTRY_MAX_DEPTH = 2


def _pid(value) -> bool:
    return type(value) is int and value > 0  # never 0 or -1: kill() would reach a group, or all


def _start(value) -> bool:
    # ASCII digits only: str.isdigit takes '²' and other scripts' digits, int() some of them
    return value is None or (isinstance(value, str) and value.isascii() and value.isdigit())


# what `leftovers` and `clean` read of an entry, each with its expected-phrase
ENTRY_FIELDS = {
    "run_id": (N_("a run id (a string)"), lambda v: isinstance(v, str) and v != ""),
    "supervisor": (N_("a process id (an integer above 0)"), _pid),
    "supervisor_start": (N_("a start time in clock ticks (digits) or null"), _start),
    "unshare": (N_("a process id (an integer above 0)"), _pid),
    "unshare_start": (N_("a start time in clock ticks (digits) or null"), _start),
}

# The run's deadline, seen from outside: the longest scenario the loader admits (MAX_RUN_S:
# its holds, and each fault's Master_Down_Interval and margin) plus what the loader does
# not count. Converging: a wait_master waits up to 2 x Master_Down_Interval + 3 s (10 s at
# advert_int 1 s, up to about 330 s at VRRPv3's longest, 40.95 s, for a low priority).
# Building and tearing down: the lab's own start and stop deadlines (network.start_deadline, stop_deadline: about 150 s
# together for ten nodes on three segments), the speakers, captures, results and plot.
# The total, 1200 s, and the grace after it stay under the bench's RUN_TIMEOUT_S (1800 s):
# a stuck run is stopped, and said to be stuck, here before the bench gives up on it.
CONVERGE_ALLOWANCE_S = 300.0
BUILD_TEARDOWN_ALLOWANCE_S = 300.0
RUN_DEADLINE_S = MAX_RUN_S + CONVERGE_ALLOWANCE_S + BUILD_TEARDOWN_ALLOWANCE_S
STOP_GRACE_S = 60.0  # after SIGTERM: the run's teardown (the lab's stop deadline and more)
KILL_WAIT_S = 10.0  # after SIGKILL: the kernel reaps at once; longer means a stuck kernel


def is_inside() -> bool:
    return os.environ.get(INSIDE_ENV) == "1" and os.getpid() == 1


def require_root() -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(N_("a lab needs root (network namespaces): run it with sudo"))


def require_tools(extra: dict[str, str] | None = None) -> None:
    tools = {**REQUIRED_TOOLS, **(extra or {})}
    missing = [f"{tool} (apt-get install {pkg})" for tool, pkg in tools.items()
               if shutil.which(tool) is None]
    if missing:
        raise EnvironmentProblem(N_("missing: {tools}; ./setup.sh installs them"),
                                 tools=", ".join(missing))


KERNEL_PROBE = "ip link add vl0 type veth peer name vl1 && ip link add vlbr type bridge"


def require_kernel() -> None:
    """Namespaces, veth and bridges, tried in a throwaway namespace (the host sees nothing)."""
    try:
        probe = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "sh", "-c",
                                KERNEL_PROBE], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(N_("the kernel did not create a test namespace within "
                                    "{seconds} s"), seconds=10) from None
    if probe.returncode != 0:
        why = (probe.stderr or probe.stdout).strip().splitlines()
        raise EnvironmentProblem(N_("this kernel cannot host a lab (network namespaces, veth, "
                                    "bridges): {why}"),
                                 why=why[-1] if why else f"exit {probe.returncode}")


def prepare_inside() -> None:
    """First thing as PID 1 of the lab: loopback up, a private /run for scratch."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    # /run here is ours alone: pid files of the lab's daemons die with the namespace
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "vrrplab", "/run"],
                   check=True, timeout=10)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot: a pid plus this is unique."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _inside_environment() -> dict[str, str]:
    """The run's environment: marked inside. Mininet imports distutils, which setuptools
    (in the venv) swaps for its own copy by default, bringing pkg_resources: 0.15 s of the
    run's start. Python 3.11's own distutils does the same job in 0.01 s (gone in 3.12,
    where setuptools' is the only one)."""
    env = {**os.environ, INSIDE_ENV: "1"}
    if sys.version_info < (3, 12):
        env.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    return env


def _command(argv: list[str]) -> list[str]:
    return ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
            "--", sys.executable, "-m", "vrrplab", *argv]


def run_inside(argv: list[str], run_id: str, out: Path, timeout: float | None = RUN_DEADLINE_S,
               grace: float = STOP_GRACE_S) -> int:
    """Run `python -m vrrplab ARGV` inside a private namespace; return its exit code.

    Past `timeout` the run is stopped (`_stop`) and LabError says so; None: no deadline.
    """
    proc = subprocess.Popen(_command(argv), env=_inside_environment(), preexec_fn=_die_with_parent,
                            start_new_session=True)
    record = _register(run_id, proc.pid, out)

    def forward(signum, _frame):
        init = _namespace_init(proc.pid)
        if init is not None and handles(init, signum):
            _send(proc, signum, init)
        else:  # the run is PID 1 of its namespace: deaf to it until its handler is there
            threading.Thread(target=_send_once_handled, args=(proc, signum), daemon=True,
                             name="forward").start()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            code = wait_for_exit(proc, timeout)
        except subprocess.TimeoutExpired:
            raise LabError(N_("the run did not finish within its deadline of {timeout:g} s: "
                              "{stopped}"), timeout=float(timeout),
                           stopped=_stop(proc, grace)) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if proc.poll() is not None:  # a run still alive stays recorded, for `vrrplab clean`
            _unregister(record)
    return 128 - code if code < 0 else code


HANDLER_WAIT_S = 10.0  # a signal waits this long at most for the run's handler
HANDLER_POLL_S = 0.01


def handles(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines()
                   if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (signum - 1) & 1)


def _send(proc: subprocess.Popen, signum: int, init: int | None) -> None:
    try:
        if signum == signal.SIGHUP and init:
            # to the run alone: unshare, which ignores only SIGINT and SIGTERM, would die
            # of it and take the run with it (SIGKILL, no results)
            os.kill(init, signum)
        else:
            os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def _send_once_handled(proc: subprocess.Popen, signum: int) -> None:
    """Send `signum` when the run's PID 1 handles it: the kernel drops a signal sent to a
    namespace's PID 1 that has no handler for it (pid_namespaces(7)), and Python installs
    the run's (`run.signals.install`) a moment after it starts. Past HANDLER_WAIT_S, or
    when the run is gone, it is sent anyway (SIGINT then reaches the lab's group)."""
    deadline = time.monotonic() + HANDLER_WAIT_S
    while proc.poll() is None and time.monotonic() < deadline:
        init = _namespace_init(proc.pid)
        if init is not None and handles(init, signum):
            break
        time.sleep(HANDLER_POLL_S)
    if proc.poll() is None:  # gone meanwhile: its pid may be another process's by now
        _send(proc, signum, _namespace_init(proc.pid))


def _namespace_init(unshare_pid: int) -> int | None:
    """The run's PID 1, as the host numbers it: `unshare --fork`'s only child."""
    try:
        children = Path(f"/proc/{unshare_pid}/task/{unshare_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _stop(proc: subprocess.Popen, grace: float) -> Message:
    """Stop a run past its deadline, its namespace with it; say how it went.

    SIGTERM to its process group (the session `run_inside` gave `unshare`: the run's
    PID 1 is in it) lets the run tear its lab down and write its report; past `grace`,
    SIGKILL to the group. `unshare --kill-child` and the PID namespace take every other
    process of the run with it, and the network namespace goes with its last process.
    Only this group: never a name pattern.
    """
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        wait_for_exit(proc, grace)
        return Message(N_("stopped it (SIGTERM), its namespace with it"))
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    try:
        wait_for_exit(proc, KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        return Message(N_("it ignored SIGTERM for {grace:g} s and outlived SIGKILL by "
                          "{kill:g} s (pid {pid}): see `vrrplab clean`"),
                       grace=float(grace), kill=float(KILL_WAIT_S), pid=proc.pid)
    return Message(N_("it ignored SIGTERM for {grace:g} s: killed it (SIGKILL), its namespace "
                      "with it"), grace=float(grace))


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _register(run_id: str, child: int, out: Path) -> Path:
    path = REGISTRY / f"{run_id}.json"
    text = json.dumps({
        "run_id": run_id, "supervisor": os.getpid(), "supervisor_start": _start_time(os.getpid()),
        "unshare": child, "unshare_start": _start_time(child), "out": str(out),
        "started": time.time()})
    for _ in range(3):  # another run may remove the empty folder under our feet
        REGISTRY.mkdir(mode=0o755, exist_ok=True)
        try:
            path.write_text(text)
            break
        except FileNotFoundError:
            continue
    return path


def _unregister(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        REGISTRY.rmdir()  # only when no other run is registered
    except OSError:
        pass


def _alive(pid: int, start: str | None) -> bool:
    return start is not None and _start_time(pid) == start


def read_entry(path: Path) -> dict:
    """One registry entry, as `_register` writes it, read by `vrrplab.boundedio` and
    checked; InputError (one line naming the file and the field) if it is not one."""
    entry = read_json(path, MAX_ENTRY_BYTES, ENTRY_MAX_DEPTH)
    if not isinstance(entry, dict):
        raise InputError(Problem(N_("{file}: expected a run record (a mapping with run_id, "
                                    "supervisor, unshare...), got {value}"), file=str(path),
                                 value=type(entry).__name__))
    for key, (expected, ok) in ENTRY_FIELDS.items():
        if not ok(entry.get(key)):
            raise InputError(Problem(N_("{file}: {field}: expected {expected}"), file=str(path),
                                     field=key, expected=Message(expected)))
    return entry


def leftovers(say=None) -> list[dict]:
    """Registry entries whose supervisor is gone: what a killed run left.

    An entry that cannot be read or is not a run record is said (`say`) and skipped:
    never a pid from it signalled, never it removed; the others are still cleaned.
    """
    found = []
    for path in sorted(REGISTRY.glob("*.json")) if REGISTRY.is_dir() else []:
        try:
            entry = read_entry(path)
        except InputError as exc:
            if say:
                say(_("skipped: {problem}").format(problem=exc.localized()))
            continue
        if _alive(entry["supervisor"], entry["supervisor_start"]):
            continue  # still running: not a leftover
        entry["path"] = str(path)
        entry["lab_alive"] = _alive(entry["unshare"], entry["unshare_start"])
        found.append(entry)
    return found


def clean(dry_run: bool, say=print) -> int:
    """Remove what killed runs left: their lab (by recorded pid + start time) and record."""
    entries = leftovers(say)
    for entry in entries:
        run, pid = for_terminal(entry["run_id"]), entry["unshare"]  # a record's text
        if entry["lab_alive"]:
            say((_("would stop the lab of run {run} (pid {pid})") if dry_run
                 else _("stopping the lab of run {run} (pid {pid})")).format(run=run, pid=pid))
            if not dry_run:
                os.kill(entry["unshare"], signal.SIGKILL)  # --kill-child takes the lab with it
        say((_("would remove the record of run {run}") if dry_run
             else _("removing the record of run {run}")).format(run=run))
        if not dry_run:
            Path(entry["path"]).unlink(missing_ok=True)
    if not dry_run and REGISTRY.is_dir():
        _unregister(REGISTRY / ".none")
    if not entries:
        say(_("nothing to clean: no run left anything behind"))
    return len(entries)
