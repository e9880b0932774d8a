"""`vrrplab sweep`: one scenario at several VRRP settings; takeover against the RFC curve.

Issue #10's lesson is a curve: why does a lower advert_int fail over faster,
and what does it cost? `vrrplab sweep SCENARIO --set advert_int=1,0.5,0.1
[--set priority=r2:150,...] [--speaker S] [--repeat N] [--out DIR]` takes every
combination of the `--set` values (a grid when there are several keys), writes
one derived scenario per combination into OUT/scenarios/ (the original's YAML
with its `vrrp:` section overridden), validates each with the loader, and only
then runs each `--repeat` times, one after the other, through bench's launcher
(`launch.launch_run`: `vrrplab run ... --json --spread-faults` in a subprocess,
its report in OUT/runs/<point>/).

Keys (`SET_KEYS`):
- `advert_int=SECONDS,...`: `vrrp.advert_int`. keepalived rounds a VRRPv2
  interval to whole seconds (RFC 3768 carries whole seconds), so a value below
  1 s (or any fraction) also sets `version: 3` and `auth_pass: null` (RFC 5798
  has centiseconds and no authentication); a whole number keeps the
  scenario's version.
- `priority=ROUTER:P,...`: `vrrp.routers.ROUTER.priority`.
A key this does not know, a value that does not parse, or a derived scenario
the loader refuses (advert_int 0.005, priority 300, an unknown router, two
routers at one priority...) is an InputError (exit 2) naming the `--set` value;
nothing is started.

Writes OUT/sweep.csv (`COLUMNS`: a row per run x fault, the csv module;
rewritten after every run) and OUT/sweep.png (matplotlib Agg): one panel per
fault, the takeover of every run and their median against the swept value, the
RFC formula (Skew_Time or Master_Down_Interval of the fault's expected master,
from `vrrplab.vrrp.timers`) drawn over the value range, and, for advert_int
(log x axis), a last panel with the cost: the adverts a master sends per
second, 1/advert_int per VRRP instance it holds.

Exit codes as `run`'s: 0 every run passed, 1 a run failed (a check, or no
results), 2 bad input, 3 environment (root and tools checked as bench does, or
a run that exited 3), 130 interrupted (SIGINT/SIGTERM forwarded once to the
running run; sweep.csv and sweep.png hold what finished).

Pure helpers (tested without a lab): `parse_sets`, `grid`, `vrrp_overrides`,
`derive`, `csv_rows`, `rfc_figure`; `draw` only draws.
Leaves to others: running and judging one run (`vrrplab run`), launching it
(launch.py), signal forwarding (execute.py's handler).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from vrrplab.bench import launch
from vrrplab.bench.execute import Interrupt, entry
from vrrplab.bench.launch import Children, Job
from vrrplab.bench.stats import fault_figures
from vrrplab.errors import (EXIT_CHECK_FAILED, EXIT_ENVIRONMENT, EXIT_INTERRUPTED, EXIT_PASS,
                            InputError)
from vrrplab.loader import PROJECT_ROOT, find_scenario, load_scenario, read_yaml
from vrrplab.rundir import check_out, make_run_dir, replace_file
from vrrplab.loader.topology import deep_merge
from vrrplab.vrrp import timers

SET_KEYS = ("advert_int", "priority")
FIXED_COLUMNS = ("vrrp_version", "advert_int_s", "adverts_per_s", "speaker", "run",
                 "run_verdict", "exit_code", "fault", "kind", "expected_master", "takeover_s",
                 "measured_s", "figure", "figure_s", "bound_kind", "bound_s", "lower_s",
                 "upper_s", "verdict", "judged", "data_gap_s", "lost_probes", "results",
                 "error")
_PRIORITY = re.compile(r"^([A-Za-z0-9_-]+):(\d+)$")
_CURVES = {"skew_time": timers.skew_time, "master_down_interval": timers.master_down_interval}


def columns(keys: tuple[str, ...]) -> tuple[str, ...]:
    """sweep.csv's header: the swept keys, then `FIXED_COLUMNS`."""
    return tuple(keys) + FIXED_COLUMNS


# ---------------------------------------------------------------- the grid

