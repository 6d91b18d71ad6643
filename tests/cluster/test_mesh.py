"""Publishers on every node and routers on two, as component containers on the bed (:mod:`tests.cluster.mesh`).

App containers are started by the ``swarm`` backend through the controller's
deployer (:mod:`tests.cluster.apps`); requests come from the root namespace
to a router's node address only (each one checked by ``require_bed_route``).
Each test prints what it measures (``-s`` shows it).
"""

from __future__ import annotations

import time

import pytest

from controller.scheduler import State
from controller.scheduler.swarm import SwarmScheduler
from deis import keys
from tests.cluster import mesh
from tests.cluster.apps import GRACE, RATE, THREADS, answering, cut_off, deployer, new_app, web
from tests.cluster.testbed import require_bed_route
from tests.load import Load
from tests.scheduler_contract import wait_for

pytestmark = pytest.mark.multihost


@pytest.fixture
def swarm(cluster):
    """The swarm backend driving the bed's manager (h1)."""
    return SwarmScheduler(manager=cluster.hosts[0].base_url, grace=GRACE)


@pytest.fixture
def routers(cluster):
    """Publishers on h1-h3 and routers on h2 and h3."""
    started = time.monotonic()
    found = mesh.start(cluster)
    print(f"\nmesh: publishers on 3 nodes, routers on {[r.host.name for r in found]} in "
          f"{time.monotonic() - started:.1f} s")
    return found


def up(swarm: SwarmScheduler, name: str) -> str:
    """Wait until ``name`` runs; return its node."""
    return wait_for(lambda: (s := swarm.state(name)).state is State.up and s, 30, f"{name} up").host


def test_every_router_answers_from_all_three_containers_on_three_nodes(cluster, swarm, routers):
    app = new_app(cluster)
    specs = [web(app, num) for num in (1, 2, 3)]
    started = time.monotonic()

    for spec in specs:
        swarm.create(spec)
        swarm.start(spec.name)
    nodes = {spec.name: up(swarm, spec.name) for spec in specs}
    want = {f"{spec.name} {nodes[spec.name]} v1" for spec in specs}
    seen = {router.host.name: answering(router, f"{app}.{mesh.DOMAIN}", want) for router in routers}

    print(f"\nmesh: 3 containers on {sorted(nodes.values())}, routed by {sorted(seen)} in "
          f"{time.monotonic() - started:.1f} s")
    assert sorted(nodes.values()) == ["h1", "h2", "h3"]
    routes = cluster.hosts[0].etcd().get_prefix(keys.services(app))[0]
    assert sorted(routes) == sorted(keys.service(app, spec.name) for spec in specs), routes
    for name, bodies in seen.items():
        assert bodies == want, f"router on {name}: {bodies}\n{mesh.logs(cluster.host(name), 'router')}"


def test_a_redeploy_of_three_containers_under_load_through_a_router_on_another_node_fails_no_request(
        cluster, swarm, routers):
    app = new_app(cluster)
    hostname = f"{app}.{mesh.DOMAIN}"
    deploy = deployer(cluster, swarm)
    v1 = [web(app, num) for num in (1, 2, 3)]
    deploy.start(app, v1)
    router = routers[-1]  # on h3; the controller drives h1
    assert router.get(hostname).status_code == 200, "start() returns once every router applied the routes"
    require_bed_route(router.host.ip)
    v2 = [web(app, num, release=2) for num in (1, 2, 3)]

    with Load(router.url, hostname, threads=THREADS, rate=RATE) as load:
        time.sleep(1)
        began = time.monotonic()
        deploy.replace(app, v2, [spec.name for spec in v1])
        took = time.monotonic() - began
        time.sleep(1)

    bodies = {result[2].split()[-1] for result in load.results if result[1] == 200}
    after = [result[2].split()[-1] for result in load.results if result[0] > began + took]
    print(f"\nmesh: v1 -> v2 of 3 containers on 3 nodes in {took:.1f} s under {THREADS * RATE} rps "
          f"through the router on {router.host.name}: {len(load.results)} requests, "
          f"{len(load.failures())} failed")
    assert load.failures() == [], load.failures()[:5]
    assert bodies == {"v1", "v2"} and set(after) == {"v2"}
    assert swarm.containers(app) == sorted(spec.name for spec in v2)


def test_a_host_cut_off_under_load_loses_requests_only_until_its_routes_are_withdrawn(cluster, swarm, routers):
    app = new_app(cluster)
    deploy = deployer(cluster, swarm)
    specs = [web(app, num) for num in (1, 2, 3)]
    deploy.start(app, specs)
    router = next(r for r in routers if r.host.name == "h3")

    # h2's router goes with it; the load goes through h3's.
    result = cut_off(cluster, swarm, deploy, router, app, specs, cluster.host("h2"))

    print(f"\nmesh: {result.line()}")
    assert result.on_lost, "one of the three ran on h2"
    assert result.last_failure <= result.withdrawn + 1.0, f"failures after the withdrawal: {result.failed[-3:]}"
    assert result.withdrawn < 10, "withdrawn seconds after the node is marked down, not after the 20 s lease"
    assert result.after > 100
