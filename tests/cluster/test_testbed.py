"""The multi-host bed itself: what ``python -m tests.cluster up`` promises.

Each test prints the figure it measures (run with ``-s`` to see them).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from docker.types import EndpointSpec, RestartPolicy, ServiceMode

from tests.cluster import testbed as bed_module
from tests.cluster.testbed import IMAGE, in_netns, require_bed_route

pytestmark = pytest.mark.multihost


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return value


def _node_state(client, name: str) -> str:
    return client.api.inspect_node(name)["Status"]["State"]


def test_up_gives_three_ready_swarm_nodes_and_a_healthy_three_member_etcd(cluster):
    leader = cluster.hosts[0].docker()
    nodes = {node.attrs["Description"]["Hostname"]: node.attrs["Status"]["State"] for node in leader.nodes.list()}
    assert nodes == {"h1": "ready", "h2": "ready", "h3": "ready"}
    assert leader.swarm.attrs["Spec"]["Dispatcher"]["HeartbeatPeriod"] == 1_000_000_000
    assert len({host.docker().images.get(IMAGE).id for host in cluster.hosts}) == 1
    assert len({host.docker().info()["ID"] for host in cluster.hosts}) == 3  # own /etc/docker/key.json each

    assert cluster.etcd_health() == {"h1": True, "h2": True, "h3": True}
    require_bed_route(cluster.hosts[0].ip)
    members = requests.post(f"{cluster.hosts[0].etcd_endpoint}/v3/cluster/member/list", json={}, timeout=3)
    assert sorted(member["name"] for member in members.json()["members"]) == ["h1", "h2", "h3"]
    cluster.hosts[0].etcd().put("/deis/multihost/probe", "from h1")
    assert cluster.hosts[2].etcd().get("/deis/multihost/probe") == "from h1"


def test_reset_empties_etcd_and_removes_services(cluster):
    leader = cluster.hosts[0].docker()
    leader.services.create(IMAGE, ["sleep", "600"], name="leftover", stop_grace_period=10**9)
    cluster.hosts[1].etcd().put("/deis/multihost/leftover", "x")

    seconds = cluster.reset()

    print(f"\nmultihost: reset in {seconds:.2f} s")
    assert leader.services.list() == []
    assert all(host.docker().containers.list(all=True) == [] for host in cluster.hosts)
    assert cluster.hosts[0].etcd().get("/deis/multihost/leftover") is None


def test_host_published_service_answers_on_every_node_from_another_namespace(cluster):
    leader = cluster.hosts[0].docker()
    started = time.monotonic()
    leader.services.create(
        IMAGE, ["sh", "-c", "cat /etc/hostname > /tmp/index.html; exec httpd -f -p 5000 -h /tmp"],
        name="web", hostname="{{.Node.Hostname}}", mode=ServiceMode("replicated", replicas=3), maxreplicas=1,
        # No IPVS on this kernel: host-mode publishing, never the ingress mesh.
        endpoint_spec=EndpointSpec(ports={18080: (5000, "tcp", "host")}),
        restart_policy=RestartPolicy(delay=0), stop_grace_period=10**9,
    )

    def answers():
        replies = {}
        for index, host in enumerate(cluster.hosts):
            neighbour = cluster.hosts[(index + 1) % len(cluster.hosts)]
            result = in_netns(neighbour, "busybox", "wget", "-qO-", f"http://{host.ip}:18080/", timeout=3)
            replies[host.name] = result.stdout.strip()
        return replies if all(replies[name] == name for name in replies) else None

    replies = _wait(answers, 30, "every node answers with its own hostname")
    print(f"\nmultihost: 3 host-published tasks answer {time.monotonic() - started:.1f} s after create")
    assert replies == {"h1": "h1", "h2": "h2", "h3": "h3"}
    nodes = [task["NodeID"] for task in leader.services.get("web").tasks({"desired-state": "running"})]
    assert len(set(nodes)) == 3


def test_partition_marks_the_node_down_within_seconds_and_heal_brings_it_back(cluster):
    leader, h3 = cluster.hosts[0].docker(), cluster.host("h3")
    ping = ("busybox", "ping", "-c", "1", "-W", "1", h3.ip)
    assert in_netns(cluster.hosts[0], *ping, timeout=3).returncode == 0

    cluster.partition(h3)
    cut = time.monotonic()
    try:
        _wait(lambda: _node_state(leader, "h3") == "down", 20, "h3 marked down")
        detected = time.monotonic() - cut
        assert in_netns(cluster.hosts[0], *ping, timeout=3).returncode == 1
    finally:
        cluster.heal(h3)
    healed = time.monotonic()
    _wait(lambda: _node_state(leader, "h3") == "ready", 20, "h3 ready again")
    back = time.monotonic() - healed

    print(f"\nmultihost: partitioned h3 marked down after {detected:.1f} s, ready {back:.1f} s after heal")
    assert detected < 8, "with a 1 s heartbeat a cut-off node is down in ~4 s"


def test_up_restarts_a_killed_dockerd_and_etcd_member(cluster):
    h2, h3 = cluster.host("h2"), cluster.host("h3")
    leader = cluster.hosts[0].docker()
    nodes = sorted(node.id for node in leader.nodes.list())
    assert cluster.up() < 2, "up with nothing to repair only checks"
    os.kill(bed_module.daemon_pid(h2, "dockerd"), signal.SIGKILL)
    os.kill(bed_module.daemon_pid(h3, "etcd"), signal.SIGKILL)
    _wait(lambda: bed_module.daemon_pid(h2, "dockerd") is None and bed_module.daemon_pid(h3, "etcd") is None,
          5, "the killed daemons gone")

    seconds = cluster.up()

    print(f"\nmultihost: up repaired a killed dockerd and etcd member in {seconds:.1f} s")
    assert [row["node"] for row in cluster.status()] == ["ready"] * 3
    assert cluster.etcd_health() == {"h1": True, "h2": True, "h3": True}
    assert sorted(node.id for node in leader.nodes.list()) == nodes, "the same nodes, none joined anew"


def test_a_second_session_cannot_take_the_bed_while_this_one_holds_it(testbed):
    attempt = ("import sys\nfrom tests.cluster import testbed\n"
               "try:\n    with testbed.Testbed().lock.held(timeout=0.5): sys.exit(0)\n"
               "except testbed.BedError as error: print(error); sys.exit(3)\n")

    result = subprocess.run([sys.executable, "-c", attempt], capture_output=True, text=True, timeout=60,
                             cwd=Path(__file__).parents[2], check=False)

    assert result.returncode == 3, result.stderr
    assert "another session holds /run/lock/deis-multihost.lock" in result.stdout


def test_down_leaves_nothing_behind(testbed):
    if not testbed.is_up:
        testbed.up()

    seconds = testbed.down()

    print(f"\nmultihost: down in {seconds:.1f} s")
    # Checked without the bed's own helpers, too.
    assert bed_module.leftovers() == []
    assert not any(name.startswith(bed_module.NETNS_PREFIX) for name in _listdir("/run/netns"))
    assert not any(name.startswith(bed_module.BRIDGE) for name in _listdir("/sys/class/net"))
    rule = subprocess.run(["iptables", "-C", "FORWARD", *bed_module.FORWARD_RULE], capture_output=True, check=False)
    assert rule.returncode != 0
    assert str(bed_module.STATE) not in Path("/proc/self/mountinfo").read_text()
    assert subprocess.run(["pgrep", "-f", str(bed_module.STATE)], capture_output=True, check=False).stdout == b""
    assert not bed_module.STATE.exists()
    with pytest.raises(bed_module.BedError, match="refusing to contact"):
        require_bed_route(testbed.hosts[0].ip)


def _listdir(folder: str) -> list[str]:
    with contextlib.suppress(FileNotFoundError):
        return os.listdir(folder)
    return []