@dataclass(frozen=True)
class Setting:
    """One `--set KEY=V1,V2,...`: the parsed values and the text of each."""

    key: str
    values: tuple  # advert_int: float; priority: (router, priority)
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Point:
    """One combination of the swept values: ((key, value, text), ...)."""

    values: tuple[tuple[str, Any, str], ...]

    def value(self, key: str) -> Any:
        return next((v for k, v, _ in self.values if k == key), None)

    @property
    def text(self) -> str:
        return " ".join(f"{k}={t}" for k, _, t in self.values)

    @property
    def slug(self) -> str:
        """File-name safe: advert_int-0.05_priority-r2-150."""
        return "_".join(f"{k}-{t.replace(':', '-')}" for k, _, t in self.values)


def _advert_int(text: str) -> float:
    number = float(text)
    if not math.isfinite(number) or number <= 0:
        raise ValueError
    return number


def parse_sets(specs: tuple[str, ...] | list[str]) -> list[Setting]:
    """`--set` options -> settings; every problem at once as an InputError (exit 2)."""
    problems, settings, seen = [], [], set()
    for spec in specs:
        key, eq, rest = spec.partition("=")
        key = key.strip()
        if not eq or key not in SET_KEYS:
            problems.append(f"--set {spec}: expected KEY=V1,V2,... with KEY one of "
                            f"{', '.join(SET_KEYS)}, got key {key!r}")
            continue
        if key in seen:
            problems.append(f"--set {spec}: {key} is set twice (one --set per key, "
                            f"its values separated by commas)")
            continue
        seen.add(key)
        texts = list(dict.fromkeys(t.strip() for t in rest.split(",")))  # each once, in order
        values, bad = [], []
        for text in texts:
            try:
                if key == "advert_int":
                    values.append(_advert_int(text))
                else:
                    match = _PRIORITY.fullmatch(text)
                    if not match:
                        raise ValueError
                    values.append((match.group(1), int(match.group(2))))
            except ValueError:
                bad.append(text)
        if bad or not texts:
            what = ("seconds > 0, e.g. advert_int=1,0.1,0.01" if key == "advert_int"
                    else "ROUTER:PRIORITY, e.g. priority=r2:90,r2:150")
            problems.append(f"--set {spec}: expected {what}, got "
                            f"{', '.join(repr(b) for b in bad) or 'no value'}")
            continue
        settings.append(Setting(key, tuple(values), tuple(texts)))
    if not specs:
        problems.append("--set: at least one, e.g. --set advert_int=1,0.1,0.01")
    if problems:
        raise InputError(problems)
    return settings


def grid(settings: list[Setting]) -> list[Point]:
    """Every combination, the first key varying slowest."""
    axes = [[(s.key, v, t) for v, t in zip(s.values, s.texts)] for s in settings]
    return [Point(tuple(combo)) for combo in itertools.product(*axes)]


# ---------------------------------------------------------------- the derived scenario

def needs_v3(advert_int: float) -> bool:
    """VRRPv2 carries whole seconds (keepalived rounds the rest): below 1 s, or a fraction."""
    return advert_int < 1 or not float(advert_int).is_integer()


def version_for(advert_int: float, base_version: int) -> int:
    return 3 if base_version == 3 or needs_v3(advert_int) else base_version


def vrrp_overrides(point: Point) -> dict:
    """The `vrrp:` settings one point changes (merged over the scenario's own)."""
    out: dict = {}
    advert = point.value("advert_int")
    if advert is not None:
        out["advert_int"] = int(advert) if float(advert).is_integer() else advert
        if needs_v3(advert):
            out["version"] = 3
            out["auth_pass"] = None  # RFC 5798 removed authentication
    prio = point.value("priority")
    if prio is not None:
        router, priority = prio
        out["routers"] = {router: {"priority": priority}}
    return out


def derive(data: dict, point: Point, topology: str | None = None) -> dict:
    """The original scenario's YAML data with this point's `vrrp:` (and `topology`, when
    given: where the derived file finds it)."""
    derived = dict(data)
    vrrp = data.get("vrrp") if isinstance(data.get("vrrp"), dict) else {}
    derived["vrrp"] = deep_merge(vrrp, vrrp_overrides(point))
    if topology is not None:
        derived["topology"] = topology
    if isinstance(data.get("description"), str):
        derived["description"] = f"{data['description']} [sweep: {point.text}]"
    return derived


