"""Container → logspout → logger (→ controller) with real Docker, real processes and real etcd.

# deis logs
Every numbered line arrives once and in order, across logger and logspout
restarts (the short variant of reliability-plan T8; ``bench/logs.py`` is the soak),
and 100,000 of them come back whole through the controller's API.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from deis import syslog
from tests.logspouts import LABEL, LogspoutProcess
from tests.services import LoggerProcess, wait_until

pytest_plugins = ["tests.integration.cli_conftest"]


def numbered(count: int, prefix: str = "line", pause_every: int = 0) -> str:
    """A busybox shell loop printing ``<prefix>-1`` … ``<prefix>-<count>``."""
    pause = f'[ $((i % {pause_every})) -eq 0 ] && sleep 0.05; ' if pause_every else ""
    return f'i=1; while [ $i -le {count} ]; do echo {prefix}-$i; {pause}i=$((i+1)); done'


@pytest.fixture
def run_id():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def logger(etcd, tmp_path):
    process = LoggerProcess(etcd.endpoint, tmp_path / "store").start()
    yield process
    process.stop()


@pytest.fixture
def logspout(etcd, tmp_path, run_id):
    process = LogspoutProcess(etcd.endpoint, tmp_path / "logspout", f"{LABEL}={run_id}").start()
    yield process
    process.stop()


@pytest.fixture
def containers(docker_client, base_image, run_id):
    """Start app containers named ``<app>_v1.web.<n>`` with this run's label; removed afterwards."""
    started = []

    def start(app: str, script: str, num: int = 1):
        container = docker_client.containers.run(
            base_image, ["sh", "-c", script], name=f"{app}_v1.web.{num}", detach=True,
            labels={LABEL: run_id},
        )
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove(force=True)


def texts(logger: LoggerProcess, app: str) -> list[str]:
    return [syslog.parse_line(line).text for line in logger.lines(app)]


def wait_for_count(logger, app, count, timeout=60):
    return wait_until(lambda: len(texts(logger, app)) >= count, timeout, interval=0.3, what=f"{count} lines of {app}")


def assert_exactly_once_in_order(lines: list[str], count: int, prefix: str = "line") -> None:
    expected = [f"{prefix}-{i}" for i in range(1, count + 1)]
    missing = set(expected) - set(lines)
    assert not missing, f"{len(missing)} lines lost, e.g. {sorted(missing)[:5]}"
    assert len(lines) == count, f"{len(lines) - count} lines duplicated"
    assert lines == expected


def test_every_line_arrives_once_in_order_attributed(logger, logspout, containers, run_id):
    app = f"lt-{run_id}"
    containers(app, numbered(2000))
    wait_for_count(logger, app, 2000)
    time.sleep(1)
    assert_exactly_once_in_order(texts(logger, app), 2000)
    assert logger.lines(app)[0].split(" ", 1)[1].startswith(f"{app}[web.1]: line-1")


def test_64k_line_and_unicode_arrive_intact(logger, logspout, containers, run_id):
    app = f"lt-{run_id}"
    script = ("s=x; for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do s=$s$s; done; "
              "echo start; echo \"$s\"; printf 'caf\\303\\251 \\342\\234\\223 nul\\000byte\\n'; echo end")
    containers(app, script)
    wait_for_count(logger, app, 4)
    lines = texts(logger, app)
    assert lines[0] == "start" and lines[-1] == "end"
    assert lines[1] == "x" * 65536
    assert lines[2] == "café ✓ nul\x00byte", lines[2:]


def test_logger_killed_and_restarted_mid_stream_loses_nothing(logger, logspout, containers, run_id):
    app = f"lt-{run_id}"
    containers(app, numbered(3000, pause_every=100))
    wait_until(lambda: len(texts(logger, app)) > 300, 30, what="first lines")
    for _ in range(2):
        logger.kill()
        time.sleep(0.5)
        logger.start()
        time.sleep(0.5)
    wait_for_count(logger, app, 3000, timeout=90)
    time.sleep(1)
    assert_exactly_once_in_order(texts(logger, app), 3000)


def test_logspout_restarted_neither_loses_nor_repeats(logger, logspout, containers, run_id):
    app = f"lt-{run_id}"
    containers(app, numbered(3000, pause_every=100))
    wait_until(lambda: len(texts(logger, app)) > 300, 30, what="first lines")
    logspout.kill()
    time.sleep(1)
    logspout.start()
    wait_for_count(logger, app, 3000, timeout=90)
    time.sleep(1.5)
    assert_exactly_once_in_order(texts(logger, app), 3000)


def test_logspout_stops_at_once_while_following_running_containers(logger, logspout, containers, run_id):
    """SIGTERM ends logspout in well under a second, lines confirmed (it took 26 s: closing each
    followed stream drained it until the read timeout), so deisctl stop platform is not held up."""
    app = f"ls-{run_id}"
    for num in (1, 2, 3):
        containers(app, "echo ready; exec sleep 300", num)
    wait_for_count(logger, app, 3)
    started = time.monotonic()
    logspout.process.terminate()
    logspout.process.wait(30)
    took = time.monotonic() - started
    print(f"logspout stopped {took:.2f} s after SIGTERM, following 3 running containers")
    assert took < 5, took
    assert logspout.process.returncode == 0


def test_untaggable_container_is_tagged_by_its_name(logger, logspout, docker_client, base_image, run_id):
    name = f"plain-{run_id}"
    container = docker_client.containers.run(base_image, ["sh", "-c", "echo hello from a platform container"],
                                             name=name, detach=True, labels={LABEL: run_id})
    try:
        wait_until(lambda: logger.lines(name), 30, what="platform container's line")
        assert logger.lines(name)[0].endswith(f"{name}[1]: hello from a platform container")
    finally:
        container.remove(force=True)


def test_overflow_drops_only_past_the_bound_and_says_exactly_how_many(etcd, tmp_path, containers, run_id):
    spout = LogspoutProcess(etcd.endpoint, tmp_path / "logspout", f"{LABEL}={run_id}")
    spout.environ.update(DEIS_LOGSPOUT_MEMORYBYTES="6000", DEIS_LOGSPOUT_DISKBYTES="6000")
    spout.start()
    app = f"lt-{run_id}"
    try:
        container = containers(app, numbered(1000))
        container.wait(timeout=60)
        time.sleep(2)  # logspout reads everything into its spool while no logger is announced
        logger = LoggerProcess(etcd.endpoint, tmp_path / "store").start()
        try:
            notices = wait_until(lambda: [t for t in texts(logger, app) if t.startswith("logspout dropped")],
                                 60, what="drop notice")
            time.sleep(2)
            lines = [t for t in texts(logger, app) if not t.startswith("logspout dropped")]
        finally:
            logger.stop()
    finally:
        spout.stop()
    dropped = int(notices[0].split()[2])
    assert len(notices) == 1 and dropped > 0
    assert len(lines) + dropped == 1000, "the notice must count exactly the missing lines"
    numbers = [int(t.split("-")[1]) for t in lines]
    assert numbers == sorted(set(numbers)), "kept lines arrive once, in order"


def test_100000_lines_are_stored_in_order_and_the_controller_serves_the_newest_10000(
        etcd, tmp_path, logspout, containers, alice, controller, run_id):
    logger = LoggerProcess(etcd.endpoint, tmp_path / "store")
    del logger.environ["DEIS_LOGGER_SEGMENTBYTES"]  # the default retention (4 x 8 MiB), as deployed
    logger.start()
    try:
        app = f"lt-{run_id}"
        assert alice("create", app, "--no-remote").exit_code == 0
        containers(app, numbered(100_000)).wait(timeout=60)
        stored = wait_until(lambda: len(found := texts(logger, app)) >= 100_000 and found, 90, interval=1,
                            what="100,000 lines in the logger")

        # deis logs -n asks for at most 10,000 lines (the API's cap): the newest ones, in order.
        response = requests.get(f"{controller.url}/v1/apps/{app}/logs/", params={"log_lines": 10_000},
                                headers={"Authorization": f"token {alice.token}"}, timeout=30)
        assert response.status_code == 200, response.text
        served = [syslog.parse_line(line).text for line in response.text.splitlines() if f" {app}[web.1]: " in line]
    finally:
        logger.stop()
    assert_exactly_once_in_order([text for text in stored if text.startswith("line-")], 100_000)
    assert served == [f"line-{i}" for i in range(90_001, 100_001)]
