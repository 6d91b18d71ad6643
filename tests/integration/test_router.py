"""The router against real etcd, real nginx and real app containers."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deis import keys
from tests.services import free_port, wait_until

WEB = ["sh", "-c", 'mkdir -p /w && echo "$MESSAGE" > /w/index.html && exec httpd -f -p 5000 -h /w']


@pytest.fixture
def app_id():
    return f"rt-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def web(docker_client, base_image):
    """Start busybox web servers; yields a function returning the container's ip:port."""
    started = []

    def run(message="hello"):
        container = docker_client.containers.run(base_image, WEB, environment={"MESSAGE": message}, detach=True,
                                                 labels={"deis.test": "router"})
        started.append(container)
        container.reload()
        ip = container.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        address = f"{ip}:5000"
        wait_until(lambda: _answers(address), 5, what="container web server")
        return container, address

    yield run
    for container in started:
        container.remove(force=True)


def _answers(address):
    try:
        return requests.get(f"http://{address}/", timeout=0.5).ok
    except requests.RequestException:
        return False


def test_route_appears_and_disappears_within_a_second(etcd, router, web, app_id):
    _, address = web("hello")
    etcd.put(keys.app_marker(app_id), "")
    container = f"{app_id}_v1.web.1"
    etcd.put(keys.service(app_id, container), address)
    begun = time.monotonic()
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 1.0, 0.05, what="routable")
    assert router.get(f"{app_id}.deis.localhost").text == "hello\n"
    assert time.monotonic() - begun < 1.0
    etcd.delete(keys.service(app_id, container))
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 503, 1.0, 0.05, what="unroutable")


def test_any_platform_domain_suffix_reaches_the_app(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.example.org") == 200, 3, what="routable under another domain")


def test_unknown_host_is_404_and_known_app_without_backends_is_503(etcd, router, app_id):
    etcd.put(keys.app_marker(app_id), "")
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 503, 3, what="503 for an empty app")
    assert router.status("nobody.deis.localhost") == 404
    assert router.get("anything", "/health-check").status_code == 200
    assert requests.get(f"http://127.0.0.1:{router.ports.health}/health-check", timeout=2).status_code == 200


def test_forwarded_headers_reach_the_app(etcd, router, docker_client, base_image, app_id):
    # busybox httpd runs CGI: the script echoes the proxy headers it received.
    headers = "$HTTP_X_FORWARDED_FOR|$HTTP_X_FORWARDED_PROTO|$HTTP_X_FORWARDED_PORT"
    script = f"#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \"{headers}\"\\n"
    command = ["sh", "-c", f"mkdir -p /w/cgi-bin && printf '{script}' > /w/cgi-bin/h && chmod +x /w/cgi-bin/h && "
               "exec httpd -f -p 5000 -h /w"]
    container = docker_client.containers.run(base_image, command, detach=True, labels={"deis.test": "router"})
    try:
        container.reload()
        ip = container.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), f"{ip}:5000")
        host = f"{app_id}.deis.localhost"
        wait_until(lambda: router.get(host, "/cgi-bin/h").status_code == 200, 5, what="routable")
        body = router.get(host, "/cgi-bin/h").text.strip()
        assert body == "127.0.0.1|http|80"
    finally:
        container.remove(force=True)


def test_app_whitelist_denies_other_addresses(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    etcd.put(keys.app_config(app_id, "DEIS_WHITELIST"), "10.9.9.9:office")
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 403, 3, what="denied by whitelist")
    etcd.put(keys.app_config(app_id, "DEIS_WHITELIST"), "127.0.0.0/8")
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="allowed by whitelist")


def self_signed(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def applied(etcd, router, revision, timeout=5):
    """Wait until the router records that it serves everything up to ``revision``."""
    wait_until(lambda: int(etcd.get(keys.router_host(router.host)) or 0) >= revision, timeout,
               what=f"router applied revision {revision}")


def curl_https(router, domain, cafile):
    result = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "|%{http_code}", "--cacert", str(cafile),
         "--resolve", f"{domain}:{router.ports.https}:127.0.0.1", f"https://{domain}:{router.ports.https}/"],
        capture_output=True, text=True, timeout=10,
    )
    return result.stdout


def test_custom_domain_serves_https_with_its_own_certificate_by_sni(etcd, router, web, app_id, tmp_path):
    _, address = web("secure hello")
    domain = f"{app_id}.example.com"
    cert, key = self_signed(domain)
    (tmp_path / "ca.pem").write_text(cert)
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    etcd.put(keys.domain(domain), app_id)
    etcd.put(keys.cert(domain, "cert"), cert)
    applied(etcd, router, etcd.put(keys.cert(domain, "key"), key))
    assert curl_https(router, domain, tmp_path / "ca.pem") == "secure hello\n|200"
    assert router.status(domain) == 200  # plain HTTP on the custom domain too


