"""`vrrplab sweep` without root: the grid, the derived scenarios, sweep.csv, sweep.png, exit codes.

The run step (`vrrplab.bench.launch.launch_run`) is replaced by a fake that
reads the derived scenario it is given and returns a results document (schema
2) whose takeovers follow the RFC timers of that scenario; the machine check is
replaced too. Nothing here builds a lab.
"""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab.bench import launch, sweep
from vrrplab.bench.launch import Outcome
from vrrplab.cli import main
from vrrplab.errors import EnvironmentProblem, InputError
from vrrplab.loader import find_scenario, load_scenario, read_yaml
from vrrplab.vrrp import timers

PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the grid

def test_grid_is_every_combination_first_key_slowest():
    settings = sweep.parse_sets(["advert_int=1,0.5,0.1,0.05,0.01,0.1", "priority=r2:90,r2:150"])
    assert [s.key for s in settings] == ["advert_int", "priority"]
    assert settings[0].texts == ("1", "0.5", "0.1", "0.05", "0.01")  # 0.1 once
    assert settings[1].values == (("r2", 90), ("r2", 150))
    points = sweep.grid(settings)
    assert len(points) == 10
    assert [p.text for p in points[:3]] == ["advert_int=1 priority=r2:90",
                                           "advert_int=1 priority=r2:150",
                                           "advert_int=0.5 priority=r2:90"]
    assert points[2].value("advert_int") == 0.5 and points[2].value("priority") == ("r2", 90)
    assert points[1].slug == "advert_int-1_priority-r2-150"
    assert "/" not in points[-1].slug and ":" not in points[-1].slug


@pytest.mark.parametrize("specs, named", [
    (["foo=1,2"], "'foo'"),
    (["advert_int"], "'advert_int'"),
    (["advert_int=abc,0.1"], "'abc'"),
    (["advert_int=0,0.1"], "'0'"),
    (["advert_int=-1"], "'-1'"),
    (["advert_int=nan"], "'nan'"),
    (["advert_int="], "''"),
    (["priority=150"], "'150'"),
    (["priority=r2:high"], "'r2:high'"),
    (["advert_int=1", "advert_int=0.1"], "set twice"),
    ([], "at least one"),
])
def test_a_bad_key_or_value_is_refused_naming_it(specs, named):
    with pytest.raises(InputError) as exc:
        sweep.parse_sets(specs)
    assert named in str(exc.value)


def test_only_sub_second_or_fractional_intervals_switch_to_vrrpv3():
    assert sweep.needs_v3(0.5) and sweep.needs_v3(0.01) and sweep.needs_v3(1.5)
    assert not sweep.needs_v3(1.0) and not sweep.needs_v3(2)
    assert sweep.version_for(2, 2) == 2 and sweep.version_for(2, 3) == 3  # never back to v2
    point = sweep.grid(sweep.parse_sets(["advert_int=0.01", "priority=r2:150"]))[0]
    assert sweep.vrrp_overrides(point) == {"advert_int": 0.01, "version": 3, "auth_pass": None,
                                           "routers": {"r2": {"priority": 150}}}
    whole = sweep.grid(sweep.parse_sets(["advert_int=1"]))[0]
    assert sweep.vrrp_overrides(whole) == {"advert_int": 1}  # an int: v2 wants one


# ---------------------------------------------------------------- the derived scenario

