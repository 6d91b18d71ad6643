"""Load through the router while an app changes: the harness of the reliability tests (T1, T2).

:class:`Load` sends requests through a router from several threads at a
steady rate — each on a new connection, or on kept-alive ones — and records
every answer. :func:`live_app` is a pytest fixture (load this module with
``pytest_plugins``, next to ``tests.integration.cli_conftest``): an app
deployed with ``deis pull`` whose web process is :func:`web_command`, and
routed. A test module overrides ``web_command`` to serve something else.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from tests.integration.cli_conftest import WEB_COMMAND
from tests.services import wait_until

#: Four clients at up to 100 requests/s each (T1 drives 100 rps): a few thousand over the changes.
THREADS = 4
RATE_PER_THREAD = 100
#: Requests the load loop sends at most, whatever happens.
MAX_REQUESTS = 20_000


@pytest.fixture
def web_command() -> str:
    """The web process of :func:`live_app`: busybox httpd serving its release name on ``$PORT``."""
    return WEB_COMMAND


@pytest.fixture
def live_app(alice, router, publisher, base_image, app_name, web_command):
    """``app_name`` deployed with ``deis pull`` (its web process is ``web_command``) and routed."""
    assert alice("create", app_name, "--no-remote").exit_code == 0
    result = alice("pull", base_image, "-a", app_name, "-p", f"web: {web_command}")
    assert result.exit_code == 0, result.output
    wait_until(lambda: router.status(f"{app_name}.deis.localhost") == 200, 5, what="the app routed")
    return app_name


@dataclass
class Load:
    """Requests through the router from several threads: each on a new connection, or kept alive."""

    url: str
    host: str
    threads: int = THREADS
    rate: float = RATE_PER_THREAD
    keep_alive: bool = False
    #: Requests sent at most (a 10-minute soak at 100/s needs 60,000).
    max_requests: int = MAX_REQUESTS
    #: ``(start time, status or error, body, seconds)`` of every request.
    results: list = field(default_factory=list)
    #: Requests sent again because a kept-alive connection was closed under them.
    retried: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def worker(self) -> None:
        session = requests.Session() if self.keep_alive else None
        get = session.get if session else requests.get
        due = time.monotonic()
        while not self.done.is_set() and len(self.results) < self.max_requests:
            due += 1 / self.rate
            time.sleep(max(0.0, due - time.monotonic()))
            started = time.monotonic()
            try:
                response = self._get(get)
                self.results.append((started, response.status_code, response.text.strip(),
                                     time.monotonic() - started))
            except requests.RequestException as exc:
                self.results.append((started, repr(exc), "", time.monotonic() - started))

    def _get(self, get) -> requests.Response:
        """GET once; on a kept-alive connection that was closed under the request, once more.

        nginx closes its idle kept-alive connections at every reload, so a request
        sent at that instant meets a reset. Browsers and HTTP libraries send an
        idempotent request again in that case (RFC 9112 §9.3.1); so does this
        client, and counts it. A new connection is never retried.
        """
        try:
            return get(self.url, headers={"Host": self.host}, timeout=5)
        except requests.ConnectionError as exc:
            if not (self.keep_alive and "Connection aborted" in str(exc)):
                raise
            self.retried += 1
            return get(self.url, headers={"Host": self.host}, timeout=5)

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        for thread in self._threads:
            thread.join(10)

    def failures(self) -> list:
        return [(status, body) for _, status, body, _ in self.results if status != 200]

    def between(self, began: float, until: float) -> list:
        """The results of requests started in ``[began, until)``."""
        return [result for result in self.results if began <= result[0] < until]
