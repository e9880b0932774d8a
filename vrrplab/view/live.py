"""What `vrrplab run` shows while it runs.

Three views with one interface, chosen by `choose_view`:
- `LiveView` (stdout is a terminal): a rich panel refreshed 4 times a second: each
  router's state and priority per instance and the VIPs it holds, a strip of the client's
  probe replies and losses, the step being run with a countdown, and the event log.
- `PlainView` (a pipe, a CI log, `--json`): one timestamped line per event, no escape codes.
- `QuietView` (`--quiet`): nothing; the command prints the summary.

The events are the runner's own lines plus what a watcher thread reads from the same
sources the results are made of: the speakers' logs (state changes) and the client's
probe logs (outages). It reads files only: no shell, no process, nothing sent, so the
measurement (the prober, the capture, the speakers: other processes) does not wait on it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from vrrplab.analysis import formula
from vrrplab.faults.catalogue import KINDS
from vrrplab.i18n import _, number
from vrrplab.view.probe_tail import ProbeTail
from vrrplab.view.status import read_status, routers_table

WATCH_EVERY_S = 0.1  # how often the watcher reads the logs: state changes show within this
REFRESH_PER_S = 4  # the live panel's redraws per second
EVENTS_SHOWN = 10  # the live panel's event log: the last lines
STRIP_CELLS = 60  # the probe strip: cells of STRIP_SECONDS / STRIP_CELLS each
STRIP_SECONDS = 15.0
COUNTDOWN_FROM_S = 1.0  # a wait shorter than this gets no countdown
CELL_STYLES = {"ok": ("█", "green"), "late": ("█", "yellow"), "some": ("█", "yellow"),
               "lost": ("█", "red"), "wait": ("▒", "grey50"), "": ("·", "grey30")}


class PlainView:
    """One line per event, `[  3,214 s] text`: seconds since the run began."""

    def __init__(self, echo: Callable[[str], None] = print):
        self.echo = echo
        self.t0 = time.time()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()
        self._topology = None
        self._speakers: dict = {}
        self._tails: list[tuple[str, ProbeTail]] = []  # (client, its probe log)
        self._states: dict[tuple[str, str], str] = {}  # (router, instance) -> last state seen
        self._fault: tuple[str, float] | None = None  # the last fault's name and instant

    # -- what the runner tells -------------------------------------------------

    def event(self, text: str) -> None:
        with self._lock:
            self._show(time.time(), text)

    def step(self, text: str, seconds: float | None = None) -> None:
        """The step being run; `seconds`: how long it should take (a countdown)."""
        self.event(text)

    def fault(self, fault, at: float) -> None:
        """`fault` was applied at `at`: say what it does and what the RFC expects, with a
        countdown to its bound; later state changes say how long after it they came."""
        self._fault = (fault.name, at)
        what = _(KINDS[fault.kind].what)
        if fault.expect_master is None or KINDS[fault.kind].rule is None:
            self.event(what)
            return
        rfc = formula.expected(fault, self._topology)
        self.step(_("{what}; the RFC: {router} MASTER within {formula} = {bound} s").format(
            what=what, router=fault.expect_master, formula=rfc.text,
            bound=number(rfc.bound_s, 3)), rfc.bound_s)

    def attach(self, topology, speakers: dict, probe_logs: list[tuple[str, Path, list[str]]],
               t0: float) -> None:
        """Watch these speakers and probe logs (client, path, targets) from now on."""
        self.t0 = t0
        self._topology = topology
        self._speakers = speakers
        self._tails = [(client, ProbeTail(path, targets)) for client, path, targets in probe_logs]
        self._watcher = threading.Thread(target=self._watch, name="view", daemon=True)
        self._watcher.start()

    def pause(self, text: str, ask: Callable[[], str]) -> str:
        """Show `text`, then let `ask` read the class's answer (the paced demo)."""
        with self._lock:
            self.echo(text)
        return ask()

    def ending(self) -> None:
        """The run's steps are over: the last changes, then no more watching (the teardown's
        own state changes, speakers stopped one after the other, are not the lesson's)."""
        if self.stop_watching():
            self.step(_("tearing the lab down"))

    def stop_watching(self) -> bool:
        """Read the logs a last time and stop the watcher; False if it was stopped already."""
        if self._stopping.is_set():
            return False
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2 * WATCH_EVERY_S + 1)
            self._watch_once()
        return True

    def close(self) -> None:
        self._stopping.set()

    # -- the watcher ------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_EVERY_S):
            self._watch_once()

    def _watch_once(self) -> None:
        try:
            for line_at, text in self._state_events() + self._outage_events():
                with self._lock:
                    self._show(line_at, text)
        except Exception:  # the view must never break a run: it only watches
            pass

    def _state_events(self) -> list[tuple[float, str]]:
        if self._topology is None:
            return []
        now = time.time()
        found = []
        for status in read_status(self._topology, self._speakers):
            # one line per router and change: a sync group's instances move together
            changes: dict[tuple[str, str], list] = {}
            for inst in status.instances:
                key = (status.router, inst.instance)
                before = self._states.get(key)
                self._states[key] = inst.state
                if before is not None and before != inst.state:
                    changes.setdefault((before, inst.state), []).append(inst)
            for (before, after), insts in changes.items():
                found.append((now, self._change_text(status.router, before, after, insts, now)))
        return found

    def _change_text(self, router: str, before: str, after: str, insts: list, now: float) -> str:
        text = _("{router}: {before} → {after} ({instances})").format(
            router=router, before=before, after=after,
            instances=", ".join(i.instance for i in insts))
        vips = [v for i in insts for v in i.vips]
        if vips:
            text += _(", holds {vips}").format(vips=", ".join(vips))
        if self._fault is not None:
            text += _(", {seconds} s after {fault}").format(
                seconds=number(now - self._fault[1], 2), fault=self._fault[0])
        return text

    def _outage_events(self) -> list[tuple[float, str]]:
        now = time.time()
        found = []
        for client, tail in self._tails:
            tail.update()
            for outage in tail.outages(now):
                if (outage.end if outage.end is not None else outage.start) < self.t0:
                    continue  # before the view began (the shell's watch): the strip shows it
                if outage.end is None:
                    text = _("{client}: no reply from {target} since {at} s").format(
                        client=client, target=outage.target, at=self._since(outage.start))
                else:
                    text = _("{client}: {target} answers again, after {gap} s without reply"
                             ).format(client=client, target=outage.target,
                                      gap=number(outage.end - outage.start, 3))
                found.append((now, text))
        return found

    def _since(self, at: float) -> str:
        return number(at - self.t0, 3)

    def _show(self, at: float, text: str) -> None:
        self.echo(f"[{self._since(at):>8} s] {text}")