def test_derived_scenarios_validate_with_the_real_loader(tmp_path):
    source = find_scenario("failover-basic").resolve()
    points = sweep.grid(sweep.parse_sets(["advert_int=1,0.5,0.1,0.05,0.01"]))
    planned = sweep.prepare(source, points, tmp_path / "scenarios")
    assert [(p.version, p.advert_int) for p in planned] == [
        (2, 1), (3, 0.5), (3, 0.1), (3, 0.05), (3, 0.01)]
    ten_ms = load_scenario(planned[-1].path)  # the loader again, on the file left in OUT
    assert ten_ms.topology.vrrp.version == 3 and ten_ms.topology.vrrp.advert_int == 0.01
    assert ten_ms.topology.vrrp.auth_pass is None
    assert ten_ms.name == "failover-basic" and "[sweep: advert_int=0.01]" in ten_ms.description
    assert ten_ms.topology.vrrp.skew_time("r2") == pytest.approx(156 * 0.01 / 256)
    one = load_scenario(planned[0].path)
    assert one.topology.vrrp.version == 2 and one.topology.vrrp.auth_pass == "Lab2pass"
    data = read_yaml(planned[-1].path)
    assert data["steps"] == read_yaml(source)["steps"] and data["topology"] == "textbook"
    result = CliRunner().invoke(main, ["validate", str(planned[-1].path)])
    assert result.exit_code == 0 and "ok:" in result.output


def test_priority_and_a_scenario_that_is_already_v3(tmp_path):
    source = find_scenario("fast-vrrpv3").resolve()
    points = sweep.grid(sweep.parse_sets(["advert_int=1,0.01", "priority=r2:150"]))
    planned = sweep.prepare(source, points, tmp_path)
    assert [(p.version, p.advert_int, p.priorities) for p in planned] == [
        (3, 1, {"r1": 120, "r2": 150}), (3, 0.01, {"r1": 120, "r2": 150})]


def test_a_topology_found_by_path_is_kept_findable(tmp_path):
    own = tmp_path / "own"
    (own / "scenarios").mkdir(parents=True)
    (own / "topologies").mkdir()
    root = Path(__file__).resolve().parents[2]
    (own / "topologies" / "mine.yaml").write_text(
        (root / "topologies" / "textbook.yaml").read_text().replace("name: textbook", "name: mine"))
    text = (root / "scenarios" / "failover-basic.yaml").read_text()
    (own / "scenarios" / "s.yaml").write_text(text.replace("topology: textbook", "topology: mine"))
    planned = sweep.prepare(own / "scenarios" / "s.yaml",
                            sweep.grid(sweep.parse_sets(["advert_int=0.1"])), tmp_path / "out")
    assert load_scenario(planned[0].path).topology.name == "mine"


@pytest.mark.parametrize("scenario, spec, named", [
    ("failover-basic", "advert_int=0.005", "expected a number from 0.01"),  # below v3's floor
    ("failover-basic", "advert_int=0.015", "whole number of centiseconds"),
    ("failover-basic", "advert_int=300", "advert_int"),
    ("failover-basic", "priority=r9:150", "vrrp.routers.r9"),
    ("failover-basic", "priority=r2:120", "distinct priorities"),  # r1's
    ("failover-basic", "priority=r2:300", "vrrp.routers.r2.priority"),
    ("auth-mismatch", "advert_int=0.5", "vrrp.routers.r2.auth_pass"),  # v3 has no password
])
def test_a_derived_scenario_the_loader_refuses_names_the_value(scenario, spec, named):
    points = sweep.grid(sweep.parse_sets([spec]))
    with pytest.raises(InputError) as exc:
        sweep.prepare(find_scenario(scenario).resolve(), points, None)
    text = str(exc.value)
    assert f"--set {spec}: the derived scenario does not validate" in text and named in text


# ---------------------------------------------------------------- figures and rows

def test_rfc_figure_is_the_timers_and_nothing_else():
    assert sweep.rfc_figure("skew_time", 100, 0.01, 3) == timers.skew_time(100, 0.01, 3)
    assert sweep.rfc_figure("master_down_interval", 120, 1, 2) == pytest.approx(3 + 136 / 256)
    assert sweep.rfc_figure("skew_time", 100, 1, 2) == pytest.approx(156 / 256)
    assert sweep.rfc_figure("healthcheck", 100, 1, 2) is None
    assert sweep.rfc_figure("skew_time", None, 1, 2) is None


def _planned(tmp_path, specs=("advert_int=1,0.1",), scenario="failover-basic"):
    return sweep.prepare(find_scenario(scenario).resolve(),
                         sweep.grid(sweep.parse_sets(list(specs))), tmp_path / "scenarios")