def render(derived: dict, source: Path, point: Point) -> str:
    header = (f"# Derived by `vrrplab sweep` from {source}: {point.text}\n"
              "# (advert_int below 1 s or fractional: VRRPv3, no auth_pass; keepalived rounds "
              "VRRPv2 intervals to whole seconds)\n")
    return header + yaml.safe_dump(derived, sort_keys=False, allow_unicode=True, width=1000)


def _topology_ref(data: dict, topology_path: Path) -> str | None:
    """None when a derived file in another folder finds the same topology by its name."""
    ref = data.get("topology")
    if isinstance(ref, str) and not ref.endswith((".yaml", ".yml")):
        if (PROJECT_ROOT / "topologies" / f"{ref}.yaml").resolve() == topology_path.resolve():
            return None
    return str(topology_path.resolve())


@dataclass
class Planned:
    """A validated point: its file and the VRRP settings it runs with."""

    point: Point
    path: Path
    version: int
    advert_int: float
    priorities: dict[str, int]
    instances: int  # VRRP instances a master holds (adverts per interval)


def _planned(point: Point, path: Path, scenario) -> Planned:
    vrrp = scenario.topology.vrrp
    return Planned(point, path, vrrp.version, vrrp.advert_int,
                   {r.name: vrrp.priority(r.name) for r in vrrp.routers}, len(vrrp.instances))


def prepare(source: Path, points: list[Point], folder: Path | None) -> list[Planned]:
    """Derive and validate every point (in a scratch folder when `folder` is None);
    one InputError naming each `--set` value the loader refused."""
    original = load_scenario(source)
    data = read_yaml(source)
    topology = _topology_ref(data, original.topology.path)
    problems, planned = [], []
    with tempfile.TemporaryDirectory(prefix="vrrplab-sweep-") as scratch:
        where = folder if folder is not None else Path(scratch) / "scenarios"
        where.mkdir(parents=True, exist_ok=True)
        for point in points:
            path = where / f"{original.name}--{point.slug}.yaml"
            text = render(derive(data, point, topology), source, point)
            replace_file(path, lambda new: new.write_text(text))  # a link there: replaced
            try:
                planned.append(_planned(point, path, load_scenario(path)))
            except InputError as exc:
                problems.append(f"--set {point.text}: the derived scenario does not validate:")
                problems += [f"  {p}".replace(f"{where}/", "") for p in exc.problems]
    if problems:
        raise InputError(problems)
    return planned


# ---------------------------------------------------------------- figures

def rfc_figure(bound_kind: str | None, priority: int | None, advert_int: float,
               version: int) -> float | None:
    """The RFC formula for a fault's bound kind (None: not a timer alone, e.g. healthcheck)."""
    formula = _CURVES.get(bound_kind or "")
    if formula is None or priority is None:
        return None
    return formula(priority, advert_int, version)


def _round(value):
    return round(value, 9) if isinstance(value, float) else value


def csv_rows(planned: Planned, speaker: str, index: int, run: dict,
             results: dict | None) -> list[dict]:
    """One run's rows: one per fault (one row with no fault when the run left no results).

    `run` is bench's entry for the run (execute.entry), `results` its results.json."""
    keys = tuple(k for k, _, _ in planned.point.values)
    base: dict = dict.fromkeys(columns(keys))
    base.update({k: t for k, _, t in planned.point.values})
    base.update({"vrrp_version": planned.version, "advert_int_s": planned.advert_int,
                 "adverts_per_s": _round(1 / planned.advert_int), "speaker": speaker,
                 "run": index, "run_verdict": run.get("verdict"),
                 "exit_code": run.get("exit_code"), "results": run.get("results") or "",
                 "error": run.get("error") or ""})
    faults = [f for f in (results or {}).get("faults") or [] if isinstance(f, dict)]
    if not faults:
        return [{**base, "error": base["error"] or "no fault in the results"}]
    rows = []
    for f in faults:
        fig = fault_figures(f)
        timing = fig["timing"] or {}
        figure, figure_s = timing.get("figure"), timing.get("figure_s")
        if figure_s is None:  # nothing timed: the fault's RFC bound
            figure, figure_s = f.get("bound_kind"), fig["bound_s"]
        rows.append({**base, "fault": f.get("name"), "kind": f.get("kind"),
                     "expected_master": f.get("expected_master"),
                     "takeover_s": fig["takeover_s"], "measured_s": fig["measured_s"],
                     "figure": figure, "figure_s": figure_s, "bound_kind": f.get("bound_kind"),
                     "bound_s": fig["bound_s"], "lower_s": timing.get("lower_s"),
                     "upper_s": timing.get("upper_s"), "verdict": timing.get("verdict"),
                     "judged": timing.get("judged") if timing else None,
                     "data_gap_s": fig["data_gap_s"], "lost_probes": fig["lost_probes"]})
    return [{k: _round(v) for k, v in row.items()} for row in rows]


