"""The layers hold: the import graph, where Dagster may be imported, and the size of rooms.

Read from the source with `ast` (nothing is imported), so these run in the fast lane.
See docs/architecture.md for the layers and where each kind of change goes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "podcast_assets"
# The only modules that may import dagster: the Dagster layer and what wires it together.
# (`runs` executes one batch as a run; `parallel_runs` several at once: the runner's parts.)
RUNNER = ("podcast_assets.runner", "podcast_assets.runs", "podcast_assets.parallel_runs")
DAGSTER_ALLOWED = ("podcast_assets.defs", "podcast_assets.definitions", *RUNNER)
# The application layer: the domain never imports these. (`watching` drives the runner.)
APPLICATION = ("podcast_assets.cli", "podcast_assets.cli_gazetteer", "podcast_assets.watching")
UPPER = ("podcast_assets.defs", "podcast_assets.definitions", *RUNNER, *APPLICATION)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 100


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module this file imports, at any depth (function-level imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


GRAPH = {
    name: {m for m in _imports(path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def test_architecture_dagster_is_imported_only_by_the_dagster_layer():
    offenders = [
        name
        for name, path in MODULES.items()
        if not _within(name, DAGSTER_ALLOWED)
        and any(m == "dagster" or m.startswith("dagster.") for m in _imports(path))
    ]
    assert offenders == []


def test_architecture_the_domain_never_imports_the_layers_above_it():
    offenders = {
        name: sorted(m for m in deps if _within(m, UPPER))
        for name, deps in GRAPH.items()
        if not _within(name, UPPER)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_architecture_the_import_graph_has_no_cycle():
    # A package imports its own submodules (`steps` -> `steps.ingest`); that is not a cycle.
    edges = {
        name: {d for d in deps if not d.startswith(name + ".")} for name, deps in GRAPH.items()
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for name in sorted(edges):
        if name not in state:
            assert (cycle := visit(name)) is None, " -> ".join(cycle)


def _too_big(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        limit = (
            MAX_FUNCTION_LINES
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            else MAX_CLASS_LINES
            if isinstance(node, ast.ClassDef)
            else None
        )
        if limit is None:
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        reason = "Long because" in (ast.get_docstring(node) or "")  # type: ignore[arg-type]
        if lines > limit and not reason:
            out.append(f"{node.name}: {lines} lines")
    return out


@pytest.mark.parametrize("name", sorted(MODULES))
def test_architecture_rooms_stay_small(name):
    path = MODULES[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines"
    assert _too_big(path) == []
