"""The etcd key map of DESIGN.md §3, and that nobody else spells it."""

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


def test_relative_strips_a_prefix():
    assert keys.relative("/deis/services/a/a_v1.web.1", keys.services("a")) == "a_v1.web.1"


def test_no_deis_key_literal_outside_the_keys_module():
    """Key paths are spelled once (Deis v1 re-typed them in 94 files)."""
    literal = re.compile(r"""["']/deis/""")
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "build"} or relative == Path("deis/keys.py"):
            continue
        if literal.search(path.read_text()):
            offenders.append(str(relative))
    assert offenders == []
