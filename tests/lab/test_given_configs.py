"""The lesson's own keepalived.conf files, as the seed gives them, run with failover-basic
(`vrrplab run --config`). Needs root.

keepalived runs each file as written; the bundled speaker runs what the files ask for.
The verdict and the report say what the lab found: keepalived -t's own words and lint's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
LESSON = Path(__file__).resolve().parents[1] / "unit" / "data" / "seed_lesson"


def run_lesson(out: Path, speaker: str) -> tuple[subprocess.CompletedProcess, dict, Path]:
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", "failover-basic", "--speaker",
                           speaker, "--config", f"r1={LESSON / 'r1.conf'}", "--config",
                           f"r2={LESSON / 'r2.conf'}", "--out", str(out), "--json"],
                          capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    run_dir = next((out / "failover-basic").iterdir())
    return proc, results, run_dir


def test_keepalived_runs_the_lessons_files_as_written(tmp_path):
    proc, results, run_dir = run_lesson(tmp_path, "keepalived")
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    # the files the routers ran, byte for byte, in the report's folder
    for router in ("r1", "r2"):
        assert (run_dir / f"{router}.given.conf").read_bytes() == \
            (LESSON / f"{router}.conf").read_bytes()
    given = results["given_configs"]
    assert given["files"]["r1"]["path"] == str(LESSON / "r1.conf")
    # lint's finding and keepalived's own words agree: the track_script is ignored
    later = [f for f in given["findings"] if f["code"] == "track-script-later"]
    assert [(f["file"].rsplit("/", 1)[-1], f["line"]) for f in later] == [("r1.conf", 20),
                                                                         ("r2.conf", 19)]
    said = results["config_warnings"]["r1"]
    assert any("track script chk_gateway not found, ignoring" in w for w in said), said
    assert any("Truncating auth_pass" in w for w in said), said
    # the lesson's failover, judged on the files' own instance and VIP
    assert results["vrrp"]["vrid"] == 10
    assert [f["new_master"] for f in results["faults"]] == ["r2", "r1"]
    assert results["probe"]["targets"] == ["192.168.1.1"]
    assert "r1.given.conf" in (run_dir / "report.html").read_text()
    # the lesson's check, run once before keepalived: it only asks whether keepalived runs
    tried = {c["router"]: c for c in given["checks_tried"]}
    assert tried["r1"]["command"] == "/usr/bin/killall -0 keepalived"
    assert tried["r1"]["exit"] == 1 and "keepalived: no process found" in tried["r1"]["said"]


def test_bundled_runs_what_the_lessons_files_ask_for(tmp_path):
    proc, results, run_dir = run_lesson(tmp_path, "bundled")
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    assert results["speakers"] == {"r1": "bundled", "r2": "bundled"}
    # what keepalived also does with the 17-character password: its first 8 on the wire
    assert results["vrrp"]["auth_pass_on_wire"] == "SecurePa"
    assert [f["new_master"] for f in results["faults"]] == ["r2", "r1"]


def test_the_lessons_advanced_check_runs_as_written_with_script(tmp_path):
    """The lesson's "advanced monitoring": check_gateway.sh at /etc/keepalived, pinging
    8.8.8.8, interval 5, weight -30. Given with --script, it lives at that path in each
    router (the host's /etc/keepalived untouched), pings the lab's stand-in for 8.8.8.8,
    and fails when r1 loses its upstream: r2 takes over (healthcheck-fail's steps)."""
    check = ('vrrp_script chk_gateway {\n script "/etc/keepalived/check_gateway.sh"\n'
             ' interval 5\n weight -30\n}\n')
    pair = {}
    for router in ("r1", "r2"):
        text = (LESSON / f"{router}.conf").read_text()
        instance = text[:text.index("vrrp_script chk_gateway") if router == "r2"
                        else text.index("# Healthcheck script")]
        pair[router] = tmp_path / f"{router}.conf"
        pair[router].write_text(check + instance)  # defined before it: keepalived uses it
    host_folder = sorted(Path("/etc/keepalived").iterdir())
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", "healthcheck-fail",
                           "--config", f"r1={pair['r1']}", "--config", f"r2={pair['r2']}",
                           "--script", f"/etc/keepalived/check_gateway.sh="
                                       f"{LESSON / 'check_gateway.sh'}",
                           "--out", str(tmp_path / "out"), "--json"],
                          capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    failed = [c for c in results.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    assert [f["new_master"] for f in results["faults"]] == ["r2", "r1"]
    assert [(s["router"], s["path"]) for s in results["given_configs"]["scripts"]] == [
        ("r1", "/etc/keepalived/check_gateway.sh"), ("r2", "/etc/keepalived/check_gateway.sh")]
    assert sorted(Path("/etc/keepalived").iterdir()) == host_folder
    log = next((tmp_path / "out" / "healthcheck-fail").iterdir()) / "r1.keepalived.log"
    assert "Script `chk_gateway` now returning 1" in log.read_text()
