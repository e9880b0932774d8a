"""Shared fixtures: where the project's files are, and the lab marker's rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def english():
    """Every test speaks English, whatever the machine's locale (LANG=fr_FR.UTF-8 would
    otherwise make the CLI French); a test that wants French asks for it (--lang fr,
    i18n.set_language or i18n.using)."""
    from vrrplab import i18n

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANGUAGE", "en")
        i18n.set_language("en")
        yield
    i18n.set_language("en")


# Time limits (pytest-timeout) beyond the unit tests' 60 s (pyproject.toml): a lab test
# builds labs and waits on VRRP timers (a whole catalogue scenario takes ~30 s); the
# slow fuzz runs a million inputs. A test's own @pytest.mark.timeout wins.
LIMITS_S = {"lab": 900, "slow": 1800}


def pytest_collection_modifyitems(config, items):
    """Lab tests need root (namespaces); without it they are skipped, saying why."""
    for item in items:
        limits = [s for mark, s in LIMITS_S.items() if mark in item.keywords]
        if limits and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(max(limits)))
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="lab test: needs root for network namespaces")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)
