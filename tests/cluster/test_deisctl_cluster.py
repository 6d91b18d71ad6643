"""``deisctl`` in cluster mode on the bed: bootstrap 3 managers, the data plane as Swarm services.

An operator's path, through the real CLI (``deisctl --data-dir <tmp> …`` as a
subprocess) against the bed's three engines: the bed's own Swarm is left
first, so ``deisctl cluster bootstrap`` forms one from nothing (h1 inits, h2
and h3 join as managers), with h1 kept out of the router mesh by ``--roles``.
Then ``start publisher logspout router`` (the data plane; the control plane's
path is ``test_platform_on_the_cluster.py``) runs publisher and logspout on every node and a
router on h2 and h3, each answering HTTP on its node's address (checked with
``require_bed_route`` first). Afterwards the bed is given back as it builds
it: h1 the only manager, 1 s heartbeat. Times are printed (``-s``).
"""

from __future__ import annotations

import contextlib
import time

import pytest
import requests

from deis import keys
from tests.cluster import mesh
from tests.cluster.platform import deisctl, demote_all_but_h1, running_tasks
from tests.cluster.testbed import HEARTBEAT, IMAGE, require_bed_route

pytestmark = pytest.mark.multihost

COMPONENTS = ["publisher", "logspout", "router"]
ROUTER_HOSTS = {"h2", "h3"}


@pytest.fixture
def bare(cluster):
    """The bed's three engines out of any Swarm; afterwards the bed's own Swarm shape again."""
    tags = mesh.component_images(COMPONENTS)
    cluster.copy_images(tags)
    clients = [host.docker() for host in cluster.hosts]
    try:
        for client in reversed(clients):
            client.swarm.leave(force=True)
        yield cluster
        leader = clients[0]
        if leader.info()["Swarm"]["LocalNodeState"] != "active":
            cluster.up()  # the bootstrap failed: the bed builds its Swarm again
            return
        demote_all_but_h1(leader)  # raft may refuse for a while ("loss of quorum", seen here): it retries
        leader.swarm.reload()
        leader.swarm.update(dispatcher_heartbeat_period=int(HEARTBEAT * 1e9))
    finally:
        for client in clients:
            client.close()


def router_answers(ip: str) -> bool:
    """True when nginx on ``ip``:80 answers HTTP (a 404 for an unknown app is an answer)."""
    require_bed_route(ip)
    with contextlib.suppress(requests.RequestException):
        requests.get(f"http://{ip}/", headers={"Host": f"nothing.{mesh.DOMAIN}"}, timeout=1)
        return True
    return False


def test_bootstrap_start_status_stop_on_three_managers(bare, tmp_path):
    bed, data = bare, tmp_path / "deis"
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]

    # deisctl cluster bootstrap: from no Swarm to 3 managers with role labels
    started = time.monotonic()
    formed = deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane")
    bootstrapped = time.monotonic() - started
    assert "h1: initialised the Swarm" in formed.stdout
    assert "h2: joined as a manager" in formed.stdout and "h3: joined as a manager" in formed.stdout
    again = deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane")
    assert "nothing changed" in again.stdout, again.stdout
    assert "Mode: cluster" in deisctl(data, "--help").stdout

    # deisctl machines: 3 Ready managers with their labels
    lines = deisctl(data, "machines").stdout.splitlines()
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ["h1", "h2", "h3"], lines
    for name, line in rows.items():
        assert "manager" in line and "ready" in line and "active" in line, line
        assert ("routerMesh=true" in line) == (name in ROUTER_HOSTS), line
        assert "controlPlane=true" in line and "dataPlane=true" in line, line
    assert sum("leader" in line for line in rows.values()) == 1

    # deisctl start <the data plane>: publisher and logspout everywhere, routers on the routerMesh nodes
    bed.hosts[0].etcd().put(keys.platform("domain"), mesh.DOMAIN)
    started = time.monotonic()
    deisctl(data, "start", *COMPONENTS)
    start_command = time.monotonic() - started
    routers = [bed.host(name) for name in sorted(ROUTER_HOSTS)]
    while not all(router_answers(host.ip) for host in routers):
        assert time.monotonic() - started < 60, "routers did not answer within 60 s"
        time.sleep(0.2)
    serving = time.monotonic() - started
    assert not router_answers(bed.hosts[0].ip), "h1 is no routerMesh node, yet something answers on its :80"
    # Each router reached its own node's etcd member (DEIS_ETCD from the {{.Node.ID}} template) under
    # its node's hostname (HOST from {{.Node.Hostname}}): it records the revision it applied.
    etcd = bed.hosts[0].etcd()
    while not all(etcd.get(keys.router_host(name)) for name in ROUTER_HOSTS):
        assert time.monotonic() - started < 60, "the routers recorded no applied revision in etcd within 60 s"
        time.sleep(0.2)

    with contextlib.closing(bed.hosts[0].docker()) as manager:
        placed = {component: running_tasks(manager, f"deis-{component}") for component in COMPONENTS}
        assert sorted(placed["publisher"].values()) == ["h1", "h2", "h3"]
        assert sorted(placed["logspout"].values()) == ["h1", "h2", "h3"]
        assert set(placed["router"].values()) == ROUTER_HOSTS and len(placed["router"]) == 2

        status = deisctl(data, "status").stdout.splitlines()
        assert status[0].split() == ["COMPONENT", "MODE", "RUNNING", "NODES"]
        # in start order: the logging tier (logspout) before the data plane (publisher)
        assert status[1].split() == ["logspout", "global", "3/3", "h1,h2,h3"]
        assert status[2].split() == ["publisher", "global", "3/3", "h1,h2,h3"]
        assert status[3].split() == ["router", "global", "2/2", "h2,h3"]
        assert deisctl(data, "list").stdout == "\n".join(status) + "\n"

        # a second start changes nothing: the same tasks run
        second = deisctl(data, "start", *COMPONENTS)
        assert second.stdout.count("unchanged") == 3, second.stdout
        assert {c: running_tasks(manager, f"deis-{c}") for c in COMPONENTS} == placed

        refused = deisctl(data, "scale", "router=2", check=False)
        assert refused.returncode == 1
        assert "router runs on every routerMesh node; label a node to add one" in refused.stderr
        later = deisctl(data, "start", "store", check=False)
        assert later.returncode == 1 and "runs on the cluster only when its store is ceph" in later.stderr
        assert deisctl(data, "journal", "router", "-n", "5").stdout.strip(), "the router's journal is empty"

        # an app's service on the overlay outlives 'stop platform'
        app = manager.services.create(IMAGE, ["sleep", "600"], name="myapp_v1-web-1".replace("_", "-"),
                                      labels={"deis.app": "myapp"}, networks=["deis-apps"])
        started = time.monotonic()
        deisctl(data, "stop", "platform")
        stopped = time.monotonic() - started
        left = [service.name for service in manager.services.list()]
        assert left == [app.name], left
        assert "No platform service runs" in deisctl(data, "status").stdout
    print(f"\ndeisctl cluster: bootstrap (3 managers) {bootstrapped:.1f} s; start {start_command:.1f} s, "
          f"every router answering {serving:.1f} s after the start began; stop platform {stopped:.1f} s")
