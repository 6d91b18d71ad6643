"""Logs under faults: the CI variant of reliability-plan T8 (``bench/logs_faults.py`` is the full-size soak).

# deis logs
Four containers (two apps, two processes each) print numbered lines — 64 KiB
lines, multi-line writes, invalid UTF-8 and NUL among them — while the logger
is killed -9 three times, logspout once, and the TCP connection between them
is reset three times by a fault proxy the logger announces itself behind.
Plan figure: 0 lost, duplicates ≤ 1 % and only around a fault, each
container's order kept, every line byte for byte as written. Then a logger
kept away overflows a small spool, and the drop notices count exactly the
lines that are missing.
"""

from __future__ import annotations

import time
import uuid

import pytest

from controller.scheduler.docker import LOG_CONFIG
from deis import syslog
from tests.faultproxy import FaultProxy
from tests.logsoak import (
    BIG,
    DOCKER_CUT,
    FaultPlan,
    exited,
    remove_writers,
    start_writers,
    stored_lines,
    tarball,
    wait_until_complete,
)
from tests.logspouts import LABEL, LogspoutProcess
from tests.services import LoggerProcess, wait_until

#: The proxy listens on the logger's port number at this loopback address, which the logger announces.
PROXY_HOST = "127.0.0.2"
#: Enough segments that a run's lines (64 KiB ones included) are all kept.
KEEP_SEGMENTS = "256"


@pytest.fixture
def run_id():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def writers(docker_client):
    started = []
    yield started
    remove_writers(started)


@pytest.fixture
def logger(etcd, tmp_path):
    process = LoggerProcess(etcd.endpoint, tmp_path / "store")
    process.environ["DEIS_LOGGER_KEEPSEGMENTS"] = KEEP_SEGMENTS
    yield process
    process.stop()


@pytest.fixture
def proxy(logger):
    """A fault proxy in front of the logger: the logger announces the proxy's address, so logspout goes through it."""
    proxy = FaultProxy((PROXY_HOST, logger.port), ("127.0.0.1", logger.port)).start()
    logger.environ["HOST"] = PROXY_HOST  # the logger's announced host (its setting "host")
    yield proxy
    proxy.stop()


def logspout(etcd, tmp_path, run_id, **settings: str) -> LogspoutProcess:
    process = LogspoutProcess(etcd.endpoint, tmp_path / "logspout", f"{LABEL}={run_id}")
    process.environ.update({f"DEIS_LOGSPOUT_{name.upper()}": value for name, value in settings.items()})
    return process


@pytest.fixture
def spout(etcd, tmp_path, run_id):
    process = logspout(etcd, tmp_path, run_id)
    yield process
    process.stop()


def test_logs_kills_and_resets_lose_nothing_keep_order_and_bytes(
        logger, proxy, spout, writers, docker_client, base_image, run_id):
    logger.start()
    spout.start()
    started = time.monotonic()
    writers += start_writers(docker_client, base_image, run_id, f"lf-{run_id}", containers=4, lines=5000, rate=200)
    wait_until(lambda: stored_lines(logger, writers[0].app), 30, interval=0.3, what="first lines stored")
    plan = FaultPlan(logger, spout, proxy)
    plan.run(["logger", "reset", "logspout", "reset", "logger", "reset", "logger"], gap=2.0)
    writing_during_faults = sum(1 for w in writers if not exited(w))
    figures = wait_until_complete(logger, writers, timeout=90, faults=plan.done)
    print("\n" + figures.report("T8 CI variant", time.monotonic() - started))

    assert writing_during_faults, "the faults must fall while the containers write"
    assert all(fault.hit for fault in plan.done if fault.kind == "reset"), "every reset must cut a connection"
    assert figures.total_lost == 0, f"{figures.total_lost} lines lost"
    assert figures.duplicates <= figures.written // 100, f"{figures.duplicates} duplicates (> 1 %)"
    assert figures.duplicates_away_from_faults == 0, "duplicates only around a fault"
    assert figures.reordered == 0, "each container's lines in the order written"
    assert figures.misattributed == 0
    assert figures.stray == 0, "no line cut in two, no line the containers did not write"
    assert figures.count("intact", "big") == figures.expected("big"), "64 KiB lines byte for byte"
    assert figures.count("intact", "odd") == figures.expected("odd"), "invalid UTF-8 and NUL kept byte for byte"
    assert sum(sum(f.damaged.values()) for f in figures.per.values()) == 0


def test_logs_overflow_drop_notice_counts_the_missing_lines_exactly(
        etcd, tmp_path, logger, writers, docker_client, base_image, run_id):
    logger.start()
    # 128 KiB in memory, 128 KiB on disk: two 64 KiB lines each; a few seconds away overflow them.
    spout = logspout(etcd, tmp_path, run_id, memoryBytes=str(128 << 10), diskBytes=str(128 << 10)).start()
    try:
        started = time.monotonic()
        writers += start_writers(docker_client, base_image, run_id, f"lo-{run_id}", containers=2, lines=2400,
                                 rate=200)
        wait_until(lambda: stored_lines(logger, writers[0].app), 30, interval=0.3, what="first lines stored")
        plan = FaultPlan(logger, spout)
        plan.do("logger", away=6.0)
        figures = wait_until_complete(logger, writers, timeout=60, faults=plan.done)
    finally:
        spout.stop()
    print("\n" + figures.report("T8 forced overflow (logger away 6 s, spool 128 KiB + 128 KiB)",
                                time.monotonic() - started))

    for writer in writers:
        kept = figures.per[writer.index]
        assert kept.dropped > 0, f"{writer.proc}: the spool must overflow for this test to mean anything"
        assert kept.dropped == figures.lost(writer.index), \
            f"{writer.proc}: the notices count {kept.dropped} dropped lines, {figures.lost(writer.index)} are missing"
    assert figures.duplicates == 0 and figures.reordered == 0
    assert figures.misattributed == 0 and figures.stray == 0
    assert sum(sum(f.damaged.values()) for f in figures.per.values()) == 0


@pytest.mark.xfail(strict=True, reason=(
    "Docker's json-file driver (controller.scheduler.docker.LOG_CONFIG) stores each 16 KiB piece of a long "
    "line as its own JSON string, so a UTF-8 character cut in two becomes two U+FFFD before logspout reads "
    "it; the local driver keeps the bytes but drops the newline that ends a long line (Docker 20.10)"))
def test_logs_64k_line_with_a_character_across_dockers_16k_cut_arrives_intact(
        logger, spout, docker_client, base_image, run_id, tmp_path):
    logger.start()
    spout.start()
    line = bytearray(b"y" * BIG)
    line[DOCKER_CUT - 1:DOCKER_CUT + 1] = "é".encode()
    app = f"lc-{run_id}"
    container = docker_client.containers.create(base_image, ["sh", "-c", "cat /f; echo end"], name=f"{app}_v1.web.1",
                                                labels={LABEL: run_id}, log_config=LOG_CONFIG)
    try:
        container.put_archive("/", tarball({"f": bytes(line) + b"\n"}))
        container.start()
        stored = wait_until(lambda: (found := stored_lines(logger, app)) and found[-1].text == "end" and found,
                            30, interval=0.3, what="the line and its sentinel")
    finally:
        container.remove(force=True)
    assert stored[0].text.encode("utf-8", syslog.ERRORS) == bytes(line)
