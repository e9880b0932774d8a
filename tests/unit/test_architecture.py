"""docs/ARCHITECTURE.md's layout is the package tree, and no import goes back up the flow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "vrrplab"


def documented_modules() -> set[str]:
    """The paths the Layout block of ARCHITECTURE.md lists: vrrplab/a/b.py."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    paths, folders = set(), []
    for line in block.splitlines()[1:]:
        match = re.match(r"( *)(\S+)", line)
        if not match or match.group(2) == "vrrplab/":
            continue
        depth = (len(match.group(1)) - 2) // 2
        folders = folders[:depth]
        name = match.group(2)
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
        else:
            paths.add("/".join(["vrrplab", *folders, name]))
    return paths


def package_modules() -> set[str]:
    return {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
            if p.name != "__init__.py" and not (p.parent == PACKAGE and p.name == "__main__.py")}


def test_the_layout_lists_every_module_and_nothing_else():
    assert documented_modules() == package_modules()


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_analysis_and_the_loader_import_nothing_that_runs_a_lab():
    """Shared between running and analysing: pure code only (catalogue, bounds, model)."""
    running = ("vrrplab.run.runner", "vrrplab.faults.actions", "vrrplab.lab", "vrrplab.speakers")
    for folder in ("analysis", "loader"):
        for path in (PACKAGE / folder).glob("*.py"):
            bad = {m for m in imports(path) if m.startswith(running)}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_catalogue_and_the_bounds_are_pure():
    for path in (PACKAGE / "faults" / "catalogue.py", PACKAGE / "faults" / "files.py",
                 PACKAGE / "vrrp" / "bounds.py"):
        assert imports(path) <= {"__future__", "dataclasses", "json", "pathlib",
                                 "vrrplab.vrrp.bounds"}, path
