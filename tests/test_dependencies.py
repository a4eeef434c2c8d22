"""Every third-party module the shipped code imports is a declared runtime dependency.

The test run installs the test extra too, so a module that only arrives through a test dependency
(numpy came through datasketch) passes every other test and fails ``pip install -e .`` users."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ("crawler", "storage")


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _declared(group: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            for requirement in group}


def test_shipped_code_imports_only_declared_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    allowed = _declared(project["dependencies"])
    # optional features import their extras inside the functions that need them
    optional = set().union(*(_declared(group) for group in project["optional-dependencies"].values()))
    distributions = packages_distributions()
    missing = {}
    for package in SHIPPED:
        for path in (REPO / package).rglob("*.py"):
            for module in _top_level_imports(path):
                if module in sys.stdlib_module_names or module in SHIPPED:
                    continue
                provided_by = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
                if not provided_by & (allowed | optional):
                    missing.setdefault(module, path.relative_to(REPO).as_posix())
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"
