"""A registry reachable cluster-wide: ``deis-registry`` on h1 (:func:`tests.cluster.mesh.start_registry`).

An image built on this machine's engine is pushed once (through h1, whose
engine trusts the bed's network) and every node's engine pulls it when
Swarm starts a task there, as a builder's push will be on a cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import uuid

import docker
import pytest

from controller.scheduler import State
from controller.scheduler.swarm import SwarmScheduler
from tests import services
from tests.cluster import mesh
from tests.cluster.apps import GRACE, web
from tests.cluster.testbed import IMAGE
from tests.scheduler_contract import wait_for

pytestmark = pytest.mark.multihost


@pytest.fixture
def built_here(tmp_path):
    """A small image built on this machine's engine (a new layer on the busybox image); removed afterwards."""
    client = docker.from_env(timeout=120)
    services.ensure_base_image(client)
    stamp = uuid.uuid4().hex[:8]
    (tmp_path / "built").write_text(stamp)
    (tmp_path / "Dockerfile").write_text(f"FROM {IMAGE}\nCOPY built /built\n")
    tag = f"deis-test/bed-web:{stamp}"
    client.images.build(path=str(tmp_path), tag=tag, rm=True, pull=False)
    yield tag, stamp
    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(tag, force=True)
    client.close()


def test_an_image_built_here_and_pushed_once_to_the_registry_on_h1_is_pulled_by_every_node(cluster, built_here):
    tag, stamp = built_here
    started = time.monotonic()
    registry = mesh.start_registry(cluster)
    up_after = time.monotonic() - started
    name = mesh.push(cluster, tag, registry, f"bed/web:{stamp}")
    pushed_after = time.monotonic() - started
    swarm = SwarmScheduler(manager=cluster.hosts[0].base_url, grace=GRACE)
    app = f"app{stamp[:6]}"
    specs = [dataclasses.replace(web(app, num), image=name) for num in (1, 2, 3)]
    assert not any(_has(host, name) for host in cluster.hosts[1:]), "h2 and h3 have never seen it"

    for spec in specs:
        swarm.create(spec)
        swarm.start(spec.name)
    hosts = [wait_for(lambda s=spec: (st := swarm.state(s.name)).state is State.up and st.host, 60,
                      f"{spec.name} up") for spec in specs]

    print(f"\nregistry: deis-registry up on h1 at {registry} after {up_after:.1f} s, {name} pushed after "
          f"{pushed_after:.1f} s, 3 tasks of it running on {sorted(hosts)} after "
          f"{time.monotonic() - started:.1f} s")
    assert sorted(hosts) == ["h1", "h2", "h3"]
    assert all(_has(host, name) for host in cluster.hosts), "every node pulled it"
    for host in cluster.hosts:
        with contextlib.closing(host.docker()) as client:
            task, = client.containers.list(filters={"label": f"deis.app={app}"})
            assert task.exec_run(["cat", "/built"]).output.decode() == stamp


def _has(host, name: str) -> bool:
    with contextlib.closing(host.docker()) as client:
        try:
            client.images.get(name)
            return True
        except docker.errors.ImageNotFound:
            return False
