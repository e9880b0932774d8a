"""Shared fixtures: where the project's files are, and the lab marker's rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


def pytest_collection_modifyitems(config, items):
    """Lab tests need root (namespaces); without it they are skipped, saying why."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="lab test: needs root for network namespaces")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)