def test_csv_rows_one_per_fault_and_one_for_a_run_without_results(tmp_path):
    planned = _planned(tmp_path)[1]
    doc = canned(planned.path, 1)
    run = {"verdict": "pass", "exit_code": 0, "results": "/r/results.json", "error": None}
    rows = sweep.csv_rows(planned, "bundled", 2, run, doc)
    assert [r["fault"] for r in rows] == ["stop-r1", "restart-r1"]
    stop = rows[0]
    assert set(stop) == set(sweep.columns(("advert_int",)))
    assert stop["advert_int"] == "0.1" and stop["vrrp_version"] == 3 and stop["run"] == 2
    assert stop["adverts_per_s"] == 10 and stop["speaker"] == "bundled"
    assert stop["figure"] == "Skew_Time" and stop["figure_s"] == pytest.approx(0.0609375)
    assert stop["bound_kind"] == "skew_time" and stop["verdict"] == "ok"
    assert stop["takeover_s"] > stop["figure_s"] and stop["lost_probes"] == 12
    untimed = {**doc, "faults": [{**doc["faults"][0], "timing": None}]}
    row = sweep.csv_rows(planned, "bundled", 2, run, untimed)[0]
    assert row["figure"] == "skew_time" and row["figure_s"] == row["bound_s"]  # the bound
    gone = sweep.csv_rows(planned, "keepalived", 1, {"verdict": "error", "exit_code": 1,
                                                    "results": None, "error": "boom"}, None)
    assert len(gone) == 1 and gone[0]["fault"] is None and gone[0]["error"] == "boom"


# ---------------------------------------------------------------- the command, with a fake run

def canned(path, index, failed=False, interrupted=False):
    """A results document for the derived scenario at `path`, takeovers from its timers."""
    vrrp = load_scenario(Path(path)).topology.vrrp
    advert, jitter = vrrp.advert_int, 1 + index / 100
    skew, mdi = vrrp.skew_time("r2"), vrrp.master_down_interval("r1")
    faults = []
    for name, kind, bound_kind, master, figure, fig_s in (
            ("stop-r1", "stop", "skew_time", "r2", "Skew_Time", skew),
            ("restart-r1", "start", "master_down_interval", "r1", "Master_Down_Interval", mdi)):
        faults.append({"name": name, "kind": kind, "takeover_s": fig_s * jitter + 0.002,
                       "bound_s": fig_s, "bound_kind": bound_kind, "expected_master": master,
                       "data_gap_s": fig_s + 0.01, "lost_probes": 12, "timing": {
                           "rule": "x", "figure": figure, "figure_s": fig_s,
                           "lower_s": fig_s, "upper_s": fig_s + advert / 10 + 0.02,
                           "measured_s": fig_s * jitter, "verdict": "late" if failed else "ok",
                           "judged": True, "lower_parts": [], "upper_parts": []}})
    checks = [{"name": "stop-r1: takeover within the RFC window", "ok": not failed, "detail": ""}]
    verdict = "interrupted" if interrupted else ("fail" if failed else "pass")
    return {"schema": 2, "scenario": "failover-basic", "run_id": f"r{index}", "verdict": verdict,
            "errors": [], "interrupted": interrupted, "faults": faults, "checks": checks,
            "vrrp": {"version": vrrp.version, "advert_int_s": advert}}


class FakeRuns:
    """Stands in for launch_run; `fail`/`error3`/`hook` pick what a given run does."""

    def __init__(self):
        self.calls, self.fail, self.error3, self.hook = [], set(), set(), None

    def __call__(self, job, runs_dir, children):
        self.calls.append((job, runs_dir))
        n = len(self.calls)
        if self.hook:
            self.hook(n)
        if n in self.error3:
            return Outcome(3, None, None, None, "vrrplab: keepalived: not installed")
        doc = canned(job.path, job.index, failed=n in self.fail)
        folder = runs_dir / "failover-basic" / f"r{n}"
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(doc))
        return Outcome(1 if n in self.fail else 0, doc, str(folder / "results.json"), None)


