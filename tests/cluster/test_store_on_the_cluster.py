"""The store's Ceph on 3 hosts as Swarm services, started by ``deisctl``, losing an OSD and a monitor.

From no Swarm, the real ``deisctl`` bootstraps the bed's 3 hosts with
``--store ceph`` and ``start store`` runs the store tier from the store image
(:mod:`deisctl.swarm.store_specs`): a monitor, an OSD and an S3 gateway on
every host, two managers. Then, as ``ceph -s`` in a monitor's task says:
3 monitors in quorum, 3 OSDs up and in, every pool of size 3 / min_size 2.
An object put through h1's gateway is read through h2's, and the logger's
task writes through its own node's gateway with the URL the control plane
gets (``s3://deis?endpoint=http://deis-node-<node ID>:7480``). While a loop
writes through one gateway and reads through another: h2's OSD container is
SIGKILLed, then stopped cleanly, h2's monitor is SIGKILLed (Swarm starts each
again), then h3 is drained, so its monitor, OSD and gateway stay down together:
every operation succeeds; the longest put+get of each phase is printed.

Why a drain and not a placement constraint for "one node's daemon down": a
constraint changes the global service's spec, and Swarm (20.10) then also
restarts the other nodes' tasks in a rolling update — a first version of this
test stopped h3's OSD that way and h1's OSD restarted at the same moment:
two of three copies down, writes stalled 7–8 s until h1's came back.

Only bed addresses are contacted, each after ``require_bed_route``. Times are printed (``-s``).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid

import docker
import pytest

from deis import keys
from store.s3 import S3Store
from tests.cluster import mesh
from tests.cluster.platform import deisctl, demote_all_but_h1, wait_until_no_containers
from tests.cluster.testbed import HEARTBEAT, require_bed_route

pytestmark = [pytest.mark.multihost, pytest.mark.timeout(900)]  # setup + call + teardown near 300 s here, slower in CI

CONF = "/var/lib/deis/ceph/ceph.conf"
VOLUMES = ("deis-store-mon", "deis-store-osd")
GATEWAY_PORT = 7480


@pytest.fixture
def bare(cluster):
    """The bed's engines out of any Swarm, with the store image and no store volumes; afterwards the bed's Swarm."""
    cluster.copy_images(mesh.component_images(["store", "logger"]))
    clients = [host.docker() for host in cluster.hosts]
    try:
        for client in reversed(clients):
            client.swarm.leave(force=True)
        _remove_volumes(clients)
        yield cluster
        leader = clients[0]
        if leader.info()["Swarm"]["LocalNodeState"] != "active":
            cluster.up()
            return
        for service in leader.services.list():
            service.remove()
        wait_until_no_containers(clients, timeout=60)
        _remove_volumes(clients)
        demote_all_but_h1(leader)
        leader.swarm.reload()
        leader.swarm.update(dispatcher_heartbeat_period=int(HEARTBEAT * 1e9))
    finally:
        for client in clients:
            client.close()


def _remove_volumes(clients) -> None:
    """Remove the store's node-local volumes: a monitor made by an earlier run would hold another cluster."""
    for client in clients:
        for name in VOLUMES:
            with contextlib.suppress(docker.errors.NotFound):
                client.volumes.get(name).remove(force=True)


# -- looking at Ceph --------------------------------------------------------------------------


def task_container(host, service: str):
    """The running container of ``service``'s task on ``host``."""
    with contextlib.closing(host.docker()) as client:
        found = client.containers.list(filters={"label": f"com.docker.swarm.service.name={service}"})
        assert found, f"no running {service} container on {host.name}"
        return found[0]


def ceph(host, *args: str) -> dict:
    """``ceph <args> -f json`` as the admin, inside ``host``'s monitor task."""
    container = task_container(host, "deis-store-mon")
    code, (out, err) = container.exec_run(["timeout", "40", "ceph", "--connect-timeout", "20", "-c", CONF, *args,
                                           "-f", "json"], demux=True)
    assert code == 0, f"ceph {' '.join(args)} on {host.name} exited {code}: {(err or b'').decode()[-800:]}"
    return json.loads(out)


def wait_for(predicate, timeout: float, what: str) -> float:
    """Wait until ``predicate()`` is true; return the seconds it took."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(AssertionError, ValueError, docker.errors.APIError):
            if predicate():
                return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout:.0f} s"
        time.sleep(1)


def osds_up(host, count: int) -> bool:
    osdmap = ceph(host, "osd", "stat")
    return osdmap["num_up_osds"] == count and osdmap["num_in_osds"] == 3


def quorum(host) -> list[str]:
    return ceph(host, "quorum_status")["quorum_names"]


# -- S3 traffic ----------------------------------------------------------------------------------


def gateway(bed, host_name: str) -> S3Store:
    """The platform bucket through ``host_name``'s gateway, with the keys the gateways announced in etcd."""
    host = bed.host(host_name)
    require_bed_route(host.ip)
    etcd = bed.hosts[0].etcd()
    access, secret = etcd.get(keys.store_gateway("accessKey")), etcd.get(keys.store_gateway("secretKey"))
    assert access and secret, "the gateways announced no S3 keys in etcd"
    return S3Store("deis", f"http://{host.ip}:{GATEWAY_PORT}", access, secret)


