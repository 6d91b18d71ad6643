"""Publishers on every node and routers on two, as component containers on the bed (:mod:`tests.cluster.mesh`).

App containers are started by the ``swarm`` backend, as in
``test_swarm_scheduler``; requests come from the root namespace to a
router's node address only (each one checked by ``require_bed_route``).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from controller.scheduler import ContainerSpec, State
from controller.scheduler.swarm import SwarmScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import EtcdRoutes
from deis import keys
from tests.cluster import mesh
from tests.cluster.testbed import IMAGE, require_bed_route
from tests.load import Load
from tests.scheduler_contract import wait_for

pytestmark = pytest.mark.multihost

GRACE = 2
#: 50 requests/s through one router, each on a new connection.
THREADS, RATE = 2, 25
#: Serves "<v1 name> <node> <release>": which container, where, and of which release, answered.
WHO = ('echo "$CONTAINER $NODE $DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp')


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


def web(app: str, num: int, release: int = 1) -> ContainerSpec:
    """The ``web.<num>`` container of ``app``'s release ``release``, answering with its name and node."""
    name = f"{app}_v{release}.web.{num}"
    return ContainerSpec(name=name, image=IMAGE, command=["sh", "-c", WHO],
                         environment={"PORT": "5000", "DEIS_RELEASE": f"v{release}", "CONTAINER": name,
                                      # Swarm fills in the template with the task's node.
                                      "NODE": "{{.Node.Hostname}}"},
                         port=5000, labels={"deis.app": app, "deis.release": f"v{release}", "deis.type": "web",
                                            "deis.num": str(num)})


def up(swarm: SwarmScheduler, spec: ContainerSpec) -> str:
    """Create and start ``spec``; wait until it runs; return its node."""
    swarm.create(spec)
    swarm.start(spec.name)
    return wait_for(lambda: (s := swarm.state(spec.name)).state is State.up and s, 30, f"{spec.name} up").host


def new_app(cluster) -> str:
    """A fresh app id, known to the routers (its marker in etcd, as the controller writes it)."""
    app = f"app{uuid.uuid4().hex[:6]}"
    cluster.hosts[0].etcd().put(keys.app_marker(app), app)
    return app


def answering(router: mesh.RouterOnNode, hostname: str, want: set[str], timeout: float = 30) -> set[str]:
    """Ask ``router`` until every body in ``want`` was seen (or ``timeout``); return the bodies seen."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not want <= seen and time.monotonic() < deadline:
        reply = router.get(hostname)
        if reply.status_code == 200:
            seen.add(reply.text.strip())
        else:
            time.sleep(0.1)
    return seen


def test_every_router_answers_from_all_three_containers_on_three_nodes(cluster, swarm, routers):
    app = new_app(cluster)
    specs = [web(app, num) for num in (1, 2, 3)]
    started = time.monotonic()

    nodes = {spec.name: up(swarm, spec) for spec in specs}
    want = {f"{spec.name} {nodes[spec.name]} v1" for spec in specs}
    seen = {router.host.name: answering(router, f"{app}.{mesh.DOMAIN}", want) for router in routers}

    print(f"\nmesh: 3 containers on {sorted(nodes.values())}, routed by {sorted(seen)} in "
          f"{time.monotonic() - started:.1f} s")
    assert sorted(nodes.values()) == ["h1", "h2", "h3"]
    routes = cluster.hosts[0].etcd().get_prefix(keys.services(app))[0]
    assert sorted(routes) == sorted(keys.service(app, spec.name) for spec in specs), routes
    for name, bodies in seen.items():
        assert bodies == want, f"router on {name}: {bodies}\n{mesh.logs(cluster.host(name), 'router')}"


def deployer(cluster, swarm: SwarmScheduler) -> Deployer:
    """The controller's deployer on the swarm backend: probes from the overlay, routes in the bed's etcd."""
    return Deployer(swarm, HealthCheck(swarm, timeout=60), EtcdRoutes(cluster.hosts[0].etcd()), grace=GRACE)


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


def leader_loop(swarm: SwarmScheduler, routes: EtcdRoutes, stop: threading.Event, fenced: list) -> None:
    """What the controller's reconcile leader does on a cluster: on each node or service event
    (and every second), fence the unreachable, then the backend's repairs (``controller.reconciler``)."""
    wake = threading.Event()
    threading.Thread(target=swarm.follow_losses, args=(lambda app: wake.set(), stop), daemon=True).start()
    while not stop.is_set():
        for line in routes.fence(swarm.unreachable()):
            fenced.append((time.monotonic(), line))
        swarm.repair()
        wake.wait(1.0)
        wake.clear()


def test_a_host_cut_off_under_load_loses_requests_only_until_its_routes_are_withdrawn(cluster, swarm, routers):
    app = new_app(cluster)
    hostname = f"{app}.{mesh.DOMAIN}"
    deploy = deployer(cluster, swarm)
    specs = [web(app, num) for num in (1, 2, 3)]
    deploy.start(app, specs)
    router = next(r for r in routers if r.host.name == "h3")
    lost = cluster.host("h2")  # its router goes with it; the load goes through h3's
    on_lost = [spec.name for spec in specs if swarm.state(spec.name).host == lost.name]
    require_bed_route(router.host.ip)
    stop, fenced = threading.Event(), []
    loop = threading.Thread(target=leader_loop, args=(swarm, deploy.routes, stop, fenced), daemon=True)
    loop.start()
    leader = cluster.hosts[0].docker()

    def three_up_elsewhere() -> bool:
        states = [swarm.state(spec.name) for spec in specs]
        return all(s.state is State.up and s.host != lost.name for s in states)

    try:
        with Load(router.url, hostname, threads=THREADS, rate=RATE) as load:
            time.sleep(2)
            cluster.partition(lost)
            cut = time.monotonic()
            wait_for(lambda: leader.api.inspect_node(lost.name)["Status"]["State"] == "down", 20, "h2 down")
            down = time.monotonic() - cut
            wait_for(three_up_elsewhere, 30, "3 containers running off h2")
            moved = time.monotonic() - cut
            routes = deploy.routes.etcd
            wait_for(lambda: len(routes.get_prefix(keys.services(app))[0]) == 3, 30, "3 routes again")
            routed = time.monotonic() - cut
            time.sleep(3)
    finally:
        cluster.heal(lost)
        stop.set()
        loop.join(10)

    failed = [result for result in load.results if result[1] != 200]
    last_failure = max((result[0] for result in failed), default=cut) - cut
    withdrawn = min((at for at, line in fenced if "withdrawn" in line), default=float("nan")) - cut
    after = [result for result in load.results if result[0] - cut > last_failure]
    window = [result for result in load.results if 0 <= result[0] - cut <= withdrawn]
    slowest = max((result[3] for result in window), default=0.0)
    print(f"\nmesh: h2 cut off under {THREADS * RATE} rps through h3's router: marked down after {down:.1f} s, "
          f"its route(s) {on_lost} withdrawn after {withdrawn:.1f} s, last failed request started "
          f"{last_failure:.1f} s after the cut ({len(failed)} of {len(load.results)} failed; the slowest answer "
          f"in the window took {slowest:.1f} s), then 100 % of "
          f"{len(after)}; 3 containers running off h2 after {moved:.1f} s, all 3 routed after {routed:.1f} s")
    assert on_lost, "one of the three ran on h2"
    assert last_failure <= withdrawn + 1.0, f"failures after the withdrawal: {failed[-3:]}"
    assert withdrawn < 10, "withdrawn seconds after the node is marked down, not after the 20 s lease"
    assert len(after) > 100 and all(result[1] == 200 for result in after)
