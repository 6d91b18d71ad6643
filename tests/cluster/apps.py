"""Apps on the bed, as the controller runs them: the harness of ``test_mesh`` and ``bench/cluster``.

App containers are started through the ``swarm`` backend and the
controller's own :class:`Deployer` (health probes from the overlay, routes
in the bed's etcd). Each one answers ``<v1 name> <node> <release>``, so a
request through a router says which container, on which node, answered.
:class:`LeaderLoop` does what the controller's reconcile leader does on a
cluster (``controller.reconciler``) without PostgreSQL: on every node or
service event, and each second, fence the unreachable, then the backend's
repairs. :func:`cut_off` measures a host's loss under load.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass

from controller.reconciler import FENCE_RETRY
from controller.scheduler import ContainerSpec, State
from controller.scheduler.swarm import SwarmScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import EtcdRoutes
from deis import keys
from deis.errors import DeisError
from tests.cluster import mesh
from tests.cluster.testbed import IMAGE, Host, Testbed, require_bed_route
from tests.load import Load
from tests.scheduler_contract import wait_for

#: Seconds an old container gets between SIGTERM and SIGKILL (httpd under init stops at once).
GRACE = 2
#: 50 requests/s through one router, each on a new connection.
THREADS, RATE = 2, 25
#: Serves "<v1 name> <node> <release>": which container, where, and of which release, answered.
WHO = 'echo "$CONTAINER $NODE $DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'


def web(app: str, num: int, release: int = 1, tags: dict | None = None) -> ContainerSpec:
    """The ``web.<num>`` container of ``app``'s release ``release``, answering with its name and node."""
    name = f"{app}_v{release}.web.{num}"
    return ContainerSpec(name=name, image=IMAGE, command=["sh", "-c", WHO],
                         environment={"PORT": "5000", "DEIS_RELEASE": f"v{release}", "CONTAINER": name,
                                      # Swarm fills in the template with the task's node.
                                      "NODE": "{{.Node.Hostname}}"},
                         port=5000, tags=tags or {},
                         labels={"deis.app": app, "deis.release": f"v{release}", "deis.type": "web",
                                 "deis.num": str(num)})


def new_app(bed: Testbed) -> str:
    """A fresh app id, known to the routers (its marker in etcd, as the controller writes it)."""
    app = f"app{uuid.uuid4().hex[:6]}"
    bed.hosts[0].etcd().put(keys.app_marker(app), app)
    return app


def deployer(bed: Testbed, swarm: SwarmScheduler) -> Deployer:
    """The controller's deployer on the swarm backend: probes from the overlay, routes in the bed's etcd."""
    return Deployer(swarm, HealthCheck(swarm, timeout=60), EtcdRoutes(bed.hosts[0].etcd()), grace=GRACE)


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


class LeaderLoop:
    """The reconcile leader's cluster duties in a thread: fence the unreachable, then repair.

    ``fenced`` collects ``(monotonic time, line)`` of every route it withdrew or released.
    """

    def __init__(self, swarm: SwarmScheduler, routes: EtcdRoutes):
        self.swarm, self.routes = swarm, routes
        self.fenced: list[tuple[float, str]] = []
        self._stop, self._wake = threading.Event(), threading.Event()

    def __enter__(self) -> LeaderLoop:
        threading.Thread(target=self.swarm.follow_losses, args=(lambda app: self._wake.set(), self._stop),
                         daemon=True).start()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            # As the reconciler: a failed step (etcd electing a leader after the cut) is tried at the next pass.
            try:
                for line in self.routes.fence(self.swarm.unreachable()):
                    self.fenced.append((time.monotonic(), line))
            except DeisError as exc:
                self.fenced.append((time.monotonic(), f"fence failed: {exc}"))
            with contextlib.suppress(DeisError):
                self.swarm.repair()
            self._wake.wait(FENCE_RETRY)
            self._wake.clear()


@dataclass
class CutOff:
    """What a host's loss under load looked like; times in seconds after the cut."""

    lost: str
    on_lost: list[str]
    down: float
    withdrawn: float
    last_failure: float
    moved: float
    routed: float
    results: list
    failed: list
    #: Requests started after the last failure (all answered 200).
    after: int
    #: The slowest answer to a request started between the cut and the withdrawal, and how many took over 1 s.
    slowest: float
    slow: int

    def line(self) -> str:
        """The figures in one sentence."""
        return (f"{self.lost} cut off under {THREADS * RATE} rps: marked down after {self.down:.1f} s, the route(s) "
                f"of {self.on_lost} withdrawn after {self.withdrawn:.1f} s, last failed request started "
                f"{self.last_failure:.1f} s after the cut ({len(self.failed)} of {len(self.results)} failed; the "
                f"slowest answer in the window took {self.slowest:.1f} s, {self.slow} took over 1 s), "
                f"then 100 % of {self.after}; "
                f"3 containers running elsewhere after {self.moved:.1f} s, all routed again after {self.routed:.1f} s")


def cut_off(bed: Testbed, swarm: SwarmScheduler, deploy: Deployer, router: mesh.RouterOnNode, app: str,
            specs: list[ContainerSpec], lost: Host, tail: float = 3.0) -> CutOff:
    """Partition ``lost`` under load through ``router`` (on another host) and measure until all is routed again.

    The host is healed before this returns.
    """
    on_lost = [spec.name for spec in specs if swarm.state(spec.name).host == lost.name]
    require_bed_route(router.host.ip)
    leader = bed.hosts[0].docker()

    def all_up_elsewhere() -> bool:
        return all((s := swarm.state(spec.name)).state is State.up and s.host != lost.name for spec in specs)

    try:
        with LeaderLoop(swarm, deploy.routes) as loop, \
                Load(router.url, f"{app}.{mesh.DOMAIN}", threads=THREADS, rate=RATE) as load:
            time.sleep(2)
            bed.partition(lost)
            cut = time.monotonic()
            wait_for(lambda: leader.api.inspect_node(lost.name)["Status"]["State"] == "down", 20, f"{lost.name} down")
            down = time.monotonic() - cut
            wait_for(all_up_elsewhere, 30, f"every container running off {lost.name}")
            moved = time.monotonic() - cut
            etcd = deploy.routes.etcd
            wait_for(lambda: len(etcd.get_prefix(keys.services(app))[0]) == len(specs), 30, "every route again")
            routed = time.monotonic() - cut
            time.sleep(tail)
    finally:
        bed.heal(lost)
        leader.close()
    failed = [result for result in load.results if result[1] != 200]
    last_failure = max((result[0] for result in failed), default=cut) - cut
    withdrawn = min((at for at, line in loop.fenced if "withdrawn" in line), default=float("nan")) - cut
    window = [result for result in load.results if 0 <= result[0] - cut <= withdrawn]
    after = [result for result in load.results if result[0] - cut > last_failure]
    return CutOff(lost.name, on_lost, down, withdrawn, last_failure, moved, routed, load.results, failed,
                  len(after), max((result[3] for result in window), default=0.0),
                  sum(1 for result in window if result[3] > 1.0))
