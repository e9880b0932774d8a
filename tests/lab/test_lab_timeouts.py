"""Every command vrrplab runs in a node has a deadline, Mininet's shell included. Needs root.

The lab is built in a throwaway private namespace (as `vrrplab run` does), so
nothing reaches the host whatever happens here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import time
    from pathlib import Path
    from vrrplab.errors import LabError
    from vrrplab.lab.network import Lab
    from vrrplab.loader import load_topology

    lab = Lab(load_topology(Path("topologies/textbook.yaml")))
    lab.start()
    try:
        start = time.monotonic()
        try:
            lab.cmd("c1", "sleep 60", timeout=0.5)
            print("no timeout")
        except LabError as exc:
            print(f"refused after {time.monotonic() - start:.1f} s: {exc}")
        # the node's shell is usable again
        print("next:", lab.cmd("c1", "echo alive").strip())
    finally:
        lab.stop()
""")


def test_a_stuck_node_command_is_interrupted_and_the_shell_recovers():
    proc = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                           "--kill-child", sys.executable, "-c", SCRIPT], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("refused after") and "did not finish in 0.5 s" in lines[0], lines
    assert float(lines[0].split()[2]) < 5  # interrupted, not waited out (generous bound)
    assert lines[1] == "next: alive", lines
