"""The run's PID 1 and the bundled speaker end without the interpreter's teardown
(`linux.leave`): what they printed still arrives. The run starts without setuptools'
distutils: mininet still imports. No root."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vrrplab.lab import sandbox

SAYS_THEN = "import sys; sys.stdout.write('the summary'); "


def _python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run code with stdout a pipe, buffered as the run's is (PYTHONUNBUFFERED unset)."""
    env = {k: v for k, v in (os.environ if env is None else env).items()
           if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)


def test_leave_exits_with_the_code_and_what_was_printed():
    done = _python(SAYS_THEN + "from vrrplab.linux import leave; leave(3)")
    assert (done.returncode, done.stdout) == (3, "the summary")


def test_a_bare_os_exit_would_lose_the_summary():
    # what `leave` guards against: a pipe's stdout is buffered, os._exit drops the buffer
    done = _python(SAYS_THEN + "import os; os._exit(3)")
    assert (done.returncode, done.stdout) == (3, "")


def test_leave_survives_a_closed_terminal():
    done = _python("import sys; sys.stdout.close(); "
                   "from vrrplab.linux import leave; leave(4)")
    assert done.returncode == 4


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 has no distutils")
def test_the_run_imports_mininet_without_pkg_resources():
    pytest.importorskip("mininet.net")
    probe = "import warnings; warnings.simplefilter('ignore'); import mininet.net, sys; " \
            "print('pkg_resources' in sys.modules)"
    outside = {k: v for k, v in os.environ.items() if k != "SETUPTOOLS_USE_DISTUTILS"}
    inside = sandbox._inside_environment()
    assert inside[sandbox.INSIDE_ENV] == "1"
    assert _python(probe, inside).stdout.strip() == "False"
    if "_distutils_hack" in _python("import sys; print(*sys.modules)", outside).stdout:
        # setuptools' copy, the default, brings pkg_resources (the 0.15 s saved)
        assert _python(probe, outside).stdout.strip() == "True"


def test_a_setting_of_ones_own_is_kept(monkeypatch):
    monkeypatch.setenv("SETUPTOOLS_USE_DISTUTILS", "local")
    assert sandbox._inside_environment()["SETUPTOOLS_USE_DISTUTILS"] == "local"
