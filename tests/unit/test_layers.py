"""karmadad's packages import one another in one direction only: no package imports a package that imports
it back, however indirectly — so each floor can be read (and tested) knowing only the floors below it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "karmadad"


def package_imports() -> dict[str, set[str]]:
    """package (or top-level module) -> the other karmadad packages it imports, at any depth of its files."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        here = path.relative_to(PACKAGE).with_suffix("").parts[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("karmadad."):
                there = node.module.split(".")[1]
                if there != here:
                    edges[here].add(there)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle between packages, each as the path that closes it."""
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for after in sorted(edges.get(node, ())):
            if state.get(after) == "open":
                found.append([*trail[trail.index(after) :], after])
            elif after not in state:
                visit(after, [*trail, after])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return found


def test_no_package_imports_a_package_that_imports_it_back():
    assert cycles(package_imports()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def private_imports_across_packages() -> list[str]:
    """``file: module._name`` for every private name a file imports from another karmadad package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = path.relative_to(PACKAGE).with_suffix("").parts[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("karmadad."):
                if node.module.split(".")[1] != here:
                    found += [f"{path.relative_to(PACKAGE)}: {node.module}.{alias.name}"
                              for alias in node.names if alias.name.startswith("_")]  # fmt: skip
    return found


def test_no_package_imports_another_packages_private_names():
    assert private_imports_across_packages() == []
