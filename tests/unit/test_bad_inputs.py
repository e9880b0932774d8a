"""The corpus of bad inputs: every file in tests/unit/bad/ is refused, the right way.

Each `tests/unit/bad/*.yaml` starts with `# expect: TEXT`. Through the real CLI
(`vrrplab validate FILE`, no root), it must exit 2, name the file and say, in
TEXT, which field and what was expected; and it must create nothing. Scenarios
there may use a topology of the same folder by path, e.g. `topology:
valid/no-upstream.yaml`: `bad/valid/` holds the helpers, which do validate.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit import synthetic
from vrrplab.analysis.results import build_results, write_results
from vrrplab.analysis.stored import MAX_RESULTS_BYTES, results_problems
from vrrplab.cli import main

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"
CASES = sorted(BAD.glob("*.yaml"))
HELPERS = sorted((BAD / "valid").glob("*.yaml"))
EXPECT = "# expect: "

# what the issue asks the corpus to cover, each with one case that shows it
REQUIRED = {
    "YAML syntax error": "yaml-unclosed-bracket",
    "unknown key, with did you mean": "topo-unknown-key",
    "wrong type": "topo-priority-string",
    "duplicate key": "topo-duplicate-key",
    "duplicate name": "topo-duplicate-node-name",
    "interface name over 15 characters with its node prefix": "topo-ifname-too-long",
    "invalid interface name": "topo-ifname-invalid",
    "invalid address": "topo-address-invalid",
    "duplicate address": "topo-address-duplicate",
    "VIP outside its subnet": "topo-vip-outside-subnet",
    "VRID outside 1-255": "topo-vrid-256",
    "VRID reused on a segment": "topo-vrid-reused",
    "priority 0": "topo-priority-zero",
    "priority 255 for a non-owner": "topo-priority-255",
    "v2 advert_int not whole": "topo-v2-advert-fraction",
    "v3 interval out of range": "topo-v3-advert-too-long",
    "v3 interval not whole centiseconds": "topo-v3-advert-centiseconds",
    "auth_pass over 8 characters": "topo-auth-pass-long",
    "auth_pass with v3": "topo-auth-pass-v3",
    "passwords differ without an expected split brain": "scen-auth-mismatch-unexpected",
    "step naming a node that does not exist": "scen-wait-master-unknown",
    "run over 600 s": "scen-run-too-long",
    "fault kind that does not exist": "scen-fault-kind-unknown",
    "track_interfaces entry the router lacks": "topo-track-interface-unknown",
    "probe target not an address": "scen-probe-target-not-address",
    "scenario on a missing topology": "scen-topology-missing",
    "gateway outside the host's subnets": "topo-gateway-outside-subnet",
    "empty file": "yaml-empty",
    "a list instead of a mapping": "yaml-list-not-mapping",
    "!!python tag": "yaml-python-tag",
}


def expected_text(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith(EXPECT), f"{path.name}: first line must be '{EXPECT}TEXT'"
    text = first[len(EXPECT):].strip()
    assert text, f"{path.name}: empty expectation"
    return text


def listing() -> dict[str, list[str]]:
    """What a bad input must not change: this folder, the reports, the project's top."""
    reports = ROOT / "reports"
    return {
        "bad": sorted(str(p.relative_to(BAD)) for p in BAD.rglob("*")),
        "reports": sorted(str(p.relative_to(reports)) for p in reports.rglob("*"))
        if reports.exists() else [],
        "root": sorted(p.name for p in ROOT.iterdir()),
    }


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.chdir(ROOT)  # paths as a user types them; a !!python tag would write here
    return CliRunner()


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40, len(CASES)


@pytest.mark.parametrize("topic,case", sorted(REQUIRED.items()))
def test_the_corpus_covers_the_issue(topic, case):
    assert (BAD / f"{case}.yaml") in CASES, f"no case for: {topic}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_validate_refuses_naming_file_field_and_expectation(cli, path):
    expect = expected_text(path)
    relative = path.relative_to(ROOT)
    before = listing()
    result = cli.invoke(main, ["validate", str(relative)])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "ok:" not in result.stdout
    assert f"{relative}: " in result.stderr, result.stderr
    assert expect in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(".yaml" in line and ": " in line for line in lines), lines
    assert listing() == before  # nothing created


def test_validate_many_bad_files_names_each(cli):
    relative = [str(p.relative_to(ROOT)) for p in CASES]
    result = cli.invoke(main, ["validate", *relative])
    assert result.exit_code == 2
    for name in relative:
        assert f"{name}: " in result.stderr, name


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_helpers_are_valid(cli, path):
    """A bad scenario on a helper topology fails for its own mistake, not the helper's."""
    result = cli.invoke(main, ["validate", str(path.relative_to(ROOT))])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: ")


@pytest.mark.parametrize("case", ["scen-fault-kind-unknown", "scen-auth-mismatch-unexpected",
                                  "scen-bad-topology", "yaml-python-tag"])
