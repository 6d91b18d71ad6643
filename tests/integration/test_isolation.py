"""Network exposure (issue 12, item 5): apps are reached only through the router.

Real Docker, real iptables, real nginx: app containers are made by the docker
scheduler, and a one-off container made the same way probes, from inside, the
host's ports (through the app bridge's gateway and through the host's own
address) and another app's container. Nothing may answer; the router must still
serve the app, and the host must still reach the outside world.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import uuid

import psutil
import pytest

from controller.scheduler import ContainerSpec
from controller.scheduler.docker import DockerScheduler
from tests.services import free_port, wait_until

WEB = "mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 5000 -h /tmp/www"
#: Seconds a probe waits for each connection (a dropped SYN never answers).
PROBE_TIMEOUT = 2


@pytest.fixture
def scheduler(docker_client):
    return DockerScheduler()


@pytest.fixture
def apps(scheduler):
    """Make app names; destroy their containers afterwards."""
    made = []

    def make() -> str:
        made.append(f"iso-{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield make
    for app in made:
        for name in scheduler.containers(app):
            scheduler.destroy(name)


def start_web(scheduler: DockerScheduler, app: str, image: str) -> str:
    """Start ``<app>_v1.web.1`` as the deployer does, and return its name once it answers."""
    name = f"{app}_v1.web.1"
    scheduler.create(ContainerSpec(name=name, image=image, command=["sh", "-c", WEB], environment={"PORT": "5000"},
                                   labels={"deis.app": app}, port=5000))
    scheduler.start(name)
    wait_until(lambda: port_open(scheduler.address(name), 5000), 10, what=f"{name} answers the host")
    return name


def port_open(ip: str | None, port: int, timeout: float = 1.0) -> bool:
    if not ip:
        return False
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def probe(scheduler: DockerScheduler, app: str, image: str, targets: list[tuple[str, int]]) -> dict[str, str]:
    """From a one-off app container, try each ``(ip, port)``; return ``{"ip:port": "open" | "closed"}``."""
    checks = " ".join(
        f'( nc -w {PROBE_TIMEOUT} {ip} {port} </dev/null >/dev/null 2>&1 && echo "open {ip}:{port}" '
        f'|| echo "closed {ip}:{port}" ) &' for ip, port in targets)
    spec = ContainerSpec(name=f"{app}_v1.run.1", image=image, command=["sh", "-c", f"{checks} wait"],
                         labels={"deis.app": app}, restart=False)
    exit_code, output = scheduler.run(spec, timeout=60)
    assert exit_code == 0, output
    results = dict(reversed(line.split(" ", 1)) for line in output.split("\n") if line.startswith(("open", "closed")))
    assert len(results) == len(targets), output
    return results


def networks_of(docker_client, name: str) -> dict:
    return docker_client.api.inspect_container(name)["NetworkSettings"]["Networks"]


def host_address() -> str:
    """This host's own routable IPv4 (the source of its default route; no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.connect(("10.255.255.255", 1))
        return udp.getsockname()[0]


@contextlib.contextmanager
def listener_on_every_address():
    """A TCP listener on 0.0.0.0 (a host service as exposed as can be); yields ``(port, accepted)``."""
    server = socket.create_server(("0.0.0.0", 0))
    accepted: list[tuple] = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                conn, peer = server.accept()
                accepted.append(peer)
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        server.close()


def test_app_containers_publish_no_port_and_sit_on_the_app_network(docker_client, scheduler, apps, base_image):
    name = start_web(scheduler, apps(), base_image)
    attrs = docker_client.api.inspect_container(name)
    assert not attrs["HostConfig"].get("PortBindings")
    assert not any(attrs["NetworkSettings"].get("Ports") or {}), attrs["NetworkSettings"]["Ports"]
    assert attrs["HostConfig"]["NetworkMode"] == "deis-apps" and list(networks_of(docker_client, name)) == ["deis-apps"]
    network = docker_client.api.inspect_network("deis-apps")
    assert network["Driver"] == "bridge"
    assert network["Options"]["com.docker.network.bridge.enable_icc"] == "false"