def write_csv(rows: list[dict], keys: tuple[str, ...], path: Path) -> None:
    """A new file renamed over `path` (a link there is replaced, never written through;
    a reader never sees half a file)."""

    def write(new: Path) -> None:
        with new.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns(keys), extrasaction="raise")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ("" if row.get(k) is None else row.get(k))
                                 for k in columns(keys)})

    replace_file(path, write)


# ---------------------------------------------------------------- sweep.png

def _x(point: Point, key: str) -> float:
    value = point.value(key)
    return float(value[1] if key == "priority" else value)


def _curve(planned: list[Planned], key: str, bound_kind: str, master: str,
           base_version: int) -> list[tuple[str, list[float], list[float]]]:
    """[(label, xs, ys)]: the RFC formula over the swept range, per VRRP version."""
    first = planned[0]
    xs_all = sorted({_x(p.point, key) for p in planned})
    lo, hi = xs_all[0], xs_all[-1]
    if key == "advert_int":
        priority = first.priorities.get(master)
        lines = []
        for version, members in ((3, [x for x in xs_all if version_for(x, base_version) == 3]),
                                 (2, [x for x in xs_all if version_for(x, base_version) == 2])):
            if not members:
                continue
            a, b = (lo, max(members)) if version == 3 else (min(members), hi)
            n = 60
            xs = [a * (b / a) ** (i / n) for i in range(n + 1)] if b > a else [a]
            ys = [rfc_figure(bound_kind, priority, x, version) for x in xs]
            if None not in ys:
                lines.append((f"RFC {'5798 (VRRPv3)' if version == 3 else '3768 (VRRPv2)'} "
                              f"{bound_kind}", xs, ys))
        return lines
    routers = {p.point.value("priority")[0] for p in planned}
    if len(routers) != 1:
        return []
    router = routers.pop()
    xs = [lo + (hi - lo) * i / 60 for i in range(61)] if hi > lo else [lo]
    ys = [rfc_figure(bound_kind, int(round(x)) if master == router else
                     first.priorities.get(master), first.advert_int, first.version) for x in xs]
    return [] if None in ys else [(f"RFC {bound_kind}", xs, ys)]


