"""``deis-registry`` as deisctl runs it, against real etcd, Redis and docker-registry.

Also the harness other registry tests use: :func:`running_redis` and
:class:`RegistryProcess` (a ``deis-registry`` subprocess on free ports with
its data in a temporary directory).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from deis import keys
from deis.ctl import infrastructure as infra
from deis.ctl.paths import Paths
from deis.etcd import Etcd
from registry.client import RegistryClient
from tests.services import SCRIPTS, free_port, wait_until


@contextlib.contextmanager
def running_redis(folder: Path) -> Iterator[int]:
    """Yield the port of a throwaway ``redis-server`` (deisctl's command line) on loopback."""
    port = free_port()
    paths = Paths(folder)
    paths.data("redis").mkdir(parents=True, exist_ok=True)
    environ = {"DEIS_REDIS_PORT": str(port)}
    program = infra.redis_program(paths, environ)
    with open(folder / "redis.log", "wb") as log:
        process = subprocess.Popen(program.argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: infra.redis_ready(environ), 10, what="redis answering")
            yield port
        finally:
            process.terminate()
            process.wait(10)


class RegistryProcess:
    """A ``deis-registry`` subprocess, restartable on the same port and data."""

    def __init__(self, etcd_endpoint: str, data_dir: Path, redis_port: int, **settings: str):
        self.port = free_port()
        self.data_dir = data_dir
        self.etcd = Etcd(etcd_endpoint)
        self.environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATA_DIR=str(data_dir),
                            DEIS_REGISTRY_PORT=str(self.port), DEIS_REDIS_PORT=str(redis_port),
                            **{f"DEIS_REGISTRY_{name.upper()}": value for name, value in settings.items()})
        self.log = data_dir / "registry.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> RegistryClient:
        return RegistryClient(self.address)

    def start(self, timeout: float = 30) -> RegistryProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(SCRIPTS / "deis-registry")], env=self.environ,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.announced, timeout, what="deis-registry announcing itself")
        return self

    def announced(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        return self.etcd.get(keys.port("registry")) == str(self.port)

    def child(self) -> psutil.Process:
        """The ``docker-registry serve`` process."""
        return wait_until(lambda: next(iter(psutil.Process(self.process.pid).children()), None), 10,
                          what="docker-registry child")

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            return self.process.wait(20)
        return self.process.returncode if self.process else 0


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """A Redis for this module's registries."""
    with running_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port


@pytest.fixture
def registry(etcd, etcd_endpoint, redis_port, tmp_path):
    """A started ``deis-registry`` with its data in ``tmp_path``."""
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port, gcIdle="0.5").start()
    yield process
    process.stop()


def test_registry_answers_and_announces_itself(registry, etcd):
    assert etcd.get(keys.host("registry")) == "127.0.0.1"
    assert requests.get(f"http://{registry.address}/v2/", timeout=5).status_code == 200
    config = registry.data_dir / "run" / "registry.yml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f'rootdirectory: "{registry.data_dir / "registry"}"' in config.read_text()


def test_registry_child_does_not_see_aws_ca_bundle(etcd, etcd_endpoint, redis_port, tmp_path):
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port)
    process.environ["AWS_CA_BUNDLE"] = "/nonexistent/bundle.pem"
    process.start()
    try:
        assert "AWS_CA_BUNDLE" not in process.child().environ()
    finally:
        process.stop()


def test_registry_restarts_a_child_that_dies(registry):
    first = registry.child()
    first.send_signal(signal.SIGKILL)
    wait_until(lambda: registry.child().pid != first.pid and registry.client().ping(), 15,
               what="a new docker-registry answering")


def test_registry_sigterm_stops_child_and_withdraws_announcement(registry, etcd):
    child = registry.child()
    assert registry.stop() == 0
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert etcd.get(keys.port("registry")) is None
    assert not registry.client().ping()


def test_registry_refuses_to_start_on_s3_without_a_bucket(etcd, etcd_endpoint, redis_port, tmp_path):
    etcd.put(keys.component("store", "backend"), "s3")
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port)
    with open(process.log, "ab") as log:
        result = subprocess.run([str(SCRIPTS / "deis-registry")], env=process.environ, stdout=log,
                                stderr=subprocess.STDOUT, timeout=30)
    assert result.returncode == 1
    assert "deisctl config registry set bucketName=" in process.log.read_text()
