"""`vrrplab interop` for real, small: bundled and keepalived, each with each, in VRRPv3 on
failover-basic (four runs). Needs root."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.lab


def test_interop_bundled_and_keepalived_in_vrrpv3(tmp_path):
    out = tmp_path / "interop"
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "interop", "--speakers",
                           "bundled,keepalived", "--versions", "3", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    progress = [line for line in proc.stdout.splitlines() if line.startswith("run ")]
    assert len(progress) == 4 and all(": pass " in line for line in progress), proc.stdout

    doc = json.loads((out / "interop.json").read_text())
    assert doc["schema"] == 1 and doc["verdict"] == "pass" and doc["exit_code"] == 0
    assert [(c["r1"], c["r2"]) for c in doc["cells"]] == [
        ("bundled", "bundled"), ("bundled", "keepalived"), ("keepalived", "bundled"),
        ("keepalived", "keepalived")]
    for cell in doc["cells"]:
        assert cell["version"] == 3 and cell["speaker"] == f"r1={cell['r1']},r2={cell['r2']}"
        taken = cell["takeover"]
        assert taken["fault"] == "stop-r1" and 0 < taken["takeover_s"] < 1.5  # Skew_Time
        assert taken["bound_s"] == pytest.approx(0.609, abs=0.001)
        assert (out / cell["run_dir"] / "results.json").is_file()
        assert set(cell["speaker_versions"]) == {"r1", "r2"}

    md = (out / "interop.md").read_text()
    assert "## failover-basic, VRRPv3" in md
    assert "| **keepalived** | pass " in md and "| **bundled** | pass " in md
