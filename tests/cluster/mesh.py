"""The routing mesh on the bed: a publisher on every node, routers on some, as component containers.

What :func:`start` runs on the bed (the images ``deis/publisher`` and
``deis/router`` built on this machine's engine by ``deisctl images build``
and copied into every host's engine)::

    h1  deis-publisher                       (Swarm manager)
    h2  deis-publisher   deis-router :8080   <- requests from the root namespace
    h3  deis-publisher   deis-router :8080

* Both run as plain containers of their node's engine (``docker run``, not
  Swarm services: the next cluster issue schedules the platform itself),
  attached to the app overlay ``deis-apps``. A process in a node's network
  namespace cannot reach addresses on an overlay (they exist only inside the
  containers' own namespaces), so a publisher probing its node's app
  containers, and a router proxying to any node's, must sit on the overlay.
* The publisher gets its node's Docker socket (it announces that engine's
  containers) and its node's etcd member (``http://<node IP>:2379``, reached
  through the node's ``docker_gwbridge``).
* A router publishes its HTTP port on its node (``-p 8080:80``: iptables DNAT
  in the node's namespace, not docker-proxy) and reads the same etcd member.

Reset (:meth:`tests.cluster.testbed.Testbed.reset`) removes these containers
with everything else, so a test starts the mesh it needs.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

import docker
import requests

from controller.scheduler.swarm import SwarmScheduler
from deis import isolation, keys
from deisctl import images
from tests.cluster.testbed import BedError, Host, Testbed, require_bed_route

COMPONENTS = ("publisher", "router")
#: The router's HTTP port on its node (nginx listens on 80 inside its container).
HTTP_PORT = 8080
#: Where routers run unless a test says otherwise: not on h1, the manager the controller drives.
ROUTER_HOSTS = ("h2", "h3")
#: The platform domain the mesh's routers serve apps under (``<app>.<DOMAIN>``).
DOMAIN = "bed.deis.test"
LABEL = "deis.bed.component"
#: The registry's port on h1's address.
REGISTRY_PORT = 5000


@dataclass(frozen=True)
class RouterOnNode:
    """A router container and the address it answers at (its node's IP)."""

    host: Host
    port: int = HTTP_PORT

    @property
    def url(self) -> str:
        """``http://<node IP>:<port>/``; check the route first (:func:`tests.cluster.testbed.require_bed_route`)."""
        return f"http://{self.host.ip}:{self.port}/"

    def get(self, hostname: str, timeout: float = 3) -> requests.Response:
        """GET ``/`` with ``Host: hostname`` from the root namespace, once the route is known to stay local."""
        require_bed_route(self.host.ip)
        return requests.get(self.url, headers={"Host": hostname}, timeout=timeout)


def component_images(components: Iterable[str] = COMPONENTS, report=lambda line: None) -> list[str]:
    """Build (or find up to date) component images on this machine's engine; return their tags."""
    return [built.tag for built in images.Images(report=report).build(components)[1:]]


def start(bed: Testbed, routers: Iterable[str] = ROUTER_HOSTS, timeout: float = 30) -> list[RouterOnNode]:
    """Run a publisher on every host and a router on each of ``routers``; return the routers once they answer."""
    tags = component_images()
    bed.copy_images(tags)
    publisher_tag, router_tag = tags
    SwarmScheduler(manager=bed.hosts[0].base_url).ensure_network()
    bed.hosts[0].etcd().put(keys.platform("domain"), DOMAIN)
    for host in bed.hosts:
        _run(host, publisher_tag, "publisher",
             volumes={str(host.state / "docker.sock"): {"bind": "/var/run/docker.sock", "mode": "rw"}})
    found = [RouterOnNode(bed.host(name)) for name in routers]
    for router in found:
        _run(router.host, router_tag, "router", ports={"80/tcp": router.port}, environment={"HOST": router.host.name})
    for router in found:
        _wait_until_serving(router, timeout)
    return found


def _run(host: Host, image: str, component: str, environment: dict | None = None, **options) -> None:
    with contextlib.closing(host.docker()) as client:
        client.containers.run(
            image, detach=True, name=f"deis-{component}", network=isolation.NETWORK,
            environment={"DEIS_ETCD": host.etcd_endpoint, **(environment or {})},
            labels={LABEL: component}, restart_policy={"Name": "always"}, **options)


def _wait_until_serving(router: RouterOnNode, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            router.get(f"nothing.{DOMAIN}", timeout=1)
            return  # nginx answers (a 404 for an unknown app): the router has configured it
        if time.monotonic() > deadline:
            with contextlib.closing(router.host.docker()) as client:
                logs = client.containers.get("deis-router").logs(tail=15).decode(errors="replace")
            raise BedError(f"the router on {router.host.name} did not answer at {router.url} within {timeout} s; "
                           f"its last lines:\n{logs}")
        time.sleep(0.2)


def logs(host: Host, component: str, lines: int = 30) -> str:
    """Return the last ``lines`` of ``deis-<component>``'s output on ``host`` (for a failing test's message)."""
    with contextlib.closing(host.docker()) as client, contextlib.suppress(docker.errors.NotFound):
        return client.containers.get(f"deis-{component}").logs(tail=lines).decode(errors="replace")
    return "(no such container)"


def start_registry(bed: Testbed, timeout: float = 30) -> str:
    """Run ``deis-registry`` on h1, reachable cluster-wide; return its address, ``10.213.77.11:5000``.

    The component image on h1's host network (its address, not an overlay's:
    engines pull from it), with Redis, its blob-descriptor cache, beside it
    as a process in h1's namespace on h1's own loopback. Blobs stay on h1's
    disk. Every engine of the bed trusts plain HTTP registries on the bed's
    network (``--insecure-registry``), so a push from h1 is pulled by h2 and h3.
    """
    h1 = bed.hosts[0]
    tag, = component_images(["registry"])
    bed.copy_images([tag], hosts=[h1])
    (h1.state / "redis").mkdir(exist_ok=True)
    with (h1.state / "redis.log").open("ab") as log:
        # A second one finds the port taken and exits; down kills every process of the namespace.
        subprocess.run(["setsid", "--fork", "nsenter", f"--net=/run/netns/{h1.netns}", "redis-server", "--bind",
                        "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no",
                        "--dir", str(h1.state / "redis")],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True, timeout=10)
    address = f"{h1.ip}:{REGISTRY_PORT}"
    with contextlib.closing(h1.docker()) as client:
        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get("deis-registry").remove(force=True)
        client.containers.run(tag, detach=True, name="deis-registry", network_mode="host",
                              environment={"DEIS_ETCD": h1.etcd_endpoint, "DEIS_REGISTRY_BIND": h1.ip,
                                           "DEIS_REGISTRY_HOST": h1.ip, "DEIS_REGISTRY_PORT": str(REGISTRY_PORT)},
                              labels={LABEL: "registry"}, restart_policy={"Name": "always"})
    deadline = time.monotonic() + timeout
    while True:
        require_bed_route(h1.ip)
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://{address}/v2/", timeout=1).status_code == 200:
                return address
        if time.monotonic() > deadline:
            raise BedError(f"the registry on h1 did not answer at http://{address}/v2/ within {timeout} s; its "
                           f"last lines:\n{logs(h1, 'registry')}")
        time.sleep(0.2)


def push(bed: Testbed, tag: str, registry: str, repository: str) -> str:
    """Copy ``tag`` from this machine's engine into h1 and push it to ``registry``; return the name nodes pull."""
    h1 = bed.hosts[0]
    bed.copy_images([tag], hosts=[h1])
    name = f"{registry}/{repository}"
    with contextlib.closing(h1.docker(timeout=120)) as client:
        client.images.get(tag).tag(name)
        for line in client.api.push(name, stream=True, decode=True):
            if "error" in line:
                raise BedError(f"pushing {name} from h1 failed: {line['error']}")
    return name
