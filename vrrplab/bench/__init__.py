"""`vrrplab bench`: run scenarios many times, summarize the spread, judge thresholds.

One bench runs every SCENARIO x SPEAKER `--repeat` times, each run a
`vrrplab run ... --json --spread-faults` subprocess (its own private
namespaces), reruns a failed run once (flaky is counted, never hidden), and
writes bench.json, bench.md, junit.xml and bench.png into `--out`.

The modules, each small:
- `stats.py`      pure: a results document -> one run's figures; runs -> min/median/p95/max
- `thresholds.py` pure: the thresholds (checks, timing window, baseline medians) and findings
- `document.py`   bench.json: build, validate, read (a baseline), write
- `launch.py`     one `vrrplab run` subprocess -> its outcome (results.json parsed)
- `execute.py`    the pool (`--jobs`), the rerun of failures, progress lines, SIGINT/SIGTERM
- `junit.py`      junit.xml (junitparser) from bench.json's thresholds
- `markdown.py`   bench.md, one table
- `plot.py`       bench.png: each fault's takeover of every run against its RFC bound
- `command.py`    the command: validate input, check the machine, run, write, exit code
- `sweep.py`      `vrrplab sweep`: one scenario over a grid of VRRP settings, sweep.csv/png

Running a lab, timing and judging one run stay with `vrrplab run` (runner,
timing, checks); bench reads only what results.json says.
"""

SCHEMA = 1