class Traffic(threading.Thread):
    """Put then read back one object after another through a writer and a reader gateway, timing each pair."""

    def __init__(self, writer: S3Store, reader: S3Store):
        super().__init__(daemon=True)
        self.writer, self.reader = writer, reader
        self.stopping = threading.Event()
        self.done, self.failures, self.longest = 0, [], 0.0
        #: When the longest pair began (wall clock, to set beside the daemons' logs).
        self.longest_at = 0.0

    def run(self) -> None:
        while not self.stopping.is_set():
            key, payload = f"traffic/{uuid.uuid4().hex}", uuid.uuid4().bytes * 256
            started = time.monotonic()
            try:
                self.writer.put(key, payload)
                assert self.reader.get(key) == payload, "read back something else"
                self.done += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever it is
                self.failures.append(f"{type(exc).__name__}: {exc}")
            if time.monotonic() - started > self.longest:
                self.longest, self.longest_at = time.monotonic() - started, time.time() - (time.monotonic() - started)
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.join(120)


def set_availability(manager, hostname: str, availability: str) -> None:
    """Drain a node (Swarm stops its tasks and changes no service: no other node's task restarts), or reactivate it."""
    (node,) = [n for n in manager.nodes.list() if n.attrs["Description"]["Hostname"] == hostname]
    node.update({**node.attrs["Spec"], "Availability": availability})


def osd_events(manager, since: float) -> list[str]:
    """The monitors' log lines about OSDs going down or booting since ``since`` (for the printed timeline)."""
    service = manager.services.get("deis-store-mon")
    lines = b"".join(manager.api.service_logs(service.id, stdout=True, stderr=True, timestamps=True,
                                               since=int(since))).decode(errors="replace").splitlines()
    wanted = ("marked itself down", "marked down", "boot", "failed (")
    return [line.split(" ", 1)[0][11:23] + " " + line.split("log [", 1)[-1][:110]
            for line in lines if "log_channel(cluster)" in line and any(word in line for word in wanted)]


def running_on(manager, service_name: str) -> set[str]:
    hostnames = {node.id: node.attrs["Description"]["Hostname"] for node in manager.nodes.list()}
    return {hostnames[task["NodeID"]] for task in manager.api.tasks(filters={"service": service_name})
            if task["Status"]["State"] == "running" and task["DesiredState"] == "running"}


