"""The publisher against real Docker containers and real etcd."""

from __future__ import annotations

import threading
import uuid

import pytest

from deis import keys
from publisher.reconciler import Publisher
from tests.services import wait_until

WEB = ["sh", "-c", "mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 5000 -h /tmp/www"]


@pytest.fixture
def app_name():
    return f"pub-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def containers(docker_client, base_image, app_name):
    started = []

    def run(name, command=WEB, env=("PORT=5000",)):
        container = docker_client.containers.run(base_image, command, name=name, environment=list(env),
                                                 detach=True, labels={"deis.test": app_name})
        started.append(container)
        return container

    yield run
    for container in started:
        container.remove(force=True)


def route(etcd, app, name):
    return etcd.get(keys.service(app, name))


def test_web_container_is_routed_within_a_second_and_withdrawn_when_it_stops(
        etcd, publisher, containers, app_name):
    name = f"{app_name}_v1.web.1"
    container = containers(name)
    container.reload()
    ip = container.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    assert wait_until(lambda: route(etcd, app_name, name), 1.5, what="route published") == f"{ip}:5000"
    container.stop(timeout=1)
    wait_until(lambda: route(etcd, app_name, name) is None, 1.5, what="route withdrawn")


def test_worker_containers_are_never_routed(etcd, publisher, containers, app_name):
    containers(f"{app_name}_v1.worker.1")
    web = f"{app_name}_v1.web.1"
    containers(web)
    wait_until(lambda: route(etcd, app_name, web), 3, what="web routed")
    assert route(etcd, app_name, f"{app_name}_v1.worker.1") is None


def test_container_is_routed_only_once_it_listens(etcd, publisher, containers, app_name):
    name = f"{app_name}_v1.web.1"
    containers(name, ["sh", "-c", "sleep 3; " + WEB[2]])
    for _ in range(10):  # 1.5 s in which it runs but does not listen
        assert route(etcd, app_name, name) is None
        threading.Event().wait(0.15)
    assert wait_until(lambda: route(etcd, app_name, name), 5, what="route once listening").endswith(":5000")


def test_failing_healthcheck_url_keeps_the_route_away(etcd, publisher, containers, app_name):
    etcd.put(keys.app_config(app_name, "HEALTHCHECK_URL"), "/missing")
    name = f"{app_name}_v1.web.1"
    containers(name)
    threading.Event().wait(2)
    assert route(etcd, app_name, name) is None
    etcd.put(keys.app_config(app_name, "HEALTHCHECK_URL"), "/index.html")
    publisher.wake.set()
    wait_until(lambda: route(etcd, app_name, name), 3, what="route after healthcheck passes")


def test_draining_container_is_withdrawn_and_stays_withdrawn(etcd, publisher, containers, app_name):
    name = f"{app_name}_v1.web.1"
    containers(name)
    wait_until(lambda: route(etcd, app_name, name), 3, what="route published")
    etcd.put(keys.draining(app_name, name), "1")
    etcd.delete(keys.service(app_name, name))
    publisher.wake.set()
    threading.Event().wait(1.5)
    assert route(etcd, app_name, name) is None


def test_a_route_deleted_by_hand_is_restored_by_the_resync(etcd, publisher, containers, app_name):
    name = f"{app_name}_v1.web.1"
    containers(name)
    wait_until(lambda: route(etcd, app_name, name), 3, what="route published")
    etcd.delete(keys.service(app_name, name))
    wait_until(lambda: route(etcd, app_name, name), 7, what="route restored by resync")


def test_routes_outlive_a_publisher_stop_by_the_lease_ttl_then_vanish(etcd, docker_client, containers, app_name):
    """A stop (a restart, an upgrade) leaves running containers routed for a successor; a dead one's go."""
    stop = threading.Event()
    pub = Publisher(docker_client, etcd)
    thread = threading.Thread(target=pub.run, args=(stop,), kwargs={"ttl": 5}, daemon=True)
    thread.start()
    name = f"{app_name}_v1.web.1"
    containers(name)
    wait_until(lambda: route(etcd, app_name, name), 3, what="route published")
    stop.set()
    pub.wake.set()
    thread.join(10)
    assert not thread.is_alive()
    assert route(etcd, app_name, name) is not None
    wait_until(lambda: route(etcd, app_name, name) is None, 7, what="route gone with the lease")


def test_removing_a_draining_marker_reannounces_at_once(etcd, publisher, containers, app_name):
    """A restart in place clears the marker; the route must come back without waiting for the resync."""
    name = f"{app_name}_v1.web.1"
    containers(name)
    wait_until(lambda: route(etcd, app_name, name), 3, what="route published")
    etcd.put(keys.draining(app_name, name), "1")
    etcd.delete(keys.service(app_name, name))
    threading.Event().wait(0.5)
    etcd.delete(keys.draining(app_name, name))
    wait_until(lambda: route(etcd, app_name, name), 1.5, what="route back well before the 5 s resync")


def test_a_routed_container_that_misses_one_check_keeps_its_route(etcd, docker_client, containers, app_name):
    """One slow answer under load must not unroute a running container; repeated failures do.

    Passes are driven by hand (no loop thread): Docker events would otherwise
    trigger an unknown number of passes.
    """
    name = f"{app_name}_v1.web.1"
    serve_then_idle = ("mkdir -p /tmp/www && echo ok > /tmp/www/index.html && "
                       "{ httpd -f -p 5000 -h /tmp/www & echo $! > /tmp/httpd.pid; exec sleep 600; }")
    container = containers(name, ["sh", "-c", serve_then_idle])
    publisher = Publisher(docker_client, etcd, health_timeout=0.5)
    with etcd.lease(10) as lease:
        wait_until(lambda: not publisher.reconcile(lease) and route(etcd, app_name, name), 5, what="route published")
        container.exec_run(["sh", "-c", "kill $(cat /tmp/httpd.pid)"])  # stops answering, keeps running
        publisher.reconcile(lease)
        publisher.reconcile(lease)
        assert route(etcd, app_name, name) is not None  # two failed passes: still routed
        publisher.reconcile(lease)
        assert route(etcd, app_name, name) is None  # the third withdraws it
