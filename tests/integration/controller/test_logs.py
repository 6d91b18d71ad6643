"""``deis logs``: proxied to the logger announced in etcd; 204 before there is one.

The logger component is not built yet, so a small HTTP server speaking its
v1 API (``GET /<app>?log_lines=N``) stands in for it, announced in the real etcd.
"""

import http.server
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from deis import keys
from tests.services import free_port

LINES = {"myapp": "2026-01-01T00:00:00UTC myapp[web.1]: hello ☃\n2026-01-01T00:00:01UTC myapp[web.1]: bye\n"}


@pytest.fixture
def app(etcd_app):
    """The app reading the logger's address from the real etcd."""
    return etcd_app


class LoggerStandIn(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        self.requests.append((url.path, parse_qs(url.query)))
        text = LINES.get(url.path.strip("/"))
        if text is None:
            self.send_response(404)
            self.end_headers()
            return
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def logger(etcd):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), LoggerStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    LoggerStandIn.requests = []
    etcd.put(keys.host("logs"), "127.0.0.1")
    etcd.put(keys.logger_http_port(), str(server.server_address[1]))
    yield LoggerStandIn
    server.shutdown()
    server.server_close()


@pytest.fixture
def myapp(owner):
    for app_id in ("myapp", "quiet"):
        assert owner.post("/v1/apps/", json={"id": app_id}).status_code == 201
    return "myapp"


def test_logs_without_a_logger_are_204(owner, myapp):
    response = owner.get("/v1/apps/myapp/logs/")
    assert response.status == "204 NO CONTENT" and response.data == b""


def test_logs_are_proxied_with_log_lines(owner, myapp, logger):
    response = owner.get("/v1/apps/myapp/logs?log_lines=2")
    assert response.status == "200 OK"
    assert response.content_type.startswith("text/plain")
    assert response.get_data(as_text=True) == LINES["myapp"]
    assert logger.requests == [("/myapp", {"log_lines": ["2"]})]


def test_logs_default_to_1000_lines(owner, myapp, logger):
    owner.get("/v1/apps/myapp/logs/")
    assert logger.requests == [("/myapp", {"log_lines": ["1000"]})]


def test_app_without_logs_is_204(owner, myapp, logger):
    assert owner.get("/v1/apps/quiet/logs/").status == "204 NO CONTENT"


def test_logs_need_access_and_a_sane_number(owner, other, myapp, logger):
    assert other.get("/v1/apps/myapp/logs/").status == "403 FORBIDDEN"
    assert owner.get("/v1/apps/myapp/logs/?log_lines=zero").status == "400 BAD REQUEST"
    assert logger.requests == []


def test_logger_announced_but_away_is_503(owner, myapp, etcd):
    etcd.put(keys.host("logs"), "127.0.0.1")
    etcd.put(keys.logger_http_port(), str(free_port()))
    response = owner.get("/v1/apps/myapp/logs/")
    assert response.status == "503 SERVICE UNAVAILABLE"
    assert response.get_json()["detail"].startswith("Error accessing logs for myapp: the logger at")
