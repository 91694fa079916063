"""The suite's own layout: helpers come from ``tests.helpers``, conftest files hold only fixtures and hooks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

TESTS = ROOT / "tests"
SOURCES = sorted(TESTS.rglob("*.py"))


def _imported_modules(tree: ast.AST) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names (relative ones as ``.name``)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def forbidden_imports(source: str) -> list[str]:
    """Imports of a conftest or of a test module: what a test shares must live in ``tests.helpers``."""
    return [name for name in _imported_modules(ast.parse(source))
            if name.split(".")[-1] == "conftest" or name.split(".")[-1].startswith("test_")]


def non_fixtures(source: str) -> list[str]:
    """Top-level classes and functions of a conftest that are neither fixtures nor pytest hooks."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("pytest_"):
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if not any(d.startswith("pytest.fixture") for d in decorators):
                found.append(node.name)
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(TESTS)) for p in SOURCES])
def test_nothing_is_imported_from_a_conftest_or_a_test_module(path: Path) -> None:
    assert forbidden_imports(path.read_text()) == []


@pytest.mark.parametrize("path", sorted(TESTS.rglob("conftest.py")),
                         ids=[str(p.relative_to(TESTS)) for p in sorted(TESTS.rglob("conftest.py"))])
def test_conftest_files_hold_only_fixtures_and_hooks(path: Path) -> None:
    assert non_fixtures(path.read_text()) == []


def test_the_checks_find_what_they_look_for() -> None:
    imports = ("from tests.site.conftest import submissions_url\nfrom .conftest import PASSWORD\n"
               "from tests.site.test_reference_grammar import BAD\nimport tests.e2e.conftest\n"
               "from tests.helpers.site_api import submissions_url\n")
    assert forbidden_imports(imports) == ["tests.site.conftest", ".conftest", "tests.site.test_reference_grammar",
                                          "tests.e2e.conftest"]
    conftest = ("import pytest\n@pytest.fixture\ndef a(): pass\n@pytest.fixture(scope='session')\ndef b(): pass\n"
                "def pytest_configure(config): pass\ndef sign_in(page): pass\nclass Api: pass\n")
    assert non_fixtures(conftest) == ["sign_in", "Api"]