def test_bad_certificate_is_skipped_and_reported_and_other_apps_keep_serving(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    etcd.put(keys.domain("broken.example.com"), app_id)
    etcd.put(keys.cert("broken.example.com", "cert"), "-----BEGIN CERTIFICATE-----\nnot a cert\n")
    etcd.put(keys.cert("broken.example.com", "key"), "-----BEGIN PRIVATE KEY-----\nnope\n")
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.2"), "not-an-address")
    errors = wait_until(lambda: etcd.get(keys.router_errors(router.host)), 3, what="errors reported")
    assert "broken.example.com: certificate does not parse" in errors
    assert "not-an-address" in errors
    assert router.status(f"{app_id}.deis.localhost") == 200
    assert router.status("broken.example.com") == 200  # served over plain HTTP


def test_applied_revision_is_recorded_for_the_scheduler(etcd, router, web, app_id):
    _, address = web()
    applied(etcd, router, etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address))


def test_nginx_killed_is_restarted_with_the_last_good_config(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    old_master = router.nginx.pid()
    os.kill(old_master, signal.SIGKILL)  # its workers live on, holding the ports, serving the old config
    killed = time.monotonic()
    wait_until(lambda: router.nginx.pid() not in (None, old_master), 5, 0.05, what="a new nginx master")
    assert time.monotonic() - killed < 3
    # The new master serves (not the old workers): a route added now answers.
    _, other = web()
    etcd.put(keys.service(f"{app_id}b", f"{app_id}b_v1.web.1"), other)
    wait_until(lambda: router.status(f"{app_id}b.deis.localhost") == 200, 5, 0.05, what="a new route served")
    assert router.status(f"{app_id}.deis.localhost") == 200


def test_nginx_keeps_serving_when_the_router_loop_dies(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    router.stop.set()
    router.thread.join(10)
    for _ in range(20):
        assert router.status(f"{app_id}.deis.localhost") == 200


def test_route_churn_is_coalesced_into_few_reloads(etcd, router, web, app_id):
    _, address = web()
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    before = router.router.reloads
    for n in range(2, 32):  # 30 changes in ~1.5 s
        last = etcd.put(keys.service(app_id, f"{app_id}_v1.web.{n}"), address)
        time.sleep(0.05)
    applied(etcd, router, last)
    reloads = router.router.reloads - before
    assert 1 <= reloads <= 10  # reload_interval 0.2 s here: at most ~1 per interval


def test_scale_down_in_drain_order_drops_no_request(etcd, router, web, app_id):
    """The scheduler's contract: withdraw, wait for the router's revision, then stop."""
    first, address1 = web("one")
    second, address2 = web("two")
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), address1)
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.2"), address2)
    wait_until(lambda: router.status(f"{app_id}.deis.localhost") == 200, 3, what="routable")
    failures, done = [], threading.Event()

    def load():
        # A new connection per request (T1's first variant). With keep-alive, a
        # reload closes idle connections and clients must retry per RFC 7230
        # 6.3.1, as browsers do; that variant belongs to the T1 load test.
        while not done.is_set():
            try:
                response = requests.get(f"http://127.0.0.1:{router.ports.http}/", headers={"Host": f"{app_id}.x"},
                                       timeout=5)
                if response.status_code != 200:
                    failures.append(response.status_code)
            except requests.RequestException as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    applied(etcd, router, etcd.delete_at(keys.service(app_id, f"{app_id}_v1.web.2")))
    second.stop(timeout=1)  # at once: "applied" means old workers no longer take requests
    time.sleep(1.0)
    done.set()
    for thread in threads:
        thread.join(10)
    assert failures == []


def test_git_push_port_passes_tcp_through_to_the_builder(etcd, router):
    """2222 is a plain TCP pass-through: bytes reach the builder's SSH server unchanged."""
    import socket
    import socketserver

    class Echo(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(b"SSH-2.0-deis-builder\r\n" + self.request.recv(64))

    server = socketserver.TCPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        etcd.put(keys.host("builder"), "127.0.0.1")
        applied(etcd, router, etcd.put(keys.port("builder"), str(server.server_address[1])))
        with socket.create_connection(("127.0.0.1", router.ports.builder), timeout=5) as conn:
            conn.sendall(b"SSH-2.0-git\r\n")
            assert conn.recv(64) == b"SSH-2.0-deis-builder\r\nSSH-2.0-git\r\n"
    finally:
        server.shutdown()


def test_a_backend_that_failed_once_is_used_again_at_once(etcd, router, app_id):
    """After each backend failed once (old one draining, new one's queue full), nothing may 502.

    With nginx's default failure marking every backend was "down" for fail_timeout
    and the router answered "no live upstreams" to every request (seen in e2e).
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("0.0.0.0", 0), Ok)
    port = server.server_address[1]
    etcd.put(keys.service(app_id, f"{app_id}_v1.web.1"), f"127.0.0.1:{free_port()}")  # dead
    applied(etcd, router, etcd.put(keys.service(app_id, f"{app_id}_v2.web.1"), f"127.0.0.1:{port}"))
    server.server_close()  # the live one fails once too
    router.status(f"{app_id}.deis.localhost")
    server = ThreadingHTTPServer(("0.0.0.0", port), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert [router.status(f"{app_id}.deis.localhost") for _ in range(20)] == [200] * 20
    finally:
        server.shutdown()
        server.server_close()
