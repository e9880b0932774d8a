"""This machine's scheduling latency during a run: a sampler process and its log reader.

A speaker's timer fires late when the machine does not run it on time; that
lateness is the machine's, not the speaker's, and a timing window must say how
much of it there was. The sampler (`python -m vrrplab.run.latency --out F`, started
by the runner inside the lab) sleeps SLEEP_S again and again, like a speaker
waiting on its timer, and writes down each wake-up later than STALL_S: a stall,
as `wake_time overshoot` (unix time, seconds), the clock of the capture. A
stall that covers the instant a backup's timer was due explains a late
takeover (`stall_during`); the overshoots of every sleep give the run's p99
(`# summary` line, written at SIGTERM).

The reader is pure: it parses the log into `Latency`.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SLEEP_S = 0.001  # as often as a 10 ms speaker checks its timers, and then some
STALL_S = 0.0005  # a wake-up later than this is written down, with its time
LOG_NAME = "latency.log"


@dataclass(frozen=True)
class Latency:
    """The sampler's log: stalls as (start, end) on the unix clock, and the run's figures."""

    stalls: tuple[tuple[float, float], ...]
    samples: int
    p99_s: float
    max_s: float

    def stall_during(self, start: float, end: float) -> float:
        """The longest stall overlapping [start, end] (0: the machine ran on time then)."""
        return max((b - a for a, b in self.stalls if a <= end and b >= start), default=0.0)


NO_LATENCY = Latency((), 0, 0.0, 0.0)


def read_latency(path: Path) -> Latency:
    """Parse the sampler's log; a missing or empty log reads as no measurement."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return NO_LATENCY
    stalls, samples, p99, worst = [], 0, 0.0, 0.0
    for line in lines:
        fields = line.split()
        if fields[:2] == ["#", "summary"] and len(fields) == 5:
            samples, p99, worst = int(fields[2]), float(fields[3]), float(fields[4])
        elif len(fields) == 2 and not line.startswith("#"):
            wake, over = float(fields[0]), float(fields[1])
            stalls.append((wake - over, wake))
            worst = max(worst, over)
    return Latency(tuple(stalls), samples, p99, worst)


def start_sampler(out_dir: Path) -> subprocess.Popen:
    """The sampler as a process of the run, on the host side, logging to out_dir/LOG_NAME."""
    return subprocess.Popen(
        [sys.executable, "-m", "vrrplab.run.latency", "--out", str(Path(out_dir) / LOG_NAME)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sample(out: Path) -> None:
    """Sleep and measure until SIGTERM; stalls as they come, the summary at the end."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    counts = [0] * 2001  # overshoot histogram in 0.1 ms steps, the last bin: 200 ms and more
    with open(out, "w", buffering=1) as log:
        log.write(f"# sleeps of {SLEEP_S} s; stalls over {STALL_S} s as: wake_time overshoot\n")
        while not stop:
            before = time.monotonic()
            time.sleep(SLEEP_S)
            over = time.monotonic() - before - SLEEP_S
            counts[min(int(over * 10_000), 2000)] += 1
            if over > STALL_S:
                log.write(f"{time.time():.6f} {over:.6f}\n")
        log.write(f"# summary {sum(counts)} {_percentile(counts, 0.99):.6f} "
                  f"{_percentile(counts, 1.0):.6f}\n")


def _percentile(counts: list[int], q: float) -> float:
    """The upper edge of the histogram bin holding the q-quantile, in seconds."""
    total, seen = sum(counts), 0
    for step, n in enumerate(counts):
        seen += n
        if total and seen >= q * total:
            return (step + 1) / 10_000
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vrrplab.run.latency", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    sample(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
