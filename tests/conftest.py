"""Shared fixtures: real etcd, PostgreSQL and Docker, started once per session.

Tests under ``tests/unit`` are marked ``unit`` and need no service; tests under
``tests/integration`` and ``tests/e2e`` are marked accordingly and use the
session fixtures below (see ``tests/services.py`` for how each is found or
started).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deis import keys
from deis.etcd import Etcd
from publisher.reconciler import Publisher
from tests import services

_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Mark each test by its folder: unit, integration or e2e."""
    for item in items:
        relative = Path(item.fspath).relative_to(_TESTS)
        if relative.parts[0] in {"unit", "integration", "e2e"}:
            item.add_marker(relative.parts[0])


def pytest_ignore_collect(collection_path, config):
    """Leave ``tests/cluster`` (the multi-host bed) to a run that names it; script/test does."""
    cluster = _TESTS / "cluster"
    if collection_path != cluster:
        return None
    named = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    return not any(path == cluster or cluster in path.parents for path in named)


@pytest.fixture(scope="session")
def etcd_endpoint():
    """The URL of a real etcd for the whole session."""
    with services.running_etcd() as endpoint:
        yield endpoint


@pytest.fixture
def etcd(etcd_endpoint):
    """A client of the session's etcd, with ``/deis/`` emptied before the test."""
    client = Etcd(etcd_endpoint)
    client.delete_prefix(keys.ROOT)
    return client


@pytest.fixture(scope="session")
def postgres_url():
    """A URL of a real, empty PostgreSQL database ``deis`` for the session."""
    with services.running_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def docker_client():
    """A client of a real Docker engine (started for the session if none answers)."""
    with services.running_docker() as client:
        yield client


@pytest.fixture(scope="session")
def base_image(docker_client):
    """The name of a tiny local busybox image, made with ``docker import``."""
    return services.ensure_base_image(docker_client)


@pytest.fixture(scope="session")
def ceph():
    """A real single-node Ceph cluster (mon, mgr, OSD, radosgw) for the session."""
    with services.running_ceph() as cluster:
        print(f"\nceph: bootstrapped in {cluster.bootstrap_seconds:.1f} s")
        yield cluster


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """A throwaway Redis for the module's registries (the registry's descriptor cache)."""
    with services.running_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port


@pytest.fixture
def registry(etcd, etcd_endpoint, redis_port, tmp_path):
    """A started, announced ``deis-registry`` that collects garbage once idle for half a second."""
    process = services.RegistryProcess(etcd_endpoint, tmp_path, redis_port, gcIdle="0.5").start()
    yield process
    process.stop()


@pytest.fixture
def router(etcd, tmp_path):
    """A router and its nginx on free ports, serving ``<app>.deis.localhost`` from the test's etcd."""
    running = services.RunningRouter(etcd, tmp_path / "router")
    running.nginx.paths.root.mkdir(parents=True)
    etcd.put(keys.platform("domain"), "deis.localhost")
    running.thread.start()
    services.wait_until(lambda: running.nginx.pid(), 10, what="nginx started")
    yield running
    running.stop.set()
    running.thread.join(10)
    running.nginx.stop()


@pytest.fixture
def publisher(docker_client, etcd):
    """The publisher of the shared Docker engine, writing routes to the test's etcd."""
    stop = threading.Event()
    pub = Publisher(docker_client, etcd, resync=5.0)
    thread = threading.Thread(target=pub.run, args=(stop,), kwargs={"ttl": 5}, daemon=True)
    thread.start()
    yield pub
    stop.set()
    pub.wake.set()
    thread.join(10)
