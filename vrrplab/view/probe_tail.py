"""The client's probe logs read as they grow: what the live view's strip and the outage
events show. Only new complete lines are read each time (the prober flushes every 20 ms);
the log's format is `vrrplab.run.probe`'s."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vrrplab.analysis.metrics import DELAYED_S

# the view calls a probe lost once it waited this long for its reply (the analysis, at
# the end, calls lost what never got one); a reply later than this is rare in the lab
PROBE_LOST_AFTER_S = 1.0


@dataclass
class TargetTrace:
    target: str
    sent: dict[int, float] = field(default_factory=dict)  # probe n -> sent at
    recv: dict[int, float] = field(default_factory=dict)  # probe n -> reply at
    last_reply: float | None = None


@dataclass(frozen=True)
class Outage:
    """Replies stopped (`end` None: still none) or came back."""

    target: str
    start: float  # the first unanswered probe's send time
    end: float | None  # the first answered probe's send time after it


class ProbeTail:
    def __init__(self, path: Path, targets: list[str]):
        self.path = path
        self.traces = [TargetTrace(t) for t in targets]
        self._offset = 0
        self._pending = b""
        self._outage_start: dict[str, float | None] = {t: None for t in targets}
        self._judged: dict[str, int] = {t: -1 for t in targets}  # last probe n judged

    def update(self) -> None:
        """Read the lines written since the last call."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self._offset)
                data = log.read()
        except FileNotFoundError:
            return
        self._offset += len(data)
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()  # unfinished
        for line in lines:
            parts = line.split()
            if len(parts) != 4:
                continue
            kind, idx, n, stamp = parts[0], int(parts[1]), int(parts[2]), float(parts[3])
            if idx >= len(self.traces):
                continue
            trace = self.traces[idx]
            if kind == b"S":
                trace.sent[n] = stamp
            elif kind == b"R" and n not in trace.recv:
                trace.recv[n] = stamp
                trace.last_reply = stamp

    def strip(self, target: int, now: float, width: int, seconds: float) -> list[str]:
        """The last `seconds`, `width` cells: "ok" every probe answered in time, "late"
        answered but some after DELAYED_S (the client waited, as during a takeover),
        "lost" none, "some" part, "wait" none judged yet, "" nothing sent."""
        trace = self.traces[target]
        cell = seconds / width
        start = now - seconds
        # answered, lost, waiting, answered late
        cells: list[list[int]] = [[0, 0, 0, 0] for _ in range(width)]
        for n, sent in reversed(trace.sent.items()):
            if sent < start:
                break
            i = min(int((sent - start) / cell), width - 1)
            if n in trace.recv:
                cells[i][0] += 1
                cells[i][3] += trace.recv[n] - sent > DELAYED_S
            elif now - sent > PROBE_LOST_AFTER_S:
                cells[i][1] += 1
            else:
                cells[i][2] += 1
        return [_cell(*c) for c in cells]

    def outages(self, now: float) -> list[Outage]:
        """Outages begun or ended since the last call, judged on probes old enough to know
        (a probe without reply after PROBE_LOST_AFTER_S is lost). A reply later than
        DELAYED_S counts as none: during a takeover the client's pings wait, and the class
        should see that wait."""
        found = []
        for trace in self.traces:
            judged = self._judged[trace.target]
            for n, sent in trace.sent.items():
                if n <= judged:
                    continue
                answered = n in trace.recv and trace.recv[n] - sent <= DELAYED_S
                if n not in trace.recv and now - sent <= PROBE_LOST_AFTER_S:
                    break  # not known yet: later probes wait for it
                self._judged[trace.target] = n
                start = self._outage_start[trace.target]
                if not answered and start is None:
                    self._outage_start[trace.target] = sent
                    found.append(Outage(trace.target, sent, None))
                elif answered and start is not None:
                    self._outage_start[trace.target] = None
                    found.append(Outage(trace.target, start, sent))
        return found


def _cell(answered: int, lost: int, waiting: int, late: int) -> str:
    if lost and answered:
        return "some"
    if lost:
        return "lost"
    if answered:
        return "late" if late else "ok"
    return "wait" if waiting else ""
