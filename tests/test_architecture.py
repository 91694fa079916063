"""The layout's rules, read from the source: no import cycle, who may import what, small units.

Imports are read with ``ast`` (every ``import`` and ``from ... import``, at any depth, including
those inside functions and ``TYPE_CHECKING`` blocks), so a late import cannot hide a cycle.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("competition", "compute_worker", "evalbox_cli")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SOURCES = {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imported_names(name: str, path: Path) -> Iterator[str]:
    """Every dotted name ``name``'s source imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in SOURCES]
            if len(submodules) < len(node.names):  # some names are the base module's own
                yield base
            yield from submodules


def _project_module(dotted: str) -> str | None:
    """The longest project module ``dotted`` names (``a.b.func`` -> ``a.b``), if any."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in SOURCES:
            return candidate
    return None


@functools.cache
def _graph() -> dict[str, set[str]]:
    """Module -> project modules it imports (a module's own ancestor packages left out)."""
    graph: dict[str, set[str]] = {}
    for name, path in SOURCES.items():
        targets = {_project_module(imported) for imported in _imported_names(name, path)}
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = {t for t in targets if t and t != name and t not in ancestors}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _external_roots(name: str) -> set[str]:
    return {imported.split(".")[0] for imported in _imported_names(name, SOURCES[name])
            if _project_module(imported) is None}


def test_there_is_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_late_and_relative_imports() -> None:
    graph = _graph()
    assert "competition.transitions" in graph["competition.actions"]  # from .transitions import ...
    assert "compute_worker.protocol.transport" in graph["compute_worker.celery_app"]


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("compute_worker")))
def test_the_worker_never_imports_the_site(name: str) -> None:
    assert not _external_roots(name) & {"django", "dj_database_url", "psycopg", "gunicorn"}
    assert not {t for t in _graph()[name] if not t.startswith("compute_worker")}


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("compute_worker.protocol")))
def test_the_contract_imports_nothing_else(name: str) -> None:
    """The contract needs only the standard library (and kombu for the queue declaration)."""
    assert {t for t in _graph()[name] if not t.startswith("compute_worker.protocol")} == set()
    allowed = set(sys.stdlib_module_names) | ({"kombu"} if name.endswith(".transport") else set())
    assert _external_roots(name) - allowed - {"__future__"} == set()


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("competition")))
def test_the_site_imports_only_the_contract(name: str) -> None:
    assert "docker" not in _external_roots(name)
    foreign = {t for t in _graph()[name] if not t.startswith(("competition", "compute_worker.protocol"))}
    assert foreign == set()


#: The one CLI module that may import the worker, and only inside a function: ``evalbox try``
#: (the plain install has no Docker SDK; the command says so when it is missing).
LAZY_WORKER_MODULE = "evalbox_cli.try_command"


def _top_level_imports(path: Path) -> Iterator[str]:
    """The names imported outside any function of ``path`` (what importing the module needs)."""
    tree = ast.parse(path.read_text())
    in_functions = {id(node) for function in ast.walk(tree)
                    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(function)}
    for node in ast.walk(tree):
        if id(node) in in_functions:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("evalbox_cli")))
def test_the_cli_needs_only_requests(name: str) -> None:
    """Every CLI module imports only the contract; ``evalbox try``'s may import the worker inside its command."""
    top_level = set(_top_level_imports(SOURCES[name]))
    assert not {n.split(".")[0] for n in top_level} & {"django", "docker", "celery", "kombu"}
    assert {n for n in top_level if n.startswith("compute_worker")} <= {
        "compute_worker.protocol", "compute_worker.protocol.references", "compute_worker.protocol.errors",
        "compute_worker.protocol.limit_options"}
    if name != LAZY_WORKER_MODULE:
        assert not _external_roots(name) & {"django", "docker", "celery", "kombu"}
        assert {t for t in _graph()[name] if not t.startswith("evalbox_cli")} <= {"compute_worker.protocol"} | {
            t for t in SOURCES if t.startswith("compute_worker.protocol")}
    else:
        assert "compute_worker.local_run" in _graph()[name]  # the worker, imported lazily (checked above)
        assert not _external_roots(name) & {"django", "celery", "kombu"}


def test_the_top_level_import_reader_sees_only_module_level_imports() -> None:
    source = ROOT / "evalbox_cli" / "try_command.py"
    assert "docker" not in set(_top_level_imports(source)) and "docker" in _external_roots(LAZY_WORKER_MODULE)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_modules_and_functions_stay_small(name: str) -> None:
    source = SOURCES[name].read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} has more than {MAX_MODULE_LINES} lines"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == [], f"{name}: functions over {MAX_FUNCTION_LINES} lines"
