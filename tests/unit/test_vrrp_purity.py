"""The protocol core does no I/O: no module in vrrplab/vrrp imports a clock, socket or process API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vrrplab.vrrp

FORBIDDEN = {"socket", "time", "threading", "asyncio", "subprocess", "scapy", "mininet", "select", "os", "importlib"}
PACKAGE = Path(vrrplab.vrrp.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            roots.add("__import__")
    return roots


def test_the_package_has_the_expected_modules() -> None:
    assert {"timers.py", "packet.py", "config.py", "events.py", "actions.py", "machine.py"} <= {m.name for m in MODULES}


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_module_imports_no_io(module: Path) -> None:
    found = imported_roots(ast.parse(module.read_text(), filename=str(module)))
    assert not found & (FORBIDDEN | {"__import__"}), f"{module.name} imports {sorted(found & FORBIDDEN)}"
