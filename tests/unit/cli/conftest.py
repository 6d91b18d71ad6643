"""Fixtures for CLI unit tests: a canned ``requests`` transport, a session file, a runner.

The transport answers from a table of ``(method, path) -> answer``; it exists to
test how commands build requests and render answers, not the controller.
"""

from __future__ import annotations

import http
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner
from requests.structures import CaseInsensitiveDict

from deis.cli import main
from deis.cli.context import State
from deis.client import Session, save_session, session_path

CONTROLLER = "http://deis.example.com"


@dataclass
class Sent:
    """A request the transport received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeTransport(requests.adapters.BaseAdapter):
    """A ``requests`` adapter answering from ``routes``; unknown routes answer 404."""

    routes: dict[tuple[str, str], list[tuple[int, Any, dict]]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    api_version: str = "1.7"

    def __post_init__(self):
        super().__init__()

    def add(self, method: str, path: str, body: Any = None, status: int = 200, headers: dict | None = None):
        """Answer ``method path`` with ``status`` and ``body`` (repeatable: answers queue up)."""
        self.routes.setdefault((method, path), []).append((status, body, headers or {}))

    def send(self, request, **kwargs):
        """Record ``request`` and answer it."""
        url = urlsplit(request.url)
        body = json.loads(request.body) if request.body else None
        self.sent.append(Sent(request.method, url.path, parse_qs(url.query), dict(request.headers), body))
        answers = self.routes.get((request.method, url.path)) or [(404, {"detail": "Not found"}, {})]
        status, payload, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        return self._response(request, status, payload, headers)

    def _response(self, request, status, payload, headers):
        response = requests.Response()
        response.status_code, response.request, response.url = status, request, request.url
        response.reason = http.HTTPStatus(status).phrase.upper()
        text = payload if isinstance(payload, str) else "" if payload is None else json.dumps(payload)
        response._content = text.encode()
        response.headers = CaseInsensitiveDict({"DEIS_API_VERSION": self.api_version, **headers})
        return response

    def close(self):
        """Nothing to release."""

    def last(self, method: str | None = None) -> Sent:
        """Return the last request sent (of ``method``)."""
        return [s for s in self.sent if method is None or s.method == method][-1]


@pytest.fixture
def transport():
    """An empty canned transport."""
    return FakeTransport()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home directory holding a session of ``alice`` on :data:`CONTROLLER`."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DEIS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    save_session(session_path(home=tmp_path), Session(CONTROLLER, "t0ken", "alice"))
    return tmp_path


@pytest.fixture
def deis(home, transport):
    """Run ``deis <args>`` against the canned transport; return click's result."""
    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, obj=State(home=home, adapter=transport),
                                 prog_name="deis")
    return run
