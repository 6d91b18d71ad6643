"""The order of a deploy against real etcd: announce, withdraw, wait for routers, then stop.

The scheduler is the in-memory fake; a thread plays publisher (announces
running containers that are not draining) and a router that applies etcd
revisions late. At the moment an old container is stopped, its route must be
gone, its draining marker present and every router past the withdrawal.
"""

from __future__ import annotations

import threading
import time

import pytest

from controller.scheduler import ContainerSpec, State
from controller.scheduler.fake import FakeScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import EtcdRoutes
from deis import keys

APP = "routed"
ROUTER = keys.router_host("10.0.0.1")
ROUTER_LAG = 0.4


def spec(version: int, num: int = 1) -> ContainerSpec:
    """A routable container of release ``version``."""
    name = f"{APP}_v{version}.web.{num}"
    return ContainerSpec(name=name, image="img", port=5000, labels={"deis.app": APP})


class World(threading.Thread):
    """A publisher and a slow router over a fake scheduler."""

    def __init__(self, etcd, scheduler):
        super().__init__(daemon=True)
        self.etcd, self.scheduler, self.stop = etcd, scheduler, threading.Event()

    def run(self):
        while not self.stop.wait(0.05):
            for name, container in list(self.scheduler.containers_by_name.items()):
                draining = self.etcd.get(keys.draining(APP, name)) is not None
                if container.state is State.up and not draining and self.etcd.get(keys.service(APP, name)) is None:
                    self.etcd.put(keys.service(APP, name), "10.1.1.1:5000")
            revision = self.etcd.revision()
            time.sleep(ROUTER_LAG)
            self.etcd.put(ROUTER, str(revision))


class Observed(FakeScheduler):
    """Records, at each stop, what etcd said about the container."""

    def __init__(self, etcd):
        super().__init__()
        self.etcd, self.at_stop = etcd, {}

    def stop(self, name, timeout):
        routers, _ = self.etcd.get_prefix(keys.router_host(""))
        self.at_stop[name] = {
            "routed": self.etcd.get(keys.service(APP, name)) is not None,
            "draining": self.etcd.get(keys.draining(APP, name)) == "1",
            "router revision": int(routers[ROUTER]),
        }
        super().stop(name, timeout)


def deletion_revision(etcd, key: str) -> int:
    """Return the revision at which ``key`` was deleted, from etcd's history."""
    stop = threading.Event()
    events = etcd.watch_prefix(key, start_revision=1, stop=stop)
    try:
        return next(event.revision for event in events if event.type == "delete")
    finally:
        stop.set()
        events.close()


@pytest.fixture
def world(etcd):
    scheduler = Observed(etcd)
    etcd.put(ROUTER, "0")
    world = World(etcd, scheduler)
    world.start()
    yield scheduler
    world.stop.set()
    world.join()


def test_old_containers_stop_only_after_every_router_dropped_them(etcd, world):
    deployer = Deployer(world, HealthCheck(world, probe=lambda spec, check: (True, "")),
                        EtcdRoutes(etcd, router_timeout=5, announce_timeout=5), grace=0)
    deployer.start(APP, [spec(1)])
    assert etcd.get(keys.service(APP, spec(1).name)) is not None

    deployer.replace(APP, [spec(2)], [spec(1).name])

    seen = world.at_stop[spec(1).name]
    assert seen["routed"] is False and seen["draining"] is True
    # The router had applied the withdrawal's revision before the stop.
    assert seen["router revision"] >= deletion_revision(etcd, keys.service(APP, spec(1).name))
    assert etcd.get(keys.service(APP, spec(2).name)) is not None
    assert etcd.get(keys.draining(APP, spec(1).name)) is None
    assert world.state(spec(1).name).state is State.destroyed


def test_a_new_container_nobody_announces_aborts_the_deploy(etcd):
    scheduler = FakeScheduler()
    etcd.put(ROUTER, "0")
    deployer = Deployer(scheduler, HealthCheck(scheduler, probe=lambda spec, check: (True, "")),
                        EtcdRoutes(etcd, router_timeout=1, announce_timeout=0.3), grace=0)
    with pytest.raises(Exception, match="publisher did not announce"):
        deployer.start(APP, [spec(1)])
    assert scheduler.containers(APP) == []
