"""`vrrplab bench` for real, small: two runs, then a baseline it must reject. Needs root."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from junitparser import JUnitXml

pytestmark = pytest.mark.lab


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vrrplab", "bench", *args],
                          capture_output=True, text=True, timeout=600)


def test_bench_writes_its_files_and_catches_a_regression(tmp_path):
    first = bench("failover-basic", "--repeat", "2", "--out", str(tmp_path / "B"))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    doc = json.loads((tmp_path / "B/bench.json").read_text())
    assert doc["schema"] == 1 and doc["verdict"] == "pass" and len(doc["runs"]) == 2
    assert JUnitXml.fromfile(str(tmp_path / "B/junit.xml"))  # parses
    assert (tmp_path / "B/bench.png").stat().st_size > 0

    # a baseline whose medians are half the real ones: the takeover regressed
    halved = doc
    for entry in halved["stats"]:
        for fault in entry["faults"]:
            for name, figures in fault["metrics"].items():
                if figures.get("median"):
                    figures["median"] /= 2
    (tmp_path / "half.json").write_text(json.dumps(halved))
    second = bench("failover-basic", "--repeat", "1", "--out", str(tmp_path / "C"),
                   "--baseline", str(tmp_path / "half.json"))
    assert second.returncode == 1, second.stdout[-3000:]
    assert "stop-r1 takeover_s median" in second.stdout + second.stderr
