"""The corpus of bad inputs: every file in tests/unit/bad/ is refused, the right way.

Each `tests/unit/bad/*.yaml` starts with `# expect: TEXT`. Through the real CLI
(`vrrplab validate FILE`, no root), it must exit 2, name the file and say, in
TEXT, which field and what was expected; and it must create nothing. Scenarios
there may use a topology of the same folder by path, e.g. `topology:
valid/no-upstream.yaml`: `bad/valid/` holds the helpers, which do validate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

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
