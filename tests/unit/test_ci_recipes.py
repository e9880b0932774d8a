"""docs/ci.md's pipelines say what README says: its set-up command, and flags that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from vrrplab.cli import main

ROOT = Path(__file__).resolve().parents[2]
RECIPES = (ROOT / "docs/ci.md").read_text()


def _pipelines() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", RECIPES, flags=re.S)
    return [yaml.safe_load(block) for block in blocks]


def _commands(doc: dict) -> list[str]:
    """Every shell line of a GitHub workflow's `run:` steps or a GitLab job's `script:`."""
    lines = []
    for job in (doc.get("jobs") or {}).values():
        lines += [step["run"] for step in job["steps"] if "run" in step]
    for name, job in doc.items():
        if isinstance(job, dict) and "script" in job:
            lines += job["script"]
    return [line.strip() for line in lines]


def _readme_setup() -> str:
    """README's one command to set up and run: its set-up part."""
    command = re.search(r"```sh\n(\./setup\.sh && vrrplab run failover-basic)\n```",
                        (ROOT / "README.md").read_text())
    assert command, "README.md lost its set-up-and-run command"
    return command.group(1).split(" && ")[0]


def test_there_is_a_github_workflow_and_a_gitlab_job():
    docs = _pipelines()
    assert any("jobs" in d for d in docs) and any("script" in j for d in docs
                                                   for j in d.values() if isinstance(j, dict))


@pytest.mark.parametrize("doc", _pipelines(), ids=["github", "gitlab"])
def test_each_pipeline_sets_up_with_readme_command_then_benches(doc):
    commands = [c.removeprefix("sudo ") for c in _commands(doc)]
    assert commands[0] == _readme_setup()
    assert any(c.startswith("vrrplab bench ") for c in commands)


@pytest.mark.parametrize("doc", _pipelines(), ids=["github", "gitlab"])
def test_every_vrrplab_flag_in_the_pipelines_exists(doc):
    for line in _commands(doc):
        words = shlex.split(line.removeprefix("sudo "))
        if words[0] != "vrrplab":
            continue
        command = main.commands[words[1]]
        known = {opt for p in command.params for opt in getattr(p, "opts", [])}
        flags = [w for w in words[2:] if w.startswith("--")]
        assert flags and set(flags) <= known, (line, set(flags) - known)


def test_a_wrong_flag_would_be_caught():
    command = main.commands["run"]
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    assert "--spread-faults" in known and "--no-such-flag" not in known
