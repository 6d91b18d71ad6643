"""Import rules of the controller's layers, and shared contracts not re-typed."""

import ast
from pathlib import Path

import pytest

import controller

ROOT = Path(controller.__file__).parent
BELOW_API = [p for p in ROOT.rglob("*.py") if "api" not in p.relative_to(ROOT).parts
             and p.name not in {"app.py"}]


def imported_modules(path: Path) -> set[str]:
    """Return the top-level names of every module ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", BELOW_API, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_below_the_api_imports_flask(path):
    assert "flask" not in imported_modules(path)


def test_no_etcd_key_literal_in_the_controller():
    offenders = [str(p) for p in ROOT.rglob("*.py") if '"/deis/' in p.read_text() or "'/deis/" in p.read_text()]
    assert offenders == []