class QuietView(PlainView):
    """Nothing while it runs (`--quiet`): the summary is all."""

    def __init__(self):
        super().__init__(echo=lambda _line: None)

    def attach(self, topology, speakers, probe_logs, t0) -> None:
        self.t0 = t0  # no watcher: nothing would be shown
        self._topology = topology  # what a fault's RFC figure is computed from


class LiveView(PlainView):
    """The rich panel on a terminal; the events go to its log instead of lines."""

    def __init__(self, console: Console, title: str):
        super().__init__()
        self.console = console
        self.title = title
        self._events: deque[tuple[float, str]] = deque(maxlen=EVENTS_SHOWN)
        self._step: tuple[str, float, float | None] | None = None  # text, since, seconds
        self._frozen: tuple[list, float] | None = None  # the routers and the instant at ending
        self._live = Live(get_renderable=self._render, console=console,
                          refresh_per_second=REFRESH_PER_S, transient=False)
        self._live.start()

    def step(self, text: str, seconds: float | None = None) -> None:
        self._step = (text, time.time(), seconds)
        self.event(text)

    def pause(self, text: str, ask: Callable[[], str]) -> str:
        self._live.stop()
        try:
            # file text: no markup; the terminal wraps long lines itself
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
            return ask()
        finally:
            self._restart()

    def _restart(self) -> None:
        try:
            self._live.start()
        except OSError:  # the terminal is gone (SIGHUP): the run goes on without a view
            pass

    def ending(self) -> None:
        """The panel keeps the lab as the steps left it: the teardown stops every speaker."""
        if self._frozen is None and self._topology is not None:
            self._frozen = (read_status(self._topology, self._speakers), time.time())
        super().ending()

    def close(self) -> None:
        self.ending()
        self._step = None
        try:
            self._live.stop()  # its last drawing
        except OSError:  # the terminal is gone (SIGHUP): nothing to draw on
            pass

    def _show(self, at: float, text: str) -> None:
        self._events.append((at, text))

    # -- drawing ------------------------------------------------------------------

    def _render(self) -> Panel:
        statuses, now = self._frozen or (None, time.time())
        if statuses is None and self._topology is not None:
            statuses = read_status(self._topology, self._speakers)
        parts = [routers_table(statuses)] if statuses is not None else []
        parts += [self._strips(now), self._step_line(), self._event_log()]
        return Panel(Group(*parts), title=self.title, title_align="left")

    def _strips(self, now: float) -> Text:
        text = Text()
        for client, tail in self._tails:
            for i, trace in enumerate(tail.traces):
                text.append(_("{client} → {target}").format(client=client, target=trace.target)
                            .ljust(28))
                for cell in tail.strip(i, now, STRIP_CELLS, STRIP_SECONDS):
                    mark, style = CELL_STYLES[cell]
                    text.append(mark, style=style)
                text.append("\n")
        if text:
            text.append(_("(the last {seconds} s; green: answered, yellow: late or partly lost, red: lost)").format(
                seconds=number(STRIP_SECONDS, 0)) + "\n", style="grey50")
        return text

    def _step_line(self) -> Text:
        if self._step is None:
            return Text("")
        text, since, seconds = self._step
        line = Text("▶ " + text, style="bold")
        if seconds is not None and seconds >= COUNTDOWN_FROM_S:
            left = seconds - (time.time() - since)
            shown = _("{seconds} s left").format(seconds=number(left, 1)) if left >= 0 \
                else _("{seconds} s past").format(seconds=number(-left, 1))
            line.append(f"  [{shown}]", style="yellow")
        return line

    def _event_log(self) -> Text:
        text = Text()
        for at, line in self._events:
            text.append(f"\n[{self._since(at):>8} s] ", style="grey50")
            text.append(line)
        return text


def choose_view(quiet: bool, as_json: bool, title: str,
                echo: Callable[[str], None]) -> PlainView:
    """Quiet if asked; the live panel on a terminal (not with --json); else plain lines."""
    if quiet:
        return QuietView()
    if not as_json and sys.stdout.isatty():
        return LiveView(Console(), title)
    return PlainView(echo)