@pytest.fixture
def fake(monkeypatch):
    machine = []
    monkeypatch.setattr("vrrplab.bench.command.check_machine", lambda: machine.append(1))
    runs = FakeRuns()
    runs.machine = machine
    monkeypatch.setattr(launch, "launch_run", runs)
    return runs


def invoke(*args):
    return CliRunner().invoke(main, ["sweep", *map(str, args)])


def read_csv(path):
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def test_cli_sweep_runs_every_point_serially_and_writes_csv_and_png(fake, tmp_path):
    out = tmp_path / "s"
    result = invoke("failover-basic", "--set", "advert_int=1,0.5,0.1,0.05,0.01", "--repeat", 2,
                    "--speaker", "bundled", "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    assert fake.machine == [1] and len(fake.calls) == 10
    jobs = [job for job, _ in fake.calls]
    assert [job.index for job in jobs] == [1, 2] * 5 and {j.speaker for j in jobs} == {"bundled"}
    assert jobs[-1].path == str(out.resolve() / "scenarios"
                                / "failover-basic--advert_int-0.01.yaml")
    assert fake.calls[-1][1] == (out / "runs" / "advert_int-0.01").resolve()
    assert load_scenario(Path(jobs[-1].path)).topology.vrrp.version == 3
    assert "run 10 of 10: advert_int=0.01 bundled #2: pass" in result.output
    assert "point advert_int=0.01: VRRPv3, advert 0.01 s (100 adverts/s" in result.output
    assert "\x1b" not in result.output and "verdict: PASS" in result.output
    header, rows = read_csv(out / "sweep.csv")
    assert tuple(header) == sweep.columns(("advert_int",))
    assert len(rows) == 10 * 2  # run x fault
    first = rows[0]
    assert (first["advert_int"], first["vrrp_version"], first["speaker"], first["run"],
            first["fault"], first["kind"], first["figure"], first["verdict"]) == (
        "1", "2", "bundled", "1", "stop-r1", "stop", "Skew_Time", "ok")
    assert float(first["figure_s"]) == pytest.approx(156 / 256)
    last = rows[-1]
    assert last["advert_int"] == "0.01" and last["fault"] == "restart-r1"
    assert float(last["figure_s"]) == pytest.approx(timers.master_down_interval(120, 0.01))
    for name in ("takeover_s", "measured_s", "lower_s", "upper_s", "data_gap_s", "lost_probes"):
        assert last[name] != ""
    assert (out / "sweep.png").read_bytes()[:8] == PNG
    assert len(list((out / "scenarios").glob("*.yaml"))) == 5


def test_cli_a_grid_and_a_priority_only_sweep_draw_too(fake, tmp_path):
    grid_out = tmp_path / "g"
    result = invoke("failover-basic", "--set", "advert_int=1,0.1", "--set",
                    "priority=r2:90,r2:110", "--repeat", 1, "--out", grid_out)
    assert result.exit_code == 0, result.output + result.stderr
    header, rows = read_csv(grid_out / "sweep.csv")
    assert header[:2] == ["advert_int", "priority"] and len(rows) == 4 * 2
    assert {(r["advert_int"], r["priority"]) for r in rows} == {
        ("1", "r2:90"), ("1", "r2:110"), ("0.1", "r2:90"), ("0.1", "r2:110")}
    assert (grid_out / "sweep.png").read_bytes()[:8] == PNG
    prio = tmp_path / "p"
    result = invoke("fast-vrrpv3", "--set", "priority=r2:50,r2:100,r2:110", "--repeat", 1,
                    "--out", prio)
    assert result.exit_code == 0, result.output + result.stderr
    assert (prio / "sweep.png").read_bytes()[:8] == PNG


def test_draw_says_false_when_no_run_gave_a_takeover(tmp_path):
    planned = _planned(tmp_path)
    assert not sweep.draw(planned, [], tmp_path / "x.png", 2, "t")
    assert not (tmp_path / "x.png").exists()


def test_cli_a_failed_run_exits_1_and_still_writes_everything(fake, tmp_path):
    fake.fail = {3}
    out = tmp_path / "s"
    result = invoke("failover-basic", "--set", "advert_int=1,0.1", "--repeat", 2, "--out", out)
    assert result.exit_code == 1, result.output
    assert len(fake.calls) == 4  # no rerun: every point gets exactly --repeat runs
    assert "run 3 of 4: advert_int=0.1 keepalived #1: fail" in result.output
    assert "verdict: FAIL" in result.output
    _, rows = read_csv(out / "sweep.csv")
    assert [r["run_verdict"] for r in rows] == ["pass"] * 4 + ["fail"] * 2 + ["pass"] * 2
    assert rows[4]["verdict"] == "late"
    assert (out / "sweep.png").exists()


def test_cli_a_run_that_found_the_machine_unfit_exits_3(fake, tmp_path):
    fake.error3 = {2}
    out = tmp_path / "s"
    result = invoke("failover-basic", "--set", "advert_int=1", "--repeat", 2, "--out", out)
    assert result.exit_code == 3, result.output
    _, rows = read_csv(out / "sweep.csv")
    assert rows[-1]["run_verdict"] == "error" and "not installed" in rows[-1]["error"]


@pytest.mark.parametrize("args, named", [
    (["--set", "foo=1"], "foo"),
    (["--set", "advert_int=fast"], "fast"),
    (["--set", "advert_int=1,0.005"], "advert_int=0.005"),
    (["--set", "advert_int=1", "--set", "priority=r9:150"], "priority=r9:150"),
    (["--set", "priority=r2:120"], "priority=r2:120"),
    (["--set", "advert_int=1", "--repeat", "0"], "--repeat"),
    ([], "--set"),
])
def test_cli_bad_input_exits_2_with_nothing_started(fake, tmp_path, args, named):
    out = tmp_path / "s"
    result = invoke("failover-basic", *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert named in result.output + result.stderr
    assert fake.calls == [] and fake.machine == [] and not out.exists()


def test_cli_unknown_scenario_and_a_used_out_exit_2(fake, tmp_path):
    result = invoke("no-such-scenario", "--set", "advert_int=1", "--out", tmp_path / "s")
    assert result.exit_code == 2 and "no-such-scenario" in result.stderr
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "sweep.csv").write_text("x\n")
    result = invoke("failover-basic", "--set", "advert_int=1", "--out", tmp_path / "used")
    assert result.exit_code == 2 and "already holds a sweep.csv" in result.stderr
    assert fake.calls == []


def test_cli_environment_exits_3_with_nothing_started(monkeypatch, tmp_path):
    from vrrplab.lab import sandbox

    def not_root():
        raise EnvironmentProblem("a lab needs root (network namespaces): run it with sudo")

    calls = []
    monkeypatch.setattr(sandbox, "require_root", not_root)
    monkeypatch.setattr(launch, "launch_run", lambda *a: calls.append(a))
    result = invoke("failover-basic", "--set", "advert_int=1,0.1", "--out", tmp_path / "s")
    assert result.exit_code == 3 and "needs root" in result.stderr and calls == []


def test_cli_sigterm_writes_what_it_has_and_exits_130(fake, tmp_path):
    def interrupt(n):
        if n == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    fake.hook = interrupt
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "s"
    result = invoke("failover-basic", "--set", "advert_int=1,0.1", "--repeat", 2, "--out", out)
    assert signal.getsignal(signal.SIGTERM) == before
    assert result.exit_code == 130, result.output
    assert "interrupted (SIGTERM)" in result.output and "verdict: INTERRUPTED" in result.output
    assert len(fake.calls) == 2
    _, rows = read_csv(out / "sweep.csv")
    assert len(rows) == 2 * 2 and (out / "sweep.png").exists()
