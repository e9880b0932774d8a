"""junit.xml from bench.json's thresholds, written with junitparser.

One <testsuite> per scenario x speaker, one <testcase> per fault x threshold
(classname `bench.SCENARIO.SPEAKER.FAULT`, name the threshold, e.g. "median
takeover_s vs baseline"); a failed threshold is a <failure> whose message holds
the measured figures, a skipped one <skipped>; every testcase carries its
figures in <system-out> as well (a passing testcase has no message attribute).
CI tools (Jenkins, GitLab) read it as they read test results.

Leaves to others: deciding the thresholds (thresholds.py).
"""

from __future__ import annotations

from pathlib import Path

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite


def _case(threshold: dict) -> TestCase:
    classname = f"bench.{threshold['scenario']}.{threshold['speaker']}.{threshold['fault']}"
    case = TestCase(threshold["name"], classname, 0.0)
    if threshold["status"] == "failed":
        case.result = [Failure(threshold["message"], "threshold")]
    elif threshold["status"] == "skipped":
        case.result = [Skipped(threshold["message"])]
    case.system_out = threshold["message"]  # after the result: the schema's order
    return case


def build(doc: dict) -> JUnitXml:
    xml = JUnitXml("vrrplab bench")
    suites: dict[tuple[str, str], TestSuite] = {}
    for threshold in doc["thresholds"]:
        key = (threshold["scenario"], threshold["speaker"])
        if key not in suites:
            suites[key] = TestSuite(f"bench {key[0]} {key[1]}")
        suites[key].add_testcase(_case(threshold))
    for suite in suites.values():
        suite.update_statistics()
        xml.add_testsuite(suite)
    xml.update_statistics()
    return xml


def write(doc: dict, path: Path) -> None:
    build(doc).write(str(path), pretty=True)