def test_run_refuses_bad_input_before_asking_for_root(cli, monkeypatch, case):
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    relative = (BAD / f"{case}.yaml").relative_to(ROOT)
    before = listing()
    result = cli.invoke(main, ["run", str(relative)])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "needs root" not in result.stderr  # the input was refused first
    assert expected_text(BAD / f"{case}.yaml") in result.stderr
    assert listing() == before  # no run folder, no report


# --- beyond the YAML: results.json, the bundled speaker's config, the run registry -------
# (issue 18: one bounded reader for everything vrrplab reads, `vrrplab.boundedio`)

RESULTS = {  # tests/unit/bad/results/NAME.json -> what `vrrplab report` must say
    "truncated": "line 1, column 15: invalid JSON: Unterminated string",
    "list": "top level: expected a results.json document",
    "null": "top level: expected a results.json document",
    "schema-999": "schema: expected 2 (the results.json schema this vrrplab writes and reads), "
                  "got 999",
    "schema-missing": "schema: expected 2",
    "schema-string": "schema: expected 2",
    "latin1": "line 1: expected UTF-8 text, got the byte 0xe9",
    "deep": "invalid JSON: expected at most 16 levels of nesting, got more",
    "escape-sequence": "invalid JSON: Expecting property name",
    "wrong-types": "scenario: expected a string, got 3",
}
SPEAKER = {  # tests/unit/bad/speaker/NAME.json -> what `vrrplab speaker --check` must say
    "deep": "invalid JSON: expected at most 16 levels of nesting, got more",
    "latin1": "line 1: expected UTF-8 text, got the byte 0xe9",
    "schema-true": "schema: expected 1 (the config schema this speaker reads), got true",
    "not-mapping": "expected a speaker config (a mapping with schema, router, instances)",
    "truncated": "invalid JSON: Expecting value (the file ends there)",
}
REGISTRY = {  # tests/unit/bad/registry/NAME.json -> what `vrrplab clean` says, skipping it
    "list": "expected a run record (a mapping with run_id, supervisor, unshare...), got list",
    "truncated": "invalid JSON",
    "pid-negative": "supervisor: expected a process id (an integer above 0)",
    "pid-string": "unshare: expected a process id (an integer above 0)",
    "latin1": "expected UTF-8 text, got the byte 0xe9",
    "fields-missing": "supervisor: expected a process id",
    # str.isdigit takes a superscript two and Arabic-Indic digits: not clock ticks
    "start-not-ascii": "supervisor_start: expected a start time in clock ticks",
}


def _one_clean_line(stderr: str, file: str, expect: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) >= 1 and all(file in line for line in lines), lines
    assert expect in stderr, stderr
    assert "Traceback" not in stderr and "\x1b" not in stderr, stderr


