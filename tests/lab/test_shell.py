"""`vrrplab shell` for real, typed through a pseudo-terminal (pexpect), as a teacher would:
the lesson's failover sequence on the textbook lab, then kill -9 of the shell. Needs root.

Nothing may be left: the host's links, addresses, routes, rules, namespaces, nftables and
sysctls as before (`hostcheck`), no process of the shell's lab alive (found by its PID
namespace, so that other labs running on the machine meanwhile do not count), and its
record gone from the run registry (after `vrrplab clean`, when the shell was killed).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.lab.hostcheck import host_snapshot

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.lab
VRRPLAB = [sys.executable, "-m", "vrrplab"]
REGISTRY = Path("/run/vrrplab-runs")
# a row of `state`'s table (rich keeps bold under NO_COLOR: its escapes may come first)
ROW = r"{router}\s+│\s+keepalived\s+│\s+VI_LAN \(10\)\s+│\s+(?:\x1b\[[\d;]*m)*{state}"


@pytest.fixture
def spawn():
    """Start `vrrplab shell failover-basic` on a pty; a shell a failed test leaves open is
    closed (SIGHUP, then SIGKILL: the supervisor forwards the first, the kernel does the
    rest)."""
    shells = []

    def start(out: Path):
        shells.append(_spawn(out))
        return shells[-1]

    yield start
    for shell in shells:
        if shell.isalive():
            shell.close(force=True)


def _spawn(out: Path):
    shell = pexpect.spawn(sys.executable, ["-m", "vrrplab", "shell", "failover-basic", "--out",
                                           str(out)], cwd=str(ROOT), encoding="utf-8",
                          timeout=30, dimensions=(50, 200),
                          env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", "LANG": "C"})
    shell.expect("the lab is ready: r1 MASTER of VI_LAN, VI_UP", timeout=90)
    shell.expect("vrrplab> ")
    return shell


def _record(out: Path) -> tuple[Path, str]:
    """The shell's run record, and its lab's PID namespace (that of unshare's child)."""
    for path in REGISTRY.glob("shell-*.json"):
        entry = json.loads(path.read_text())
        if entry["out"].startswith(str(out)):
            pid = entry["unshare"]
            child = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0]
            return path, os.readlink(f"/proc/{child}/ns/pid")
    raise AssertionError(f"no shell record for {out} in {REGISTRY}")


NS_GET_PARENT = 0xB702  # <linux/nsfs.h>: the parent of a PID namespace, as a new fd


def _within(path: Path, namespace: str) -> bool:
    """The process's PID namespace is `namespace` or below it (a router's own: each router
    of the lab has a PID namespace of its own, inside the lab's)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        for _level in range(8):
            if os.readlink(f"/proc/self/fd/{fd}") == namespace:
                return True
            try:
                parent = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError:  # the top, or a namespace outside ours
                return False
            os.close(fd)
            fd = parent
        return False
    finally:
        os.close(fd)


def _lab_processes(namespace: str) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if _within(proc / "ns" / "pid", namespace):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _until_state(shell, router: str, state: str, seconds: float) -> None:
    """`state` again and again until the router's LAN row says `state`."""
    deadline = time.monotonic() + seconds
    while True:
        shell.sendline("state")
        if shell.expect([ROW.format(router=router, state=state), "└"]) == 0:
            return
        assert time.monotonic() < deadline, f"{router} never {state}: {shell.before[-2000:]}"
        time.sleep(0.3)