def test_from_inside_an_app_container_neither_the_host_nor_another_app_answers(
        docker_client, scheduler, apps, base_image, router, publisher):
    victim, attacker = apps(), apps()
    web = start_web(scheduler, victim, base_image)
    wait_until(lambda: router.status(f"{victim}.deis.localhost") == 200, 15, what="the router serves the app")
    network = next(iter(networks_of(docker_client, web).values()))
    gateway, victim_ip, host = network["Gateway"], network["IPAddress"], host_address()
    ports = router.ports
    with listener_on_every_address() as (exposed, accepted):
        targets = [(gateway, port) for port in (ports.http, ports.https, ports.builder, ports.health, exposed)]
        targets += [(host, ports.http), (host, exposed), (victim_ip, 5000)]
        results = probe(scheduler, attacker, base_image, targets)
    assert results == {f"{ip}:{port}": "closed" for ip, port in targets}
    assert accepted == []
    # The fence lets replies in: the router (and the host) still reach the app.
    assert router.status(f"{victim}.deis.localhost") == 200
    assert port_open(victim_ip, 5000)


def test_the_fence_leaves_forwarding_to_the_outside_alone(scheduler, apps):
    """Containers keep reaching the world: the fence touches INPUT only, never Docker's FORWARD rules.

    (Checked on the rules, not by connecting out: test traffic never leaves this machine.)
    """
    before = iptables("-S", "FORWARD")
    apps()  # a container made through the scheduler installs the fence
    assert iptables("-S", "FORWARD") == before
    assert iptables("-S", "INPUT").splitlines()[1] == "-A INPUT -j DEIS-ISOLATION"
    assert all("-i " in rule or rule.startswith("-N") for rule in iptables("-S", "DEIS-ISOLATION").splitlines())


def iptables(*args: str) -> str:
    return subprocess.run(["iptables", "--wait", *args], capture_output=True, text=True, check=True).stdout


def jumps(chain: str) -> list[str]:
    return [rule for rule in iptables("-S", "INPUT").splitlines() if rule.endswith(f"-j {chain}")]


def test_isolation_is_idempotent_and_teardown_keeps_networks_that_hold_containers(docker_client, base_image):
    from deis import isolation

    name = f"deis-apps-test-{uuid.uuid4().hex[:6]}"
    try:
        isolation.isolate(docker_client, "deis-apps")
        interface = isolation.isolate(docker_client, name)
        isolation.isolate(docker_client, name)
        assert jumps("DEIS-ISOLATION") == ["-A INPUT -j DEIS-ISOLATION"]
        assert iptables("-S", "INPUT").splitlines()[1] == "-A INPUT -j DEIS-ISOLATION"  # first: nothing accepts earlier
        assert f"-i {interface} -j DROP" in iptables("-S", "DEIS-ISOLATION")
        container = docker_client.containers.run(base_image, ["sleep", "60"], network=name, detach=True)
        try:
            assert isolation.teardown(docker_client, [name]) == []
            assert f"-i {interface} -j DROP" in iptables("-S", "DEIS-ISOLATION")
        finally:
            container.remove(force=True)
        assert isolation.teardown(docker_client, [name]) == [name]
        rules = iptables("-S", "DEIS-ISOLATION")
        assert interface not in rules
        assert isolation.bridge_interface(docker_client.api.inspect_network("deis-apps")) in rules
        assert jumps("DEIS-ISOLATION") == ["-A INPUT -j DEIS-ISOLATION"]
    finally:
        with contextlib.suppress(Exception):
            docker_client.api.remove_network(name)


def test_removing_the_firewall_touches_only_its_own_chain(monkeypatch):
    from deis import isolation

    chain = f"DEIS-TEST-{uuid.uuid4().hex[:6].upper()}"
    monkeypatch.setattr(isolation, "CHAIN", chain)
    before = set(iptables("-S", "INPUT").splitlines())
    isolation.install_firewall(["deis-test0"])
    isolation.install_firewall(["deis-test0"])
    try:
        assert jumps(chain) == [f"-A INPUT -j {chain}"]
        assert iptables("-S", chain).splitlines()[1:] == [" ".join(r) for r in isolation.chain_rules(["deis-test0"])]
    finally:
        isolation.remove_firewall()
    assert jumps(chain) == [] and chain not in iptables("-S")
    assert before <= set(iptables("-S", "INPUT").splitlines())  # nothing of anyone else's went
    isolation.remove_firewall()  # absent is fine


def test_the_builder_listens_on_loopback_only(etcd, etcd_endpoint, tmp_path, monkeypatch):
    from builder.__main__ import config_from
    from builder.server import Builder
    from builder.settings import SETTINGS

    port = free_port()
    environ = {"DEIS_BUILDER_PORT": str(port), "DEIS_BUILDER_DATADIR": str(tmp_path)}
    builder = Builder(config_from(SETTINGS.bind(etcd, environ=environ)), etcd).start()
    try:
        listening = {c.laddr.ip for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.laddr.port == port}
        assert listening == {"127.0.0.1"}
    finally:
        builder.stop()