def test_every_bad_json_has_its_expectation():
    for folder, table in (("results", RESULTS), ("speaker", SPEAKER), ("registry", REGISTRY)):
        assert sorted(p.stem for p in (BAD / folder).glob("*.json")) == sorted(table), folder


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_report_refuses_a_bad_results_json_in_one_line(cli, tmp_path, name):
    (tmp_path / "results.json").write_bytes((BAD / "results" / f"{name}.json").read_bytes())
    result = cli.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    _one_clean_line(result.stderr, f"{tmp_path}/results.json: ", RESULTS[name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # nothing drawn


@pytest.mark.parametrize("make", ["missing", "directory", "fifo", "dev-zero", "too-large"])
def test_report_refuses_what_is_no_regular_results_file(cli, tmp_path, make):
    path = tmp_path / "results.json"
    if make == "directory":
        path.mkdir()
    elif make == "fifo":
        os.mkfifo(path)  # never opened for writing: a read would hang
    elif make == "dev-zero":
        path.symlink_to("/dev/zero")
    elif make == "too-large":
        with path.open("wb") as f:
            f.truncate(MAX_RESULTS_BYTES + 1)
    result = cli.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2, (result.output, result.exception)
    expect = {"missing": "cannot read: No such file or directory",
              "too-large": f"expected a file of at most {MAX_RESULTS_BYTES // 1024} KiB"}
    _one_clean_line(result.stderr, f"{path}: ", expect.get(make, "cannot read: not a regular file"))


@pytest.mark.parametrize("field,value,expect", [
    ("faults.0.at_s", "soon", "faults[0].at_s: expected a number, got 'soon'"),
    ("faults.0.per_target", [], "faults[0].per_target: expected a mapping, got []"),
    ("checks.0.ok", "yes", "checks[0].ok: expected true or false, got 'yes'"),
    ("vrrp.routers", None, "vrrp.routers: expected a mapping, got None"),
    ("probes", {"192.168.1.1": {"sent": [0.1, "x"], "recv": []}},
     "probes.192.168.1.1.sent[1]: expected a number, got 'x'"),
    ("timeline.adverts.0.priority", 1.5, "timeline.adverts[0].priority: expected an integer"),
    ("faults", "none", "faults: expected a list, got 'none'"),
    ("verdict", None, "verdict: expected a string, got None"),
])
def test_report_names_the_field_of_a_wrong_value(cli, tmp_path, field, value, expect):
    results = build_results(synthetic.record(tmp_path))
    *path, last = field.split(".")
    node = results
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    write_results(results, tmp_path)
    result = cli.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2, (result.output, result.exception)
    _one_clean_line(result.stderr, "results.json: ", expect)


def test_every_golden_run_passes_the_results_check():
    """The real runs of every scenario (tests/unit/data/analysis.json.gz) pass the check."""
    golden = json.loads(gzip.decompress((Path(__file__).parent / "data" / "analysis.json.gz")
                                        .read_bytes()))
    for name, case in golden.items():
        doc = {**case["input"], "checks": case["expected"]["checks"], "verdict": "pass"}
        assert results_problems(doc, name) == [], name


def test_report_escapes_what_the_run_file_says(cli, tmp_path):
    results = build_results(synthetic.record(tmp_path))
    results["lesson"] = "see \x1b]0;owned\x07 and \x1b[2J then\nmore"
    results["checks"][0]["detail"] = "bidi \u202e txt"
    write_results(results, tmp_path)
    result = cli.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output and "\\u202e" in result.output
    assert "\\x1b]0;owned\\x07" in result.output


@pytest.mark.parametrize("name", sorted(SPEAKER))
def test_speaker_refuses_a_file_that_is_no_config_in_one_line(cli, tmp_path, name):
    path = tmp_path / "c.json"
    path.write_bytes((BAD / "speaker" / f"{name}.json").read_bytes())
    result = cli.invoke(main, ["speaker", "--config", str(path), "--check"])
    assert result.exit_code == 2, (result.output, result.exception)
    _one_clean_line(result.stderr, f"{path}: ", SPEAKER[name])


def test_the_speaker_run_refuses_a_file_that_is_no_config_before_anything(tmp_path, capsys):
    from vrrplab.bundled.daemon import main as speaker_main

    path = tmp_path / "c.json"
    path.write_bytes((BAD / "speaker" / "schema-true.json").read_bytes())
    assert speaker_main(path) == 2  # not only --check: the daemon never starts
    _one_clean_line(capsys.readouterr().err, f"{path}: ", SPEAKER["schema-true"])


@pytest.mark.parametrize("make", ["fifo", "dev-zero"])
def test_speaker_refuses_a_config_that_is_no_regular_file(cli, tmp_path, make):
    path = tmp_path / "c.json"
    os.mkfifo(path) if make == "fifo" else path.symlink_to("/dev/zero")
    result = cli.invoke(main, ["speaker", "--check", "--config", str(path)])
    assert result.exit_code == 2, (result.output, result.exception)
    _one_clean_line(result.stderr, f"{path}: ", "cannot read: not a regular file")


def test_clean_skips_each_bad_registry_entry_and_cleans_the_others(cli, tmp_path, monkeypatch):
    """Never the real /run/vrrplab-runs: the registry is a folder of tmp_path."""
    from vrrplab.lab import sandbox

    registry = tmp_path / "runs"
    registry.mkdir()
    monkeypatch.setattr(sandbox, "REGISTRY", registry)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr(sandbox.os, "kill", lambda *a: pytest.fail(f"signalled {a}"))
    for name in REGISTRY:
        (registry / f"bad-{name}.json").write_bytes((BAD / "registry" / f"{name}.json").read_bytes())
    os.mkfifo(registry / "bad-fifo.json")
    (registry / "bad-dir.json").mkdir()
    # a killed run's record: its supervisor is gone (no process started at tick 1)
    (registry / "left.json").write_text(json.dumps(
        {"run_id": "left", "supervisor": 2 ** 22 + 1, "supervisor_start": "1",
         "unshare": 2 ** 22 + 2, "unshare_start": "1", "out": "/x", "started": 0}))
    result = cli.invoke(main, ["clean"])
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.output.splitlines()
    assert "removing the record of run left" in lines
    assert not (registry / "left.json").exists()
    skipped = [line for line in lines if line.startswith("skipped: ")]
    assert len(skipped) == len(REGISTRY) + 2, lines
    for name, expect in REGISTRY.items():
        assert any(f"bad-{name}.json: " in line and expect in line for line in skipped), name
    assert any("bad-fifo.json: cannot read: not a regular file" in line for line in skipped)
    assert sorted(p.name for p in registry.iterdir()) == sorted(
        [f"bad-{n}.json" for n in REGISTRY] + ["bad-fifo.json", "bad-dir.json"])  # left alone


def test_a_file_that_is_no_vrrplab_file_is_one_line(cli, tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("".join(f"user{i}:*:20228:0:99999:7:::\n" for i in range(40)))
    for command in (["run", str(shadow)], ["validate", str(shadow)]):
        result = cli.invoke(main, command)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "user1" not in result.stderr and "got none of its keys" in result.stderr


def test_the_run_header_escapes_the_description():
    from vrrplab.cli import _described

    assert _described("a \x1b]0;title\x07 b") == "a \\x1b]0;title\\x07 b"
