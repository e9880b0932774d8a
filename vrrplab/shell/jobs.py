"""The commands typed for a node, as processes of the shell: one in the foreground, others
in the background (a trailing `&`), and the terminal they share with the prompt.

Each runs as `sh -c TEXT` in the node's namespace (`Lab.popen`), so the lesson's pipes
work (`c1 arp -a | grep 192.168.1.1`). `mnexec -d` makes it the leader of a session and
process group of its own: Ctrl-C reaches the shell (the supervisor outside forwards it),
and the shell passes it on to that group only, so a foreground `c1 ping 192.168.1.1`
stops, prints its statistics, and the prompt comes back, the lab untouched. Its stdin is
/dev/null: the shell runs inside the lab's private session, with no controlling terminal
to hand a program that reads keys or draws a screen (`commands.NEEDS_TERMINAL`).

A foreground command writes straight to the shell's stdout and stderr. A background one
gets a pseudo-terminal of its own, so it prints line by line as it would on a terminal
(through a pipe, ping would hold its lines back in a buffer); a thread copies each line
to the screen as `[N] line`, then redraws the prompt and what was being typed, so the
class sees a background ping's replies go on while the teacher types. Stopping a job,
at `kill %N` or when the shell ends, is Ctrl-C first (ping prints its statistics), then
SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from vrrplab.i18n import _
from vrrplab.linux import let_ctrl_c_reach_children

GRACE_S = 2.0  # after SIGINT, then after SIGTERM: time to say goodbye and exit
KILL_WAIT_S = 2.0  # after SIGKILL
READER_JOIN_S = 2.0  # a job's last lines, once it has exited


class Terminal:
    """Where the prompt and the background jobs write, one line at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.prompt: str | None = None  # the prompt on screen, waiting for a line; else None

    def line(self, text: str) -> None:
        """A line from a background job: above the prompt, which is drawn again under it."""
        with self.lock:
            out = sys.stdout
            try:
                if self.prompt is not None and out.isatty():
                    out.write(f"\r\x1b[K{text}\n{self.prompt}{_typed()}")
                else:
                    out.write(f"{text}\n")
                out.flush()
            except (OSError, ValueError):  # the terminal is gone (SIGHUP): nobody to tell
                pass


def _typed() -> str:
    """What was typed at the prompt so far (readline's buffer), to draw it again."""
    try:
        import readline
    except ImportError:  # pragma: no cover (Debian's Python has it)
        return ""
    return readline.get_line_buffer()


@dataclass
class Job:
    number: int
    node: str
    text: str
    proc: subprocess.Popen
    reader: threading.Thread | None = None

    def describe(self) -> str:
        return f"{self.node} {self.text}"


class Jobs:
    """A node's commands, foreground and background, started in the lab `lab`."""

    def __init__(self, lab, terminal: Terminal):
        let_ctrl_c_reach_children()  # a job stops "as Ctrl-C would": it must not ignore it
        self.lab = lab
        self.terminal = terminal
        self.jobs: dict[int, Job] = {}
        self._next = 1

    def _start(self, node: str, text: str, **streams) -> subprocess.Popen:
        return self.lab.popen(node, ["sh", "-c", text], stdin=subprocess.DEVNULL, **streams)

    def foreground(self, node: str, text: str) -> int:
        """Run `text` in `node`, its output on the terminal; Ctrl-C stops it alone.
        Returns its exit code."""
        sys.stdout.flush()
        proc = self._start(node, text, stdout=None, stderr=None)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            stop_group(proc)
            return proc.returncode if proc.returncode is not None else 130

    def background(self, node: str, text: str) -> Job:
        """Start `text` in `node`, its lines copied to the terminal as `[N] line`."""
        master, slave = os.openpty()
        try:
            proc = self._start(node, text, stdout=slave, stderr=slave)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # the job holds it now: its end is the reader's end of file
        job = Job(self._next, node, text, proc)
        self._next += 1
        self.jobs[job.number] = job
        job.reader = threading.Thread(target=self._copy, args=(job, master), daemon=True,
                                      name=f"job-{job.number}")
        job.reader.start()
        return job

    def _copy(self, job: Job, master: int) -> None:
        pending = b""
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: every process holding the job's terminal has exited
                break
            if not data:
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._say(job, line)
        if pending.strip():
            self._say(job, pending)
        os.close(master)
        code = job.proc.wait()
        if code < 0:  # sh itself ended by the signal (its program may have said goodbye)
            said = _("[{n}] stopped ({signal}): {command}").format(
                n=job.number, signal=signal.Signals(-code).name, command=job.describe())
        else:
            said = _("[{n}] ended (exit {code}): {command}").format(
                n=job.number, code=code, command=job.describe())
        self.terminal.line(said)

    def _say(self, job: Job, line: bytes) -> None:
        self.terminal.line(f"[{job.number}] {line.decode(errors='replace').rstrip()}")

    def running(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.proc.poll() is None]

    def stop(self, number: int) -> Job | None:
        """Stop background job `number` (Ctrl-C, then SIGTERM, then SIGKILL) and show its last
        lines; None if there is no such job."""
        job = self.jobs.pop(number, None)
        if job is not None:
            stop_group(job.proc)
            if job.reader is not None:
                job.reader.join(READER_JOIN_S)
        return job

    def stop_all(self) -> None:
        for number in list(self.jobs):
            self.stop(number)


def stop_group(proc: subprocess.Popen) -> None:
    """Ctrl-C to the command's process group, then SIGTERM, then SIGKILL, each given its
    time; another Ctrl-C meanwhile moves on to the next signal at once."""
    for signum, wait in ((signal.SIGINT, GRACE_S), (signal.SIGTERM, GRACE_S),
                         (signal.SIGKILL, KILL_WAIT_S)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signum)  # mnexec -d: the command leads its own group
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue
