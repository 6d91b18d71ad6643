"""deisctl driving real etcd, Docker and Redis on this host.

Each test uses its own data directory and free ports, so it never touches a
platform already running here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from deisctl import infrastructure as infra
from tests.platform import isolated_platform
from tests.services import wait_until


@pytest.fixture
def deisctl():
    with isolated_platform("deis-ctl-") as ctl:
        try:
            yield ctl
        finally:
            ctl.tear_down()
            # A killed dockerd leaves its data root bind-mounted; do not leak mounts either.
            for partition in psutil.disk_partitions(all=True):
                if partition.mountpoint.startswith(str(ctl.root)):
                    subprocess.run(["umount", "-l", partition.mountpoint], check=False)


def test_install_platform_without_domain_refuses_and_leaves_nothing_running(deisctl):
    result = deisctl("install", "platform", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: Missing platform domain, use: deisctl config platform set domain=<your-domain>"
    )
    assert deisctl.supervised_pids() == []


def test_unknown_component_is_a_one_line_error(deisctl):
    result = deisctl("start", "etdc", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: unknown component 'etdc'; known components: " + (
        "etcd, docker, redis, store, logger, logspout, database, registry, controller, builder, publisher, router, "
        "or 'platform'"
    )


def test_config_set_get_rm_round_trip(deisctl):
    deisctl("config", "platform", "set", "domain=deis.localhost")
    assert deisctl("config", "platform", "get", "domain").stdout.strip() == "deis.localhost"
    assert deisctl.etcd.get("/deis/platform/domain") == "deis.localhost"
    deisctl("config", "platform", "rm", "domain")
    missing = deisctl("config", "platform", "get", "domain", check=False)
    assert missing.returncode == 1
    assert "deisctl config platform set domain=<value>" in missing.stderr


def test_config_file_settings_store_the_file(deisctl, tmp_path):
    key = tmp_path / "id_deis"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")
    deisctl("config", "platform", "set", f"sshPrivateKey={key}")
    import base64

    assert base64.b64decode(deisctl.etcd.get("/deis/platform/sshPrivateKey")) == key.read_bytes()


def test_platform_start_status_kill_restart_and_stop(deisctl):
    docker_was_up = infra.docker_ready(deisctl.environ)
    deisctl("config", "platform", "set", "domain=deis.localhost")
    deisctl("install", "platform")
    started = deisctl("start", "platform")
    assert "Please set up an administrative account" in started.stdout

    status = deisctl.status()
    assert status["etcd"][0] == "running" and status["redis"][0] == "running"
    assert status["docker"][0] == ("external" if docker_was_up else "running")
    assert status["database"][0] == "running" and status["controller"][0] == "running"
    assert infra.redis_ready(deisctl.environ) and infra.docker_ready(deisctl.environ)

    _kill_etcd_and_watch_recover(deisctl)

    journal = deisctl("journal", "etcd", "-n", "3").stdout.splitlines()
    # etcd's own lines; after its restart these are often its notes on the tokens it forgot ("auth: ...").
    assert len(journal) == 3 and any(word in line for line in journal for word in ("etcd", "raft", "auth:"))

    redis_pid = deisctl.status()["redis"][1]
    deisctl("restart", "redis")
    assert deisctl.status()["redis"][0] == "running"
    assert deisctl.status()["redis"][1] != redis_pid

    stopped = deisctl("stop", "platform")
    assert not infra.redis_ready(deisctl.environ)
    assert infra.docker_ready(deisctl.environ)  # the engine runs the apps: 'stop platform' leaves it running
    if not docker_was_up:
        assert "docker: kept running with the apps; 'deisctl stop docker' stops it" in stopped.stdout
        deisctl("stop", "docker")
    assert deisctl.supervised_pids() == []
    assert infra.docker_ready(deisctl.environ) == docker_was_up  # an engine we did not start is left alone
    assert deisctl.status()["etcd"][0] == "stopped"


def _kill_etcd_and_watch_recover(deisctl):
    """kill -9 etcd: deisctl restarts it in seconds, a watcher misses nothing."""
    etcd = deisctl.etcd
    stop = threading.Event()
    seen_live: list = []

    def consume():
        for event in etcd.watch_prefix("/deis/test/", etcd.revision() + 1, stop):
            seen_live.append(event)

    watcher = threading.Thread(target=consume, daemon=True)
    watcher.start()
    time.sleep(0.3)
    etcd.put("/deis/test/k1", "before")
    wait_until(lambda: seen_live, 5, what="first event")

    old_pid = int(deisctl.status()["etcd"][1])
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: _etcd_pid(deisctl) not in (None, old_pid) and etcd.healthy(), 15, what="etcd restarted")
    recovered_in = time.monotonic() - killed_at
    etcd.put("/deis/test/k2", "meanwhile")
    etcd.put("/deis/test/k3", "meanwhile")
    wait_until(lambda: len(seen_live) >= 3, 10, what="watcher caught up")
    stop.set()

    assert recovered_in < 10
    assert [(e.key, e.value) for e in seen_live] == [
        ("/deis/test/k1", "before"), ("/deis/test/k2", "meanwhile"), ("/deis/test/k3", "meanwhile"),
    ]
    assert deisctl.status()["etcd"][3] == "1"  # one automatic restart counted


def _etcd_pid(deisctl):
    row = deisctl.status().get("etcd", [])
    return int(row[1]) if len(row) > 1 and row[0] == "running" else None


def test_port_taken_is_named_and_nothing_half_started_stays(deisctl):
    deisctl("config", "platform", "set", "domain=deis.localhost")
    deisctl("install", "etcd", "redis")
    deisctl("stop", "platform")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(deisctl.environ["DEIS_REDIS_PORT"])))
        squatter.listen()
        result = deisctl("start", "etcd", "redis", check=False)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert f"127.0.0.1:{deisctl.environ['DEIS_REDIS_PORT']} is already in use by pid {os.getpid()}" in message
    assert "etcd: stopped again" in result.stdout
    assert deisctl.supervised_pids() == []


def test_service_binary_that_cannot_start_is_reported_with_its_output(deisctl, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    broken = fake_bin / "redis-server"
    broken.write_text("#!/bin/sh\necho 'FATAL: cannot open config' >&2\nexit 1\n")
    broken.chmod(0o755)
    deisctl.environ["PATH"] = f"{fake_bin}:{deisctl.environ['PATH']}"
    deisctl("install", "redis")
    result = deisctl("start", "redis", check=False)
    assert result.returncode == 1
    assert "redis failed to start" in result.stderr
    assert "FATAL: cannot open config" in result.stderr
    assert deisctl.supervised_pids() == []


def test_installing_packages_without_root_says_so(tmp_path):
    result = subprocess.run(
        ["runuser", "-u", "nobody", "--", sys.executable, "-m", "deisctl.packages", "redis",
         "--also", "deis-surely-not-installed"],
        capture_output=True, text=True, cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 1
    assert "needs root" in result.stderr
    assert "sudo apt-get install deis-surely-not-installed" in result.stderr
