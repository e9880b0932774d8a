"""`vrrplab bench` without root: statistics, thresholds, baseline, files, the CLI with a fake run.

The run step (`vrrplab.bench.launch.launch_run`) is replaced by a fake that
returns hand-made results documents shaped like results.json (schema 2).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner
from junitparser import Failure, JUnitXml, Skipped

from vrrplab.bench import document, junit, launch, stats, thresholds
from vrrplab.bench.launch import Outcome
from vrrplab.cli import main
from vrrplab.errors import EnvironmentProblem, InputError

XSD = Path(__file__).parent / "data" / "junit.xsd"
SKEW = 0.609375


# ---------------------------------------------------------------- synthetic documents

def fault(name="stop-r1", kind="stop", takeover=0.612, bound=SKEW, gap=0.62, lost=61,
          measured=0.611, lower=0.609, upper=0.65, verdict="ok", judged=True, figure_s=SKEW):
    timing = None if measured is False else {
        "rule": "goodbye", "figure": "Skew_Time", "figure_s": figure_s, "lower_s": lower,
        "upper_s": upper, "measured_s": measured, "verdict": verdict, "judged": judged,
        "lower_parts": [], "upper_parts": []}
    return {"name": name, "kind": kind, "takeover_s": takeover, "bound_s": bound,
            "data_gap_s": gap, "lost_probes": lost, "timing": timing}


def results(run_id="r", faults=None, failed=(), scenario="failover-basic", speaker="keepalived"):
    faults = [fault()] if faults is None else faults
    names = ["VIP on r1's interface only (ip addr show)"]
    for f in faults:
        names += [f"{f['name']}: r2 becomes master", f"{f['name']}: takeover within the RFC window"]
    checks = [{"name": n, "ok": n not in failed, "detail": "..."} for n in names]
    return {"schema": 2, "scenario": scenario, "speaker": speaker, "run_id": run_id,
            "verdict": "fail" if failed else "pass", "errors": [], "interrupted": False,
            "faults": faults, "checks": checks}


def run_entry(index, doc, attempt=1, speaker="keepalived"):
    figures = stats.run_figures(doc)
    return {"scenario": doc["scenario"], "speaker": speaker, "index": index, "attempt": attempt,
            "verdict": figures["verdict"], "exit_code": 0 if figures["verdict"] == "pass" else 1,
            "failed_checks": figures["failed_checks"], "errors": [], "error": None,
            "faults": figures["faults"]}


TAKEOVERS = [0.64, 0.61, 0.645, 0.62, 0.63]


def five_runs(takeovers=TAKEOVERS):
    return [run_entry(i + 1, results(f"r{i}", [fault(takeover=t, measured=t - 0.001)]))
            for i, t in enumerate(takeovers)]


# ---------------------------------------------------------------- statistics

def test_nearest_rank_is_one_of_the_values():
    assert stats.nearest_rank(list(range(1, 101)), 95) == 95
    assert stats.nearest_rank(list(range(1, 21)), 95) == 19
    assert stats.nearest_rank(list(range(1, 11)), 95) == 10  # n < 20: the maximum
    assert stats.nearest_rank([3.0], 95) == 3.0
    assert stats.nearest_rank([5, 1, 4, 2, 3], 50) == 3
    with pytest.raises(ValueError):
        stats.nearest_rank([], 95)
    with pytest.raises(ValueError):
        stats.nearest_rank([1], 0)


def test_spread_skips_missing_values():
    assert stats.spread([None, 2, 1, None, 3]) == {"n": 3, "min": 1, "median": 2, "p95": 3, "max": 3}
    assert stats.spread([None]) == {"n": 0, "min": None, "median": None, "p95": None, "max": None}


def test_run_figures_from_a_real_results_document(tmp_path):
    from tests.unit import synthetic
    from vrrplab.analysis.results import build_results

    doc = build_results(synthetic.record(tmp_path))
    figures = stats.run_figures(doc)
    f = figures["faults"]["stop-r1"]
    assert figures["verdict"] == "pass" and figures["failed_checks"] == []
    assert f["takeover_s"] == doc["faults"][0]["takeover_s"]
    assert f["ratio"] == pytest.approx(doc["faults"][0]["takeover_s"] / doc["faults"][0]["bound_s"])
    assert f["measured_s"] == doc["faults"][0]["timing"]["measured_s"]
    assert f["timing"]["figure_s"] == pytest.approx(SKEW) and f["timing"]["judged"]


def test_summarize_first_attempts_and_retries_apart():
    runs = five_runs()
    bad = results("r9", [fault(takeover=5.0, measured=5.0, verdict="late")],
                  failed=("stop-r1: takeover within the RFC window",))
    runs[2] = run_entry(3, bad)
    runs.append(run_entry(3, results("r3b", [fault(takeover=0.615)]), attempt=2))
    [group] = stats.summarize(runs)
    assert (group["runs"], group["passed"], group["failed"]) == (5, 4, [3])
    assert (group["retried"], group["flaky"], group["failed_twice"]) == (1, [3], [])
    [f] = group["faults"]
    assert f["passed"] == 4 and f["kind"] == "stop"
    t = f["metrics"]["takeover_s"]
    assert t == {"n": 5, "min": 0.61, "median": 0.63, "p95": 5.0, "max": 5.0}  # the rerun's 0.615 not in
    assert f["metrics"]["ratio"]["median"] == pytest.approx(0.63 / SKEW)
    assert f["metrics"]["lost_probes"]["median"] == 61
    assert f["metrics"]["measured_s"]["median"] == pytest.approx(0.629)


def test_a_rerun_that_fails_too_is_not_flaky():
    runs = five_runs()
    failed = ("stop-r1: r2 becomes master",)
    runs[0] = run_entry(1, results("a", failed=failed))
    runs.append(run_entry(1, results("b", failed=failed), attempt=2))
    [group] = stats.summarize(runs)
    assert group["flaky"] == [] and group["failed_twice"] == [1] and group["passed"] == 4


# ---------------------------------------------------------------- thresholds and baseline

def _baseline_from(runs, scale=1.0):
    groups = copy.deepcopy(stats.summarize(runs))
    for g in groups:
        for f in g["faults"]:
            for figures in f["metrics"].values():
                for key in ("min", "median", "p95", "max"):
                    if figures[key] is not None:
                        figures[key] *= scale
    return {"stats": groups}


def test_half_the_medians_in_the_baseline_is_a_named_regression():
    runs = five_runs()
    groups = stats.summarize(runs)
    ths, comparison = thresholds.judge(runs, groups, _baseline_from(runs, 0.5), 10)
    regressed = [e for e in comparison if e["regressed"]]
    assert {e["metric"] for e in regressed} == set(stats.METRICS)
    text = next(e["text"] for e in regressed if e["metric"] == "takeover_s")
    assert text == ("failover-basic keepalived stop-r1 takeover_s median 0.315 s -> 0.630 s "
                    "(+100 %, tolerance 10 %)")
    failed = [t for t in ths if t["status"] == "failed"]
    assert {t["name"] for t in failed} == {f"median {m} vs baseline" for m in stats.METRICS}
    assert any(line == f"regression: {text}" for line in thresholds.findings(groups, ths))


def test_equal_and_within_tolerance_hold_past_it_fails():
    runs = five_runs()
    groups = stats.summarize(runs)
    for scale, regressed in ((1.0, False), (1 / 1.05, False), (1 / 1.11, True)):
        ths, comparison = thresholds.judge(runs, groups, _baseline_from(runs, scale), 10)
        takeover = next(e for e in comparison if e["metric"] == "takeover_s")
        assert takeover["regressed"] is regressed, scale
        assert any(t["status"] == "failed" for t in ths) is regressed
    assert all(t["status"] == "ok" for t in thresholds.judge(runs, groups, None, 10)[0])


def test_no_baseline_figure_is_skipped_not_passed():
    runs = five_runs()
    groups = stats.summarize(runs)
    ths, _ = thresholds.judge(runs, groups, {"stats": []}, 10)
    base = [t for t in ths if t["name"].endswith("vs baseline")]
    assert base and all(t["status"] == "skipped" for t in base)


def test_a_takeover_outside_its_window_fails_the_window_threshold():
    runs = five_runs()
    runs[1] = run_entry(2, results("late", [fault(takeover=0.70, measured=0.70, verdict="late")],
                                   failed=("stop-r1: takeover within the RFC window",)))
    ths, _ = thresholds.judge(runs, stats.summarize(runs), None, 10)
    window = next(t for t in ths if t["name"] == thresholds.WINDOW)
    assert window["status"] == "failed"
    assert "run 2: 0.700 s = 1.149 x Skew_Time 0.609 s, window 0.609-0.650 s (0.999-1.067 x)" in window["message"] and "(late)" in window["message"]
    early = five_runs()
    early[0] = run_entry(1, results("early", [fault(takeover=0.3, measured=0.3, verdict="early")]))
    ths, _ = thresholds.judge(early, stats.summarize(early), None, 10)
    assert "(early)" in next(t for t in ths if t["name"] == thresholds.WINDOW)["message"]


def test_a_run_not_judged_is_named_not_failed_and_nothing_to_time_is_skipped():
    runs = five_runs()
    runs[0] = run_entry(1, results("busy", [fault(measured=2.0, judged=False)]))
    ths, _ = thresholds.judge(runs, stats.summarize(runs), None, 10)
    window = next(t for t in ths if t["name"] == thresholds.WINDOW)
    assert window["status"] == "ok" and "not judged (machine too busy): runs 1" in window["message"]
    untimed = [run_entry(1, results("x", [fault(measured=False)]))]
    ths, _ = thresholds.judge(untimed, stats.summarize(untimed), None, 10)
    assert next(t for t in ths if t["name"] == thresholds.WINDOW)["status"] == "skipped"


def test_failed_checks_name_the_run_and_its_rerun():
    runs = five_runs()
    runs[3] = run_entry(4, results("f", failed=("stop-r1: r2 becomes master",)))
    runs.append(run_entry(4, results("g"), attempt=2))
    groups = stats.summarize(runs)
    ths, _ = thresholds.judge(runs, groups, None, 10)
    checks = next(t for t in ths if t["name"] == thresholds.CHECKS)
    assert checks["status"] == "failed"
    assert "4/5 first attempts passed" in checks["message"]
    assert "run 4 (fail; rerun passed: flaky): stop-r1: r2 becomes master" in checks["message"]
    assert any("flaky: run(s) 4" in line for line in thresholds.findings(groups, ths))


# ---------------------------------------------------------------- files

def _doc(runs, baseline=None, tolerance=10.0):
    groups = stats.summarize(runs)
    ths, comparison = thresholds.judge(runs, groups, baseline, tolerance)
    code = 1 if any(t["status"] == "failed" for t in ths) else 0
    return document.build(version="0", started_at="2026-01-01T00:00:00+00:00",
                          finished_at="2026-01-01T00:01:00+00:00", duration_s=60.0,
                          params={"scenarios": ["failover-basic"], "speakers": ["keepalived"],
                                  "repeat": len(runs), "jobs": 1, "tolerance_pct": tolerance,
                                  "baseline": None},
                          interrupted=False, exit_code=code, runs=runs, stats=groups,
                          thresholds=ths, comparison=comparison,
                          baseline_path="old.json" if baseline is not None else None,
                          tolerance_pct=tolerance, findings=thresholds.findings(groups, ths))


def test_bench_json_round_trip(tmp_path):
    doc = _doc(five_runs())
    assert document.problems(doc) == []
    document.write(doc, tmp_path / "bench.json")
    assert document.load(tmp_path / "bench.json") == doc
    assert doc["schema"] == 1 and doc["verdict"] == "pass"


@pytest.mark.parametrize("text, why", [
    ("{not json", "invalid JSON"),
    ("[" * 100 + "]" * 100, "levels of nesting"),
    ('{"schema": NaN}', "NaN is not a JSON number"),
    ("[1, 2]", "expected a JSON object"),
    ('{"schema": 2}', "schema: expected 1"),
    ('{"schema": 1}', "missing: vrrplab, started_at"),
])
def test_a_baseline_that_is_not_a_bench_json_names_the_file(tmp_path, text, why):
    path = tmp_path / "old.json"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        document.load(path)
    assert str(path) in str(exc.value) and why in str(exc.value)


def test_a_baseline_that_is_a_fifo_is_refused_without_reading(tmp_path):
    import os

    fifo = tmp_path / "old.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        document.load(fifo)


def test_a_bench_json_with_a_broken_stats_entry_is_refused(tmp_path):
    doc = _doc(five_runs())
    del doc["stats"][0]["faults"][0]["metrics"]["takeover_s"]["median"]
    assert any("metrics.takeover_s" in p for p in document.problems(doc))
    doc = _doc(five_runs())
    doc["thresholds"][0]["status"] = "maybe"
    assert document.problems(doc)


def test_junit_parses_validates_and_a_failed_threshold_is_a_failure(tmp_path):
    runs = five_runs()
    doc = _doc(runs, baseline=_baseline_from(runs, 0.5))
    path = tmp_path / "junit.xml"
    junit.write(doc, path)
    xmlschema.XMLSchema(str(XSD)).validate(str(path))  # raises when invalid
    cases = [case for suite in JUnitXml.fromfile(str(path)) for case in suite]
    assert len(cases) == len(doc["thresholds"])
    by_name = {(c.classname, c.name): c for c in cases}
    takeover = by_name[("bench.failover-basic.keepalived.stop-r1", "median takeover_s vs baseline")]
    [failure] = takeover.result
    assert isinstance(failure, Failure)
    assert "0.315 s -> 0.630 s (+100 %, tolerance 10 %)" in failure.message
    checks = by_name[("bench.failover-basic.keepalived.stop-r1", thresholds.CHECKS)]
    assert checks.is_passed and "5/5 first attempts passed" in checks.system_out


def test_junit_skipped_and_the_schema_rejects_a_misordered_file(tmp_path):
    runs = five_runs()
    doc = _doc(runs, baseline={"stats": []})
    path = tmp_path / "junit.xml"
    junit.write(doc, path)
    schema = xmlschema.XMLSchema(str(XSD))
    assert schema.is_valid(str(path))
    assert any(isinstance(r, Skipped) for s in JUnitXml.fromfile(str(path)) for c in s for r in c.result)
    bad = path.read_text().replace("<testcase ", "<testcase nameless=\"1\" ", 1)
    assert not schema.is_valid(bad)
    swapped = ('<testsuites><testsuite name="s" tests="1"><testcase name="a" classname="b">'
               '<system-out>x</system-out><failure message="m"/></testcase></testsuite></testsuites>')
    assert not schema.is_valid(swapped)


def test_markdown_and_plot(tmp_path):
    runs = five_runs()
    runs.append(run_entry(2, results("again"), attempt=2))
    doc = _doc(runs, baseline=_baseline_from(five_runs(), 0.5))
    from vrrplab.bench import markdown, plot

    text = markdown.render(doc)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 3 and "| failover-basic | keepalived | stop-r1 | 5 | 5/5 |" in table[2]
    assert "+100 % **regressed**" in table[2] and "regression: failover-basic" in text
    assert plot.draw(doc, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plot.draw({**doc, "runs": []}, tmp_path / "none.png")


def test_launch_parses_stdout_or_the_report_folder(tmp_path):
    doc = results("x")
    folder = tmp_path / "failover-basic" / "x"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(doc))
    stderr = f"summary\nreport: {folder}\n"
    assert launch.parse(json.dumps(doc), stderr) == (doc, str(folder / "results.json"), None)
    assert launch.parse("", stderr)[0] == doc
    assert launch.parse("", "vrrplab: a lab needs root\n") == (None, None, "vrrplab: a lab needs root")
    job = launch.Job("failover-basic", "/s.yaml", "bundled", 2)
    assert launch.command(job, tmp_path)[2:] == ["vrrplab", "run", "/s.yaml", "--speaker", "bundled",
                                                 "--out", str(tmp_path), "--json", "--spread-faults",
                                                 "--lang", "en"]


# ---------------------------------------------------------------- the command, with a fake run

class FakeRuns:
    """Stands in for launch_run: canned results per (speaker, index, attempt)."""

    def __init__(self, tmp_path, plan=None, hook=None):
        self.calls, self.plan, self.hook, self.lock = [], plan or {}, hook, threading.Lock()
        self.tmp_path = tmp_path

    def __call__(self, job, runs_dir, children):
        with self.lock:
            self.calls.append(job)
        if self.hook:
            self.hook(job)
        doc = self.plan.get((job.speaker, job.index, job.attempt)) or results(
            f"{job.label}", [fault(takeover=0.61 + job.index / 1000)], scenario=job.scenario)
        doc = {**doc, "scenario": job.scenario, "run_id": job.label}
        folder = runs_dir / job.scenario / job.label
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(doc))
        code = {"pass": 0, "fail": 1, "interrupted": 130}[doc["verdict"]]
        return Outcome(code, doc, str(folder / "results.json"), None)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setattr("vrrplab.bench.command.check_machine", lambda: None)
    runs = FakeRuns(tmp_path)
    monkeypatch.setattr(launch, "launch_run", runs)
    return runs


def invoke(*args):
    return CliRunner().invoke(main, ["bench", *map(str, args)])


def test_cli_all_pass_jobs_2_runs_two_at_once(fake, tmp_path):
    barrier = threading.Barrier(2, timeout=10)  # breaks (BrokenBarrierError) unless 2 run at once
    fake.hook = lambda job: barrier.wait()
    out = tmp_path / "b"
    result = invoke("failover-basic", "--speaker", "keepalived", "--speaker", "bundled",
                    "--repeat", 2, "--jobs", 2, "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    assert len(fake.calls) == 4
    assert "run 4 of 4: failover-basic" in result.output and "left]" in result.output
    assert "\x1b" not in result.output and "verdict: PASS" in result.output
    doc = document.load(out / "bench.json")
    assert doc["verdict"] == "pass" and doc["exit_code"] == 0 and len(doc["runs"]) == 4
    assert [g["speaker"] for g in doc["stats"]] == ["keepalived", "bundled"]
    assert all(Path(r["results"]).exists() for r in doc["runs"])
    for name in ("bench.md", "junit.xml", "bench.png"):
        assert (out / name).stat().st_size > 0
    xmlschema.XMLSchema(str(XSD)).validate(str(out / "junit.xml"))


def test_cli_flaky_rerun_is_kept_counted_and_fails(fake, tmp_path):
    fake.plan[("keepalived", 2, 1)] = results("bad", failed=("stop-r1: r2 becomes master",))
    out = tmp_path / "b"
    result = invoke("failover-basic", "--repeat", 3, "--out", out)
    assert result.exit_code == 1, result.output
    assert [(j.index, j.attempt) for j in fake.calls] == [(1, 1), (2, 1), (3, 1), (2, 2)]
    assert "rerunning it once" in result.output and "run 4 of 4" in result.output
    assert "flaky: run(s) 2 failed, then passed when rerun" in result.output
    doc = document.load(out / "bench.json")
    assert [(r["index"], r["attempt"], r["verdict"]) for r in doc["runs"]] == [
        (1, 1, "pass"), (2, 1, "fail"), (2, 2, "pass"), (3, 1, "pass")]
    assert doc["stats"][0]["flaky"] == [2] and doc["verdict"] == "fail"
    cases = [c for s in JUnitXml.fromfile(str(out / "junit.xml")) for c in s]
    assert any(not c.is_passed and c.name == thresholds.RUN_CHECKS for c in cases)


def test_cli_baseline_half_fails_equal_passes(fake, tmp_path):
    first = tmp_path / "first"
    assert invoke("failover-basic", "--repeat", 3, "--out", first).exit_code == 0
    again = invoke("failover-basic", "--repeat", 3, "--out", tmp_path / "again",
                   "--baseline", first / "bench.json")
    assert again.exit_code == 0, again.output
    half = json.loads((first / "bench.json").read_text())
    for f in half["stats"][0]["faults"]:
        f["metrics"]["takeover_s"]["median"] /= 2
    (tmp_path / "half.json").write_text(json.dumps(half))
    worse = invoke("failover-basic", "--repeat", 3, "--out", tmp_path / "worse",
                   "--baseline", tmp_path / "half.json", "--tolerance", 10)
    assert worse.exit_code == 1
    assert ("regression: failover-basic keepalived stop-r1 takeover_s median 0.306 s -> "
            "0.612 s (+100 %, tolerance 10 %)") in worse.output
    doc = document.load(tmp_path / "worse" / "bench.json")
    assert doc["baseline"]["regressions"] and doc["baseline"]["file"].endswith("half.json")


def test_cli_bad_input_exits_2_with_nothing_started(fake, tmp_path):
    result = invoke("failover-basic", "no-such-scenario", "--out", tmp_path / "b")
    assert result.exit_code == 2 and "no-such-scenario" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": 1, "runs": ')
    result = invoke("failover-basic", "--baseline", broken, "--out", tmp_path / "c")
    assert result.exit_code == 2 and str(broken) in result.stderr
    result = invoke("failover-basic", "--baseline", tmp_path / "missing.json")
    assert result.exit_code == 2 and "missing.json" in result.stderr
    assert invoke("failover-basic", "--repeat", 0).exit_code == 2
    assert invoke("failover-basic", "--speaker", "quagga").exit_code == 2
    assert fake.calls == [] and not (tmp_path / "b").exists()


def test_cli_environment_exits_3_with_nothing_started(monkeypatch, tmp_path):
    from vrrplab.lab import sandbox

    def not_root():
        raise EnvironmentProblem("a lab needs root (network namespaces): run it with sudo")

    calls = []
    monkeypatch.setattr(sandbox, "require_root", not_root)
    monkeypatch.setattr(launch, "launch_run", lambda *a: calls.append(a))
    result = invoke("failover-basic", "--out", tmp_path / "b")
    assert result.exit_code == 3 and "needs root" in result.stderr and calls == []


def test_cli_sigterm_writes_a_partial_bench_and_exits_130(fake, tmp_path):
    def interrupt(job):
        if job.index == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            # the handler runs in the main thread: wait for it, or this worker could start
            # the next run first (the race a real SIGTERM has too, and the runs it starts
            # are then signalled by the handler)
            signal.getsignal(signal.SIGTERM).__self__.event.wait(5)

    fake.hook = interrupt
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "b"
    result = invoke("failover-basic", "--repeat", 4, "--out", out)
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back
    assert result.exit_code == 130, result.output
    assert "interrupted (SIGTERM)" in result.output
    doc = document.load(out / "bench.json")
    assert doc["interrupted"] is True and doc["verdict"] == "interrupted"
    assert [r["verdict"] for r in doc["runs"]][:2] == ["pass", "pass"]
    assert [r["verdict"] for r in doc["runs"]][2:] == ["skipped", "skipped"]
    assert len(fake.calls) == 2
