"""The logger's HTTP API (Deis v1's shape, plus follow).

* ``GET /<app>?log_lines=N`` — the last N lines (default 100), ``text/plain``;
  ``204`` when the app has none.
* ``GET /<app>?follow=1[&log_lines=N]`` — the last N lines (default 0), then
  every new line as it is stored, chunked, until the client goes away.
* ``DELETE /<app>`` — forget the app's logs (app destroy); ``204``.
* ``GET /_health`` — ``ok``; ``GET /_stats`` — counters as JSON.

``http.server`` is enough here: a handful of routes, a thread per request,
and follow streams that are plain chunked responses.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from logger.logbook import Logbook

DEFAULT_LINES = 100
#: How often a follow stream checks whether the server is stopping.
FOLLOW_TICK = 0.5


def lines_wanted(query: dict[str, list[str]], default: int) -> int:
    """Return ``log_lines`` from a query; v1 used the default for missing or invalid values."""
    raw = query.get("log_lines", [""])[0]
    return int(raw) if raw.isdigit() else default


class LogsHandler(BaseHTTPRequestHandler):
    """Routes of the logs API."""

    protocol_version = "HTTP/1.1"
    server: APIServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Return an app's recent lines, or follow them."""
        url = urlsplit(self.path)
        app, query = url.path.strip("/"), parse_qs(url.query)
        if app == "_health":
            return self._send(HTTPStatus.OK, b"ok\n")
        if app == "_stats":
            return self._send(HTTPStatus.OK, json.dumps(self.server.logbook.stats).encode(), "application/json")
        if not app or "/" in app:
            return self._send(HTTPStatus.NOT_FOUND, b"no such log; use GET /<app>\n")
        if query.get("follow", ["0"])[0] not in ("", "0", "false"):
            return self._follow(app, lines_wanted(query, 0))
        lines = self.server.logbook.tail(app, lines_wanted(query, DEFAULT_LINES))
        if not lines:
            return self._send(HTTPStatus.NO_CONTENT, b"")
        self._send(HTTPStatus.OK, b"\n".join(lines) + b"\n")

    def do_DELETE(self) -> None:  # noqa: N802
        """Delete an app's logs."""
        app = urlsplit(self.path).path.strip("/")
        if not app or "/" in app:
            return self._send(HTTPStatus.NOT_FOUND, b"no such log; use DELETE /<app>\n")
        self.server.logbook.delete(app)
        self._send(HTTPStatus.NO_CONTENT, b"")

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Stay quiet: the controller logs the requests it makes."""

    def _send(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _follow(self, app: str, lines: int) -> None:
        recent, follower = self.server.logbook.follow(app, lines)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        try:
            self._chunk(recent)
            while not self.server.stopping.is_set() and not follower.overflowed:
                self._chunk(follower.take(FOLLOW_TICK))
            if follower.overflowed:
                self._chunk([b"-- deis-logger: this reader fell too far behind; reconnect to go on --"])
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client went away
        finally:
            self.server.logbook.unfollow(app, follower)
            self.close_connection = True

    def _chunk(self, lines: list[bytes]) -> None:
        if lines:
            body = b"\n".join(lines) + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
            self.wfile.flush()


class APIServer(ThreadingHTTPServer):
    """The logs API over one :class:`Logbook`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], logbook: Logbook):
        self.logbook = logbook
        self.stopping = threading.Event()
        super().__init__(address, LogsHandler)