def test_the_lessons_failover_sequence_typed_in_the_shell(tmp_path, spawn):
    before = host_snapshot(tmp_path)
    shell = spawn(tmp_path)
    record, namespace = _record(tmp_path)

    shell.sendline("state")
    shell.expect(ROW.format(router="r1", state="MASTER"))
    shell.expect(ROW.format(router="r2", state="BACKUP"))
    shell.sendcontrol("c")  # at the prompt: a hint, the lab stays
    shell.expect("Ctrl-C again, Ctrl-D or exit")
    shell.sendline("c1 ping 192.168.1.1")  # a foreground command: Ctrl-C stops it alone
    shell.expect(r"64 bytes from 192\.168\.1\.1")
    shell.sendcontrol("c")
    shell.expect(r"\d+ packets transmitted, \d+ received")

    # the lesson's check_gateway.sh pings 8.8.8.8: the lab's internet answers there, inside
    shell.sendline("r1 ping -c 1 -W 2 8.8.8.8")
    shell.expect(r"1 packets transmitted, 1 received")
    shell.sendline("c1 ping -c 1 -W 2 1.1.1.1")
    shell.expect(r"1 packets transmitted, 1 received")

    shell.sendline("c1 ping 192.168.1.1 &")
    shell.expect(r"\[1\] 64 bytes from 192\.168\.1\.1: icmp_seq=1 ")
    shell.sendline("measure")
    shell.expect("measuring: c1 probes 192.168.1.1, 203.0.113.100 every 5 ms")
    shell.sendline("r1 systemctl stop keepalived")
    shell.expect("r1: keepalived stopped")
    stopped_at = time.monotonic()
    # the lesson's health check judges r1 alone: each router has its own processes
    # (with one PID namespace for the lab it found r2's keepalived and never failed)
    shell.sendline("r1 killall -0 keepalived")
    shell.expect("keepalived: no process found")
    shell.sendline("r2 killall -0 keepalived && echo r2-has-its-own")
    shell.expect("r2-has-its-own")
    _until_state(shell, "r2", "MASTER", 10)
    shell.expect(r"\[1\] 64 bytes from 192\.168\.1\.1")  # answered again, by r2
    while time.monotonic() < stopped_at + 1.5:  # the takeover's gap is behind
        time.sleep(0.1)
    shell.sendline("measure")
    shell.expect(r"c1 -> 192\.168\.1\.1: (\d+) probes, (\d+) lost, (\d+) answered late "
                 r"\(over 0\.1 s\); longest gap between replies (\d+\.\d+) s")
    sent, gap = int(shell.match[1]), float(shell.match[4])
    assert sent > 100 and 0.2 < gap < 3.0, shell.match[0]  # Skew_Time 0.61 s, seen

    shell.sendline("r1 systemctl start keepalived")
    shell.expect("r1: keepalived started")
    _until_state(shell, "r1", "MASTER", 15)  # it preempts after Master_Down_Interval
    shell.sendline("c1 arp -a")
    shell.expect(r"\(192\.168\.1\.1\) at [0-9a-f:]{17} \[ether\] on eth0")
    shell.sendline("r1 journalctl -u keepalived")
    shell.expect("Starting Keepalived v")
    shell.expect(r"\(VI_LAN\) Entering MASTER STATE")
    shell.sendline("r2 systemctl status nginx")
    shell.expect("r2: no service nginx here")

    shell.sendline("exit")
    shell.expect("taking the lab down")
    shell.expect(r"\[1\] (\d+) packets transmitted, (\d+) received")  # the job's last word
    assert int(shell.match[1]) >= int(shell.match[2]) > 0
    shell.expect(pexpect.EOF, timeout=60)
    shell.close()
    assert shell.exitstatus == 0
    assert not _lab_processes(namespace)
    assert not record.exists()
    assert host_snapshot(tmp_path) == before
    assert "Entering MASTER STATE" in next(tmp_path.glob("shell/failover-basic/*/r2.keepalived.log"))\
        .read_text()


def test_kill_9_of_the_shell_leaves_nothing_and_clean_finds_the_record(tmp_path, spawn):
    before = host_snapshot(tmp_path)
    shell = spawn(tmp_path)
    record, namespace = _record(tmp_path)
    shell.sendline("c1 ping 192.168.1.1 &")
    shell.expect(r"\[1\] 64 bytes from 192\.168\.1\.1")
    assert len(_lab_processes(namespace)) > 5  # the daemons, the nodes' shells, the ping
    os.kill(shell.pid, signal.SIGKILL)
    shell.expect(pexpect.EOF)
    shell.wait()  # reaped, as the user's own shell would
    deadline = time.monotonic() + 15
    while _lab_processes(namespace):  # the kernel takes the namespace down with its PID 1
        assert time.monotonic() < deadline, _lab_processes(namespace)
        time.sleep(0.1)
    assert record.exists()  # nobody was left to remove it: `clean`'s business
    cleaned = subprocess.run([*VRRPLAB, "clean"], capture_output=True, text=True, timeout=30)
    assert cleaned.returncode == 0
    assert re.search(rf"removing the record of run {record.stem}\b", cleaned.stdout)
    assert not record.exists()
    assert host_snapshot(tmp_path) == before