def test_ceph_on_three_hosts_serves_through_any_gateway_and_survives_an_osd_and_a_monitor(bare, tmp_path):
    bed, data = bare, tmp_path / "deis"
    h1, h2, h3 = bed.hosts
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]
    deisctl(data, "cluster", "bootstrap", *engines, "--store", "ceph")

    # deisctl start store: the store tier, until every gateway is healthy (serving S3)
    started = time.monotonic()
    start = deisctl(data, "start", "store", timeout=420)
    store_start = time.monotonic() - started
    assert "store: store-mon, store-osd, store-mgr, store-gateway" in start.stdout, start.stdout
    status = {line.split()[0]: line for line in deisctl(data, "status").stdout.splitlines()[1:]}
    for component in ("store-mon", "store-osd", "store-gateway"):
        assert "3/3" in status[component] and "h1,h2,h3" in status[component], status
    assert "2/2" in status["store-mgr"], status

    # ceph -s: 3 monitors in quorum, 3 OSDs up and in, every pool replicated 3 / min 2
    healthy = wait_for(lambda: osds_up(h1, 3) and len(quorum(h1)) == 3, 120, "3 OSDs up and 3 monitors in quorum")
    report = ceph(h1, "status")
    assert sorted(report["quorum_names"]) == ["h1", "h2", "h3"], report
    assert report["monmap"]["num_mons"] == 3, report["monmap"]
    pools = ceph(h1, "osd", "pool", "ls", "detail")
    assert pools and all((pool["size"], pool["min_size"]) == (3, 2) for pool in pools), pools
    assert "deis" in {pool["pool_name"] for pool in pools}
    # deisctl status: Ceph's health as the gateways announce it in etcd (which requires the root password now)
    shown: list[str] = []
    with contextlib.suppress(AssertionError):
        wait_for(lambda: shown.append(deisctl(data, "status").stdout) or "store (Ceph): HEALTH_" in shown[-1], 60,
                 "'deisctl status' showing the store's health")
    assert shown and "store (Ceph): HEALTH_" in shown[-1], shown[-1:]
    tree = ceph(h1, "osd", "tree")
    hosts = {node["name"] for node in tree["nodes"] if node["type"] == "host"}
    assert hosts == {"h1", "h2", "h3"}, tree

    # an object put through h1's gateway is read through h2's (and h3's)
    stores = {host.name: gateway(bed, host.name) for host in bed.hosts}
    stores["h1"].put("hello/world", b"through h1")
    assert stores["h2"].get("hello/world") == b"through h1"
    assert stores["h3"].get("hello/world") == b"through h1"

    # the control plane's store URL: the logger's task reaches its own node's gateway from the platform overlay
    deisctl(data, "start", "logger")
    with contextlib.closing(h1.docker()) as manager:
        (node,) = running_on(manager, "deis-logger")
    logger = task_container(bed.host(node), "deis-logger")
    probe = ("import os; from store import open_store; url = os.environ['DEIS_LOGGER_STOREURL']; "
             "store = open_store(url); store.put('probe/logger', b'ok'); print(url)")
    code, (out, err) = logger.exec_run(["timeout", "60", "python3", "-c", probe], demux=True)
    assert code == 0, (err or b"").decode()[-1500:]
    assert out.decode().strip().startswith("s3://deis?endpoint=http://deis-node-") and "{{" not in out.decode()
    assert stores["h2"].get("probe/logger") == b"ok"

    with contextlib.closing(h1.docker()) as manager:
        # an OSD crashes, then one stops cleanly: h2's OSD container is SIGKILLed, then stopped; Swarm starts it again
        faults = {}
        for fault in ("kill", "stop"):
            with Traffic(stores["h3"], stores["h1"]) as traffic:
                time.sleep(2)
                container = task_container(h2, "deis-store-osd")
                container.kill() if fault == "kill" else container.stop(timeout=30)
                time.sleep(3)
                back = wait_for(lambda: osds_up(h1, 3), 120, f"h2's OSD back after its {fault}")
                time.sleep(3)
            assert not traffic.failures, (fault, traffic.failures[:5])
            faults[f"OSD {fault}"] = (traffic.longest, traffic.done, back)
        # a monitor crashes: h2's, SIGKILLed; Swarm starts it again
        with Traffic(stores["h3"], stores["h1"]) as traffic:
            time.sleep(2)
            task_container(h2, "deis-store-mon").kill()
            time.sleep(3)
            back = wait_for(lambda: len(quorum(h1)) == 3, 90, "h2's monitor back in the quorum")
            time.sleep(3)
        assert not traffic.failures, traffic.failures[:5]
        faults["monitor kill"] = (traffic.longest, traffic.done, back)

        # h3 drained: its monitor, OSD and gateway down together, for as long as it stays so; h1 and h2 serve
        with Traffic(stores["h1"], stores["h2"]) as traffic:
            time.sleep(2)
            drained_at = time.monotonic()
            set_availability(manager, "h3", "drain")
            down = wait_for(lambda: osds_up(h1, 2) and sorted(quorum(h1)) == ["h1", "h2"], 90,
                            "h3's OSD down and a quorum of h1 and h2")
            time.sleep(15)  # writes with one OSD down (undersized placement groups, min_size 2 met)
            with_h3_down = time.monotonic() - drained_at
        assert not traffic.failures, traffic.failures[:5]
        assert traffic.done > 10, f"only {traffic.done} put+get pairs in {with_h3_down:.0f} s"
        faults["h3 drained"] = (traffic.longest, traffic.done, down)
        print(f"\nh3 drained: longest pair began {time.strftime('%H:%M:%S', time.gmtime(traffic.longest_at))}"
              f".{int(traffic.longest_at % 1 * 1000):03d} UTC; the monitors said:")
        for line in osd_events(manager, traffic.longest_at - 5)[:12]:
            print(f"  {line}")
        stores["h1"].put("hello/after", b"written with h3's monitor and OSD down")
        assert stores["h2"].get("hello/after") == b"written with h3's monitor and OSD down"
        set_availability(manager, "h3", "active")
        rejoined = wait_for(lambda: osds_up(h1, 3) and len(quorum(h1)) == 3, 120, "h3's OSD and monitor back")

    for store in stores.values():
        store.close()
    figures = "; ".join(f"{name}: longest put+get {longest:.2f} s over {done} pairs, back/down after {after:.1f} s"
                        for name, (longest, done, after) in faults.items())
    print(f"\nstore on the cluster: start store {store_start:.1f} s (then {healthy:.1f} s to 3 OSDs up and 3 "
          f"monitors in quorum); {figures}; h3 back {rejoined:.1f} s after it was made active again")
