"""deis-logger as a real process: syslog in over TCP/UDP, the HTTP API out, bad senders.

# deis logs (the logger's side)
"""

from __future__ import annotations

import os
import socket
import statistics
import time

import pytest
import requests

from deis import keys, syslog
from tests.services import LoggerProcess, wait_until

#: Lines timed through a follow stream (the median must be under a second).
FOLLOW_SAMPLES = 7


@pytest.fixture
def logger(etcd, tmp_path):
    """A running deis-logger with its own store."""
    process = LoggerProcess(etcd.endpoint, tmp_path / "store").start()
    yield process
    process.stop()


def send_tcp(port: int, data: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(data)
    return connection


def send_until_receipt(port: int, frames: list[bytes]) -> None:
    """Send ``frames`` on a new connection and return once the logger's receipt says it took every one.

    The receipt (see :mod:`logger.listeners`) is written after the frames are through the intake, resends
    recognised and dropped included: the sentinel that makes "nothing more was stored" safe to assert.
    """
    with send_tcp(port, b"".join(frames)) as connection:
        connection.settimeout(10)
        received = b""
        while not received.endswith(b"\n") or int(received.split()[-1]) < len(frames):
            chunk = connection.recv(100)
            assert chunk, f"connection closed after receipts {received!r}, before {len(frames)}"
            received += chunk
        assert int(received.split()[-1]) == len(frames)


def message(app: str, text: str, proc: str = "web.1") -> syslog.Message:
    return syslog.Message(app, proc, text)


def test_logger_announces_its_ports(logger, etcd):
    wait_until(lambda: etcd.get(keys.port("logs")) == str(logger.port), 10, what="announcement")
    assert etcd.get(keys.host("logs")) == "127.0.0.1"
    assert etcd.get(keys.component("logs", "httpPort")) == str(logger.http_port)


def test_octet_counted_and_v1_lines_are_stored_in_order(logger):
    frames = b"".join(syslog.frame(message("alpha", f"n-{i}")) for i in range(500))
    v1 = b"2016-01-19T17:03:12UTC alpha[run.1]: a v1 line\n"
    with send_tcp(logger.port, frames + v1):
        wait_until(lambda: len(logger.lines("alpha")) == 501, 10, what="501 lines")
    lines = logger.lines("alpha")
    assert [syslog.parse_line(line).text for line in lines[:500]] == [f"n-{i}" for i in range(500)]
    assert lines[-1] == "2016-01-19T17:03:12.000000Z alpha[run.1]: a v1 line"


def test_log_lines_returns_the_last_n_and_204_when_none(logger):
    with send_tcp(logger.port, b"".join(syslog.frame(message("beta", f"b-{i}")) for i in range(20))):
        wait_until(lambda: len(logger.lines("beta")) == 20, 10, what="20 lines")
    response = requests.get(f"{logger.url}/beta", params={"log_lines": 3}, timeout=5)
    assert response.headers["Content-Type"].startswith("text/plain")
    assert [syslog.parse_line(x).text for x in response.text.splitlines()] == ["b-17", "b-18", "b-19"]
    assert requests.get(f"{logger.url}/nobody", timeout=5).status_code == 204
    assert len(requests.get(f"{logger.url}/beta?log_lines=junk", timeout=5).text.splitlines()) == 20


def test_64k_line_invalid_utf8_and_nul_are_kept_byte_for_byte(logger):
    big = "x" * 65536
    odd = b"caf\xc3\xa9 \xff\xfe \x00 end".decode("utf-8", syslog.ERRORS)
    with send_tcp(logger.port, syslog.frame(message("gamma", big)) + syslog.frame(message("gamma", odd))):
        wait_until(lambda: len(logger.lines("gamma")) == 2, 10, what="2 lines")
    raw = requests.get(f"{logger.url}/gamma", timeout=5).content.split(b"\n")
    assert raw[0].endswith(b"]: " + b"x" * 65536)
    assert raw[1].endswith(b"]: caf\xc3\xa9 \xff\xfe \x00 end")


def test_udp_datagrams_are_stored(logger):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(syslog.encode(message("delta", "over udp")), ("127.0.0.1", logger.port))
        wait_until(lambda: logger.lines("delta"), 10, what="udp line")
    assert syslog.parse_line(logger.lines("delta")[0]).text == "over udp"


def test_unattributable_line_goes_to_the_platform_log_and_the_rest_goes_on(logger):
    data = b"no app here at all\n" + syslog.frame(message("eps", "after garbage"))
    with send_tcp(logger.port, data):
        wait_until(lambda: logger.lines("eps"), 10, what="line after garbage")
    assert any("no app here at all" in line for line in logger.lines("deis"))


def test_flood_and_lying_frames_do_not_stall_other_apps(logger):
    flood = send_tcp(logger.port, b"".join(syslog.frame(message("noisy", "n" * 200)) for _ in range(5000)))
    liar = send_tcp(logger.port, b"9999999999 <14>1 lies")  # declares 10 GB
    stuck = send_tcp(logger.port, b"500 <14>1 - - half a frame and then silence")
    binary = send_tcp(logger.port, os.urandom(200_000))
    started = time.monotonic()
    with send_tcp(logger.port, syslog.frame(message("quiet", "still here"))):
        wait_until(lambda: logger.lines("quiet"), 5, what="quiet app's line")
    assert time.monotonic() - started < 5
    for connection in (flood, liar, stuck, binary):
        connection.close()
    wait_until(lambda: any("connection closed" in line for line in logger.lines("deis")), 10, what="rejection notice")


def test_follow_shows_a_new_line_within_a_second(logger):
    with send_tcp(logger.port, syslog.frame(message("zeta", "old"))):
        wait_until(lambda: logger.lines("zeta"), 10, what="first line")
    latencies = []
    with requests.get(f"{logger.url}/zeta", params={"follow": 1, "log_lines": 1}, stream=True, timeout=10) as stream:
        lines = stream.iter_lines()
        assert next(lines).endswith(b"zeta[web.1]: old")
        for n in range(FOLLOW_SAMPLES):
            sent = time.monotonic()
            with send_tcp(logger.port, syslog.frame(message("zeta", f"new-{n}"))):
                assert next(lines).endswith(f"zeta[web.1]: new-{n}".encode())
            latencies.append(time.monotonic() - sent)
    # One sample on 2 busy cores can lose a scheduler slice: the figure is the median, the max a sanity bound.
    print(f"\nfollow latency over {len(latencies)} lines: median {statistics.median(latencies):.3f} s, "
          f"max {max(latencies):.3f} s")
    assert statistics.median(latencies) < 1.0, latencies
    assert max(latencies) < 3.0, latencies


def test_delete_forgets_an_apps_logs(logger):
    with send_tcp(logger.port, syslog.frame(message("eta", "bye"))):
        wait_until(lambda: logger.lines("eta"), 10, what="line")
    assert requests.delete(f"{logger.url}/eta/", timeout=5).status_code == 204
    assert requests.get(f"{logger.url}/eta", timeout=5).status_code == 204


def test_receipts_count_stored_frames_and_resends_are_stored_once(logger):
    frames = [syslog.frame(syslog.Message("theta", "web.1", f"s-{i}", source="abc", seq=i)) for i in range(100)]
    send_until_receipt(logger.port, frames)
    send_until_receipt(logger.port, frames[50:])  # a resend after a reconnect
    assert [syslog.parse_line(x).text for x in logger.lines("theta")] == [f"s-{i}" for i in range(100)]


def test_a_restarted_logger_still_recognises_resent_lines(logger):
    frames = [syslog.frame(syslog.Message("iota", "web.1", f"r-{i}", source="c1", seq=i)) for i in range(10)]
    with send_tcp(logger.port, b"".join(frames)):
        wait_until(lambda: len(logger.lines("iota")) == 10, 10, what="10 lines")
    logger.kill()
    logger.start()
    send_until_receipt(logger.port, frames)
    assert [syslog.parse_line(x).text for x in logger.lines("iota")] == [f"r-{i}" for i in range(10)]
