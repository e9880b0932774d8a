"""A config's health check runs as root in its router: it cannot change or read the host.
Needs root.

The routers see the host's files read-only, with /root, /home and /tmp private and empty
(`lab.network.host_view_script`); only the run's folder is writable (also at
/run/vrrplab-run in each router). A student's pair whose vrrp_script removes, writes and
reads what it must not: afterwards the host's canaries are byte for byte as they were,
and what the script tried is refused in its own words, in the log it left in the run and
in the run's own report (each check of the files is run once before the daemons start).
Nothing here is destructive if the protection failed: it aims at canaries made for it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]  # the project: the first folder routers read
LESSON = ROOT / "tests" / "unit" / "data" / "seed_lesson"

HOSTILE = """#!/bin/sh
# what a careless or hostile check might do, as root in r1
{{
rm -rf {tree} && echo "removed {tree}"
rm -f {etc} && echo "removed {etc}"
echo pwned > {new} && echo "wrote {new}"
echo pwned >> {root_file} && echo "appended to {root_file} (the router's own /root)"
cat {secret}
touch /run/vrrplab-kept/0/vrrplab-pwned-{tag} && echo "wrote in the router's /run only"
}} 2>&1 | tee -a /run/vrrplab-run/hostile.log
exit 0
"""


def _pair(folder: Path, script: Path) -> dict[str, Path]:
    """The lesson's files, the check defined first (so keepalived runs it) and hostile."""
    pair = {}
    for router in ("r1", "r2"):
        text = (LESSON / f"{router}.conf").read_text()
        body, _, _ = text.partition("# Healthcheck script") if router == "r1" else \
            text.partition("vrrp_script chk_gateway")
        check = f'vrrp_script chk_gateway {{\n script "{script}"\n interval 1\n weight -20\n}}\n'
        pair[router] = folder / f"{router}.conf"
        pair[router].write_text(check + body)
    return pair


@pytest.fixture
def canaries():
    tag = uuid.uuid4().hex[:12]
    made = {"tree": Path(f"/var/lib/vrrplab-canary-{tag}"), "etc": Path(f"/etc/vrrplab-canary-{tag}"),
            "root_file": Path(f"/root/vrrplab-canary-{tag}"),
            "home": Path(f"/home/vrrplab-teacher-{tag}")}
    made["tree"].mkdir()
    (made["tree"] / "file").write_text("canary\n")
    made["etc"].write_text("canary\n")
    made["root_file"].write_text("canary\n")
    made["home"].mkdir()
    (made["home"] / "secret.txt").write_text(f"the teacher's answers {tag}\n")
    yield {**made, "new": Path(f"/etc/vrrplab-new-{tag}"), "secret": made["home"] / "secret.txt",
           "tag": tag}
    shutil.rmtree(made["tree"], ignore_errors=True)
    shutil.rmtree(made["home"], ignore_errors=True)
    for path in (made["etc"], made["root_file"], Path(f"/etc/vrrplab-new-{tag}")):
        path.unlink(missing_ok=True)


def _files(c: dict) -> dict:
    return {str(p): p.read_bytes() for p in (c["tree"] / "file", c["etc"], c["root_file"],
                                               c["secret"])}


def test_a_hostile_health_check_changes_and_reads_nothing_of_the_host(tmp_path, canaries):
    folder = tmp_path / "copies"
    folder.mkdir()
    script = folder / "hostile.sh"
    script.write_text(HOSTILE.format(**{k: v for k, v in canaries.items() if k != "home"}))
    script.chmod(0o755)
    # where the config names it, as the lesson does: the student's file put there with
    # --script (a script left in the teacher's folders is not visible in the routers)
    pair = _pair(folder, Path("/etc/keepalived/hostile.sh"))
    before = _files(canaries)
    proc = subprocess.run([sys.executable, "-m", "vrrplab", "run", "failover-basic", "--config",
                           f"r1={pair['r1']}", "--config", f"r2={pair['r2']}",
                           "--script", f"/etc/keepalived/hostile.sh={script}", "--out",
                           str(tmp_path / "out"), "--json"],
                          capture_output=True, text=True, timeout=300)
    results = json.loads(proc.stdout) if proc.stdout else {}
    assert proc.returncode == 0, (proc.stderr[-3000:], [c for c in results.get("checks", [])
                                                        if not c["ok"]])
    assert _files(canaries) == before and not canaries["new"].exists()
    # vrrplab's own code, bound read-only into the router: its way there is not left open
    assert not (ROOT / f"vrrplab-pwned-{canaries['tag']}").exists()
    log = (next((tmp_path / "out" / "failover-basic").iterdir()) / "hostile.log").read_text()
    assert canaries["tag"] not in log.replace(f"-{canaries['tag']}", "")  # the secret unread
    for refused in (f"rm: cannot remove '{canaries['tree'] / 'file'}': Read-only file system",
                    f"rm: cannot remove '{canaries['etc']}': Read-only file system",
                    f"{canaries['new']}: Read-only file system",
                    f"{canaries['secret']}: No such file or directory"):
        assert refused in log, log[-2000:]
    # the router's own /root is private scratch: the write lands there, not on the host
    assert f"appended to {canaries['root_file']}" in log
    # the run says it too: each check of the files, run once before keepalived, and what
    # it printed (keepalived shows a check's output nowhere)
    (tried,) = [c for c in results["given_configs"]["checks_tried"] if c["router"] == "r1"]
    assert tried["name"] == "chk_gateway" and tried["exit"] == 0
    assert f"rm: cannot remove '{canaries['etc']}': Read-only file system" in tried["said"]
    assert "r1's vrrp_script chk_gateway, run once before the daemons: exit 0" in proc.stderr