def draw(planned: list[Planned], rows: list[dict], path: Path, base_version: int,
         title: str) -> bool:
    """Draw sweep.png; False when no run gave a takeover."""
    keys = [k for k, _, _ in planned[0].point.values]
    key = "advert_int" if "advert_int" in keys else keys[0]
    others = [k for k in keys if k != key]
    faults = list(dict.fromkeys(r["fault"] for r in rows if r.get("fault")))
    if not faults or not any(isinstance(r.get("takeover_s"), (int, float)) for r in rows):
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cost = key == "advert_int"
    panels = len(faults) + (1 if cost else 0)
    fig, axes = plt.subplots(panels, 1, figsize=(7.5, 3.0 * panels + 0.6), sharex=True,
                             squeeze=False)
    axes = [a[0] for a in axes]
    series: dict[str, list[Planned]] = {}
    for p in planned:
        series.setdefault(" ".join(f"{k}={t}" for k, _, t in p.point.values if k in others),
                          []).append(p)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes, faults):
        mine = [r for r in rows if r.get("fault") == name]
        info = next((r for r in mine if r.get("bound_kind")), {})
        for n, (label, members) in enumerate(series.items()):
            color = colors[n % len(colors)]
            suffix = f" ({label})" if label else ""
            xs_m, med = [], []
            for p in members:
                takeovers = [_judged(r) for r in mine if
                             " ".join(f"{k}={r[k]}" for k in keys) == p.point.text
                             and _judged(r) is not None]
                x = _x(p.point, key)
                if takeovers:
                    ax.scatter([x] * len(takeovers), takeovers, s=14, alpha=0.45, color=color,
                               zorder=3, label=f"takeover, each run{suffix}")
                    xs_m.append(x)
                    med.append(statistics.median(takeovers))
                figure = rfc_figure(info.get("bound_kind"),
                                    p.priorities.get(info.get("expected_master")),
                                    p.advert_int, p.version)
                if figure is not None:
                    ax.scatter([x], [figure], marker="_", s=220, color="tab:red", zorder=4,
                               label="RFC figure at the point")
            if xs_m:
                ax.plot(xs_m, med, "o-", color=color, zorder=5, label=f"median{suffix}")
            if info.get("bound_kind") and info.get("expected_master"):
                for text, cx, cy in _curve(members, key, info["bound_kind"],
                                           info["expected_master"], base_version):
                    if len(cx) < 2:
                        continue  # one point: "RFC figure at the point" shows it
                    ax.plot(cx, cy, "--", alpha=0.7, color="tab:red" if not label else color,
                            linewidth=1.2, label=f"{text}({info['expected_master']}){suffix}")
        ys = [v for r in mine for v in (_judged(r), r.get("figure_s"))
              if isinstance(v, (int, float)) and v > 0]
        if ys and max(ys) > 4 * min(ys):  # decades apart (advert_int): log
            ax.set_yscale("log")
        ax.set_ylabel("takeover (s)")
        ax.set_title(f"{name} ({info.get('kind', '?')}): takeover vs {key}", fontsize=9)
        ax.grid(which="both", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        seen = dict(zip(labels, handles))
        ax.legend(seen.values(), seen.keys(), fontsize=7, loc="best")
    if cost:
        ax = axes[-1]
        xs = sorted({_x(p.point, key) for p in planned})
        ax.plot(xs, [1 / x for x in xs], "o-", color="tab:green",
                label="1/advert_int: one instance")
        inst = max(p.instances for p in planned)
        if inst > 1:
            ax.plot(xs, [inst / x for x in xs], "s--", color="tab:olive",
                    label=f"{inst} instances (the master sends each)")
        ax.set_yscale("log")
        ax.set_ylabel("adverts/s from the master")
        ax.set_title("the cost: adverts per second (and as many wake-ups)", fontsize=9)
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    else:
        first = planned[0]
        axes[0].set_title(f"{axes[0].get_title()}\ncost: {1 / first.advert_int:g} adverts/s "
                          f"per instance at every point (advert_int {first.advert_int:g} s)",
                          fontsize=9)
    if key == "advert_int":
        axes[-1].set_xscale("log")
        axes[-1].set_xlabel("advert_int (s)")
    else:
        routers = sorted({p.point.value("priority")[0] for p in planned})
        axes[-1].set_xlabel(f"priority of {', '.join(routers)}")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _judged(row: dict) -> float | None:
    """The takeover as the RFC counts it (from the goodbye, the last advert, the start:
    timing.measured_s), else from the fault: what is drawn against the RFC figure."""
    for key in ("measured_s", "takeover_s"):
        if isinstance(row.get(key), (int, float)):
            return row[key]
    return None


# ---------------------------------------------------------------- the command

def _line(run: dict) -> str:
    parts = []
    for name, f in run.get("faults", {}).items():
        t = f.get("takeover_s")
        timing = f.get("timing") or {}
        parts.append(f"{name} {t:.3f} s" + (f" [{timing['verdict']}]" if timing.get("verdict")
                                             else "") if t is not None else f"{name} -")
    return ", ".join(parts)


def sweep(scenario: str, sets: tuple[str, ...], speaker: str, repeat: int, out: Path | None,
          say: Callable[[str], None] = print,
          clock: Callable[[], float] = time.monotonic) -> int:
    from vrrplab.bench.command import check_machine  # bench's root/tools/kernel checks

    settings = parse_sets(sets)
    source = find_scenario(scenario).resolve()
    original = load_scenario(source)
    name, base_version = original.name, original.topology.vrrp.version
    points = grid(settings)
    prepare(source, points, None)  # every point validates, or exit 2 with nothing written
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    check_out(out if out is not None else Path("reports/sweep"))  # exit 2, nothing started
    if out is not None and (out / "sweep.csv").exists():
        raise InputError(f"--out {out}: already holds a sweep.csv; choose another folder")
    check_machine()
    if out is None:  # a folder of its own, made by this sweep (each run makes its own)
        out = make_run_dir(Path("reports/sweep"), f"{name}-{stamp}")
    planned = prepare(source, points, out / "scenarios")
    keys = tuple(s.key for s in settings)
    total = len(planned) * repeat
    say(f"sweep: {name} ({speaker}): {' x '.join(f'{s.key}={len(s.values)}' for s in settings)}"
        f" = {len(planned)} point(s) x {repeat} = {total} runs, one at a time -> {out}")

    rows: list[dict] = []
    verdicts: list[dict] = []
    children, k, t0 = Children(), 0, clock()
    csv_path, png_path = out / "sweep.csv", out / "sweep.png"
    with Interrupt(children, say) as interrupt:
        for p in planned:
            if interrupt.event.is_set():
                break
            figures = "; ".join(
                f"Skew_Time({r}) {timers.skew_time(pr, p.advert_int, p.version):.3f} s, "
                f"Master_Down_Interval({r}) "
                f"{timers.master_down_interval(pr, p.advert_int, p.version):.3f} s"
                for r, pr in p.priorities.items())
            say(f"point {p.point.text}: VRRPv{p.version}, advert {p.advert_int:g} s "
                f"({1 / p.advert_int:g} adverts/s per instance); {figures}")
            runs_dir = (out / "runs" / p.point.slug).resolve()
            for index in range(1, repeat + 1):
                if interrupt.event.is_set():
                    break
                k += 1
                job = Job(name, str(p.path.resolve()), speaker, index)
                started = clock()
                outcome = launch.launch_run(job, runs_dir, children)
                run = entry(job, outcome, clock() - started)
                verdicts.append(run)
                rows += csv_rows(p, speaker, index, run, outcome.results)
                write_csv(rows, keys, csv_path)
                why = ""
                if run["verdict"] != "pass":
                    why = ": " + "; ".join((run["failed_checks"] or run["errors"]
                                            or [run["error"] or "?"])[:2])
                say(f"run {k} of {total}: {p.point.text} {speaker} #{index}: {run['verdict']}"
                    f"{why} ({_line(run)}) [{run['elapsed_s']:.1f} s]")
    interrupted = interrupt.event.is_set()
    write_csv(rows, keys, csv_path)
    drawn = False
    try:
        drawn = replace_file(png_path, lambda new: draw(
            planned, rows, new, base_version,
            f"vrrplab sweep {name} ({speaker}, {repeat} run(s) a point)")) is not None
    except Exception as exc:  # a plot must never hide the verdict
        say(f"warning: could not draw sweep.png: {exc}")

    _summary(planned, rows, keys, say)
    env = any(r["verdict"] == "error" and r["exit_code"] == EXIT_ENVIRONMENT for r in verdicts)
    failed = [r for r in verdicts if r["verdict"] != "pass"]
    if interrupted:
        code, verdict = EXIT_INTERRUPTED, "interrupted"
    elif env:
        code, verdict = EXIT_ENVIRONMENT, "error"
        say("  a run found the machine unfit (exit 3): see its log in runs/*/logs/")
    elif failed:
        code, verdict = EXIT_CHECK_FAILED, "fail"
    else:
        code, verdict = EXIT_PASS, "pass"
    say(f"sweep: {len(verdicts)} of {total} runs finished, {len(failed)} not passed "
        f"[{clock() - t0:.0f} s]")
    say(f"verdict: {verdict.upper()}")
    say(f"sweep: {out}/ (sweep.csv{', sweep.png' if drawn else ''}, scenarios/, runs/)")
    return code


def _summary(planned: list[Planned], rows: list[dict], keys: tuple[str, ...],
             say: Callable[[str], None]) -> None:
    """A line per point x fault: median takeover vs the RFC figure."""
    for p in planned:
        mine = [r for r in rows if all(str(r.get(k)) == t for k, _, t in p.point.values)]
        for fault in dict.fromkeys(r["fault"] for r in mine if r.get("fault")):
            these = [r for r in mine if r.get("fault") == fault]
            takeovers = [_judged(r) for r in these if _judged(r) is not None]
            figure = next((r for r in these if r.get("figure_s") is not None), None)
            med = f"median {statistics.median(takeovers):.3f} s" if takeovers else "no takeover"
            rfc = f" vs {figure['figure']} {figure['figure_s']:.3f} s" if figure else ""
            say(f"  {p.point.text} {fault}: {med} over {len(takeovers)} run(s){rfc}")
