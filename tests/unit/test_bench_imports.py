"""Benchmarks and tests import the shared test harness, never a test module.

What a benchmark and a test both need (a platform, a person at a terminal, a
``deis-database`` or ``deis-logspout`` process) lives in a harness module under
``tests/`` (``services``, ``platform``, ``person``, ``databases``,
``logspouts``); a ``tests/**/test_*.py`` module is pytest's to collect, and
importing one from ``bench/`` runs its fixtures' module code and ties the
benchmark to a test's private helpers.

A test of our own rather than an import-linter contract: ``.importlinter``
checks the product's packages only (``bench`` and ``tests`` are not among its
root packages), and its wildcards stand for whole module names, so "any module
whose name starts with ``test_``" cannot be written as a contract.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def imported_test_modules(source: str) -> list[str]:
    """Return the ``tests.`` modules named ``test_*`` that ``source`` imports.

    ``from tests.x import test_y`` counts whether ``test_y`` is a module or a name in one:
    a harness module has no business naming things ``test_`` either.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in modules if _is_test_module(name)]
    return found


def _is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and parts[-1].startswith("test_")


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda path: path.name)
def test_bench_imports_no_test_module(path):
    assert imported_test_modules(path.read_text()) == []


def test_no_test_module_imports_another():
    """A helper two test modules share lives in a harness module (``tests/registries.py`` …)."""
    offenders = {str(path.relative_to(ROOT)): found for path in sorted((ROOT / "tests").rglob("*.py"))
                 if (found := imported_test_modules(path.read_text())) and path.name != Path(__file__).name}
    assert offenders == {}


def test_bench_folder_has_benchmarks():
    # An empty glob would make the test above pass by checking nothing.
    assert len(list(BENCH.glob("*.py"))) >= 5


@pytest.mark.parametrize("source, expected", [
    ("from tests.e2e.test_journey import Person", ["tests.e2e.test_journey"]),
    ("import tests.integration.test_logs_logger", ["tests.integration.test_logs_logger"]),
    ("from tests.integration import test_logs_pipeline", ["tests.integration.test_logs_pipeline"]),
    ("from tests import services\nfrom tests.platform import Deisctl\nimport pytest", []),
])
def test_the_check_sees_every_form_of_import(source, expected):
    assert imported_test_modules(source) == expected
