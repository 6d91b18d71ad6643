"""The etcd key map of DESIGN.md §3, and that nobody else spells it."""

import ast
import re
from pathlib import Path

from deis import keys

ROOT = Path(__file__).resolve().parents[3]


def test_key_paths_match_the_design():
    assert keys.host("controller") == "/deis/controller/host"
    assert keys.port("builder") == "/deis/builder/port"
    assert keys.platform("domain") == "/deis/platform/domain"
    assert keys.service("myapp", "myapp_v2.web.1") == "/deis/services/myapp/myapp_v2.web.1"
    assert keys.services("myapp") == "/deis/services/myapp/"
    assert keys.domain("example.com") == "/deis/domains/example.com"
    assert keys.cert("example.com", "key") == "/deis/certs/example.com/key"
    assert keys.app_config("myapp", "HEALTHCHECK_URL") == "/deis/config/myapp/healthcheck_url"
    assert keys.router_host("10.0.0.2") == "/deis/router/hosts/10.0.0.2"
    assert keys.draining("a", "a_v1.web.1") == "/deis/draining/a/a_v1.web.1"
    assert keys.leader("controller", "reconcile") == "/deis/controller/leader/reconcile"


def test_relative_strips_a_prefix():
    assert keys.relative("/deis/services/a/a_v1.web.1", keys.services("a")) == "a_v1.web.1"


#: The component folders (and the ground floor, deisctl, bench) whose code must not spell a key.
CODE_FOLDERS = ("deis", "deisctl", "controller", "builder", "registry", "publisher", "router", "logspout",
                "logger", "store", "database", "bench")
#: ``/deis/`` as a key prefix: at the start of a string or after a space or quote (``/var/lib/deis/`` is a path).
KEY_LITERAL = re.compile(r"(?:^|[\s'\"(])/deis/")


def _docstrings(tree: ast.AST) -> set[int]:
    """Return the ids of the docstring nodes of ``tree`` (prose may name a key)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _key_literals(path: Path) -> list[int]:
    """Return the lines of ``path`` where a string (not a docstring) spells a ``/deis/`` key."""
    tree = ast.parse(path.read_text())
    docstrings = _docstrings(tree)
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and KEY_LITERAL.search(node.value)]


def test_no_deis_key_literal_outside_the_keys_module():
    """Key paths are spelled once, in deis/keys.py (Deis v1 re-typed them in 94 files), in every component."""
    offenders = []
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if relative != Path("deis/keys.py"):
                offenders += [f"{relative}:{line}" for line in _key_literals(path)]
    assert offenders == []


def test_each_instance_has_its_own_key_under_the_component():
    assert keys.instance("controller", "10.0.1.3:8000") == "/deis/controller/hosts/10.0.1.3:8000"
    assert keys.instance("controller", "x").startswith(keys.instances("controller"))
