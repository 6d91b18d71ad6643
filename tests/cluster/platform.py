"""The platform on the bed as Swarm services, started by the real ``deisctl``: what its tests share.

A harness module, not a test module (``tests/unit/test_bench_imports.py``):
the bed fixture :func:`bare` (over :func:`bare_bed`, which a bench uses), the
``deisctl`` runner, a person whose HTTP goes through one router, and the
probes of the API and of an app through a router. Only bed addresses are
contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
import requests

from tests.cluster import mesh
from tests.cluster.testbed import ETCD_ENVIRON, HEARTBEAT, IMAGE, STATE, require_bed_route
from tests.person import Person

DEISCTL = str(Path(sys.executable).with_name("deisctl"))
COMPONENTS = ["logger", "logspout", "database", "registry", "controller", "builder", "publisher", "router"]
ROUTER_HOSTS = {"h2", "h3"}
API = f"deis.{mesh.DOMAIN}"
FILES = {
    "Dockerfile": f"FROM {IMAGE}\nCMD [\"httpd\", \"-f\", \"-p\", \"5000\"]\n",
    "Procfile": 'web: echo "$DEIS_RELEASE $HOSTNAME" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp\n',
}


def deisctl(data_dir: Path, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run the real ``deisctl`` on ``data_dir``; fail with its output unless it exits as ``check`` says.

    It is given the bed's etcd root password (``ETCD_ENVIRON``): the first
    ``start`` turns etcd's authentication on with it, and the bed's own
    clients and reset use the same one.
    """
    result = subprocess.run([DEISCTL, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL, check=False,
                            env={**os.environ, **ETCD_ENVIRON})
    if check and result.returncode != 0:
        pytest.fail(f"deisctl {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def running_tasks(client, service: str) -> dict[str, str]:
    """Task ID → node hostname of a service's running tasks."""
    hostnames = {node.id: node.attrs["Description"]["Hostname"] for node in client.nodes.list()}
    return {task["ID"]: hostnames[task["NodeID"]] for task in client.api.tasks(filters={"service": service})
            if task["Status"]["State"] == "running" and task["DesiredState"] == "running"}


class Someone(Person):
    """A person whose HTTP goes through one router: the router picks the vhost from the URL's name."""

    def __init__(self, name, home, router_ip: str):
        super().__init__(name, home)
        require_bed_route(router_ip)
        self.proxy = f"http://{router_ip}:80"

    @property
    def environ(self) -> dict[str, str]:
        return {**super().environ, "HTTP_PROXY": self.proxy, "http_proxy": self.proxy}


def fresh_store() -> Path:
    """An empty ``file://`` store folder for a platform started on the bare bed; the last one's is deleted.

    Every database task Swarm starts restores from the store. A store kept
    from earlier tests made a later test's database replay their WAL too
    (CI: minutes of it late in the run, and ``start platform`` timed out with
    a controller waiting for it).
    """
    store = STATE / "store"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(mode=0o755)
    return store


@contextlib.contextmanager
def bare_bed(cluster):
    """The bed's engines out of any Swarm, holding every component image; afterwards the bed's own Swarm again.

    A bench uses it as is, the platform tests through the fixture :func:`bare`.
    When the body raises, the bed is left as it is: the caller takes it down.
    """
    cluster.copy_images(mesh.component_images(COMPONENTS))
    clients = [host.docker() for host in cluster.hosts]
    try:
        for client in reversed(clients):
            client.swarm.leave(force=True)
        yield cluster
        try:
            _back_to_the_beds_swarm(cluster, clients)
        except (docker.errors.DockerException, requests.RequestException):
            # A test that cut a manager off may leave raft without a leader for a while: build the bed again.
            cluster.down()
            cluster.up()
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def bare(cluster):
    """The bed's engines out of any Swarm, holding every component image; afterwards the bed's own Swarm again."""
    with bare_bed(cluster) as bed:
        yield bed


def _back_to_the_beds_swarm(cluster, clients) -> None:
    leader = clients[0]
    if leader.info()["Swarm"]["LocalNodeState"] != "active":
        cluster.up()
        return
    for service in leader.services.list():
        service.remove()
    wait_until_no_containers(clients)
    demote_all_but_h1(leader)
    leader.swarm.reload()
    leader.swarm.update(dispatcher_heartbeat_period=int(HEARTBEAT * 1e9))


def demote_all_but_h1(leader, timeout: float = 90) -> None:
    """Make every manager but h1 a worker again, as the bed's own Swarm has it.

    After a test healed a cut-off manager, raft refuses to demote anyone until
    that manager has caught up ("this would result in a loss of quorum"): try
    again until it has.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            for node in leader.nodes.list():
                if node.attrs["Description"]["Hostname"] != "h1" and node.attrs["Spec"].get("Role") == "manager":
                    node.update({**node.attrs["Spec"], "Role": "worker"})
            return
        except docker.errors.APIError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def wait_until_no_containers(clients, timeout: float = 30) -> None:
    """Wait until the removed services' containers are gone, so no container starts while the bed goes down.

    (A task Swarm restarted just before its service was removed once left a
    containerd-shim behind the bed's down.)
    """
    deadline = time.monotonic() + timeout
    # The low-level list: the high-level one inspects each container, and one removed meanwhile raised NotFound.
    while any(client.api.containers(all=True) for client in clients) and time.monotonic() < deadline:
        time.sleep(0.5)


def api_answers(ip: str) -> bool:
    """True when the controller answers ``/v1/`` through the router at ``ip`` (any status below 500)."""
    require_bed_route(ip)
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"http://{ip}/v1/", headers={"Host": API}, timeout=2).status_code < 500
    return False


def app_bodies(ip: str, app: str, want: int, timeout: float = 60) -> set[str]:
    """The distinct bodies the router at ``ip`` answers for ``app``, asking until ``want`` are seen."""
    require_bed_route(ip)
    seen, deadline = set(), time.monotonic() + timeout
    while len(seen) < want and time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            answer = requests.get(f"http://{ip}/", headers={"Host": f"{app}.{mesh.DOMAIN}"}, timeout=2)
            if answer.status_code == 200:
                seen.add(answer.text.strip())
        time.sleep(0.1)
    return seen


def app_containers(hosts, app: str) -> list[tuple[str, str]]:
    """``(node, image)`` of each of ``app``'s running containers on ``hosts``' engines (image without digest)."""
    found = []
    for host in hosts:
        with contextlib.closing(host.docker()) as client:
            found += [(host.name, container.attrs["Config"]["Image"].partition("@")[0])
                      for container in client.containers.list(filters={"label": f"deis.app={app}"})]
    return sorted(found)


def app_nodes(bed, app: str) -> list[str]:
    """The node of each of ``app``'s running containers, from every engine."""
    return [node for node, _ in app_containers(bed.hosts, app)]


def journals(data) -> str:
    """The last lines of the control plane's journals (for a failing test's message)."""
    return "\n".join(f"--- {c}\n" + deisctl(data, "journal", c, "-n", "25", check=False).stdout
                     for c in ("controller", "builder", "registry", "database", "logger"))
