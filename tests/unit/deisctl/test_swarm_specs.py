"""The data plane's Swarm service specs and the level-triggered plan (pure)."""

import pytest

from deis import etcdmembers, isolation
from deisctl import images
from deisctl.swarm import specs
from deisctl.swarm.specs import HASH_LABEL, Node, Settings

NODES = [Node("n2", "10.0.0.12"), Node("n1", "10.0.0.11")]


@pytest.fixture
def built():
    return specs.service_specs(Settings(), NODES)


def test_every_component_is_a_global_dnsrr_service_on_the_apps_overlay(built):
    assert list(built) == ["publisher", "logspout", "router"]
    for component, spec in built.items():
        assert spec["Name"] == f"deis-{component}"
        assert spec["Mode"] == {"Global": {}}
        assert spec["EndpointSpec"]["Mode"] == "dnsrr"
        assert spec["TaskTemplate"]["Networks"][0] == {"Target": isolation.NETWORK}
        assert spec["Labels"][specs.COMPONENT_LABEL] == component
        assert spec["TaskTemplate"]["ContainerSpec"]["Image"] == f"deis/{component}:{images.TAG}"


def test_only_the_router_joins_the_platform_overlay_where_it_reaches_controllers_and_builders(built):
    networks = {c: [n["Target"] for n in spec["TaskTemplate"]["Networks"]] for c, spec in built.items()}
    assert networks == {"publisher": [isolation.NETWORK], "logspout": [isolation.NETWORK],
                        "router": [isolation.NETWORK, Settings().platform_network]}


def test_publisher_and_logspout_mount_their_nodes_docker_socket(built):
    for component in ("publisher", "logspout"):
        assert built[component]["TaskTemplate"]["ContainerSpec"]["Mounts"] == [
            {"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/var/run/docker.sock"}]
    assert built["router"]["TaskTemplate"]["ContainerSpec"]["Mounts"] == []


def test_router_runs_on_router_mesh_nodes_publishing_its_ports_on_the_node():
    router = specs.service_specs(Settings(router_ports={"httpPort": 8080, "healthPort": 9090}), NODES)["router"]
    assert router["TaskTemplate"]["Placement"]["Constraints"] == ["node.labels.routerMesh==true"]
    assert router["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 9090, "PublishedPort": 9090, "PublishMode": "host"},
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
    ]


def test_default_router_ports_are_80_443_2222_and_health(built):
    ports = {port["PublishedPort"] for port in built["router"]["EndpointSpec"]["Ports"]}
    assert ports == {80, 443, 2222, 9090}
    assert all(port["PublishMode"] == "host" for port in built["router"]["EndpointSpec"]["Ports"])


def test_each_task_reads_its_own_nodes_etcd_member_first_then_every_member(built):
    container = built["publisher"]["TaskTemplate"]["ContainerSpec"]
    assert ("DEIS_ETCD=http://deis-etcd-{{.Node.ID}}:2379,http://deis-etcd-n1:2379,http://deis-etcd-n2:2379"
            in container["Env"])
    assert "HOST={{.Node.Hostname}}" in container["Env"]
    assert container["Hosts"] == ["10.0.0.11 deis-etcd-n1", "10.0.0.12 deis-etcd-n2"]


def test_as_swarm_expands_it_on_a_node_a_task_has_its_own_member_first_and_each_member_once(built):
    env = dict(line.split("=", 1) for line in built["router"]["TaskTemplate"]["ContainerSpec"]["Env"])
    on_n2 = env["DEIS_ETCD"].replace(specs.NODE_ID, "n2")
    assert etcdmembers.parse(on_n2) == ("http://deis-etcd-n2:2379", "http://deis-etcd-n1:2379")


def test_one_etcd_endpoint_for_all_tasks_when_set():
    container = specs.service_specs(Settings(etcd="http://etcd.example:2379"), NODES)["router"][
        "TaskTemplate"]["ContainerSpec"]
    assert "DEIS_ETCD=http://etcd.example:2379" in container["Env"]
    assert container["Hosts"] == []


def test_the_hash_is_stable_and_follows_the_spec(built):
    again = specs.service_specs(Settings(), list(reversed(NODES)))
    assert {c: s["Labels"][HASH_LABEL] for c, s in built.items()} == {
        c: s["Labels"][HASH_LABEL] for c, s in again.items()}
    changed = specs.service_specs(Settings(tag="v9"), NODES)
    assert all(changed[c]["Labels"][HASH_LABEL] != built[c]["Labels"][HASH_LABEL] for c in built)
    assert specs.spec_hash(built["router"]) == built["router"]["Labels"][HASH_LABEL]


def test_a_joining_node_changes_every_spec_that_maps_etcd_members(built):
    grown = specs.service_specs(Settings(), [*NODES, Node("n3", "10.0.0.13")])
    assert all(grown[c]["Labels"][HASH_LABEL] != built[c]["Labels"][HASH_LABEL] for c in built)


def test_plan_creates_missing_updates_changed_and_keeps_equal(built):
    found = {
        "publisher": built["publisher"]["Labels"],
        "logspout": {**built["logspout"]["Labels"], HASH_LABEL: "stale"},
    }
    plan = specs.plan(built, found)
    assert plan == specs.Plan(create=("router",), update=("logspout",), keep=("publisher",))
    assert plan.changes
    assert not specs.plan(built, {c: s["Labels"] for c, s in built.items()}).changes


def test_a_service_made_by_hand_without_a_hash_is_updated(built):
    assert specs.plan({"router": built["router"]}, {"router": {}}).update == ("router",)


def test_settings_round_trip_and_ignore_unknown_keys():
    settings = Settings(docker_socket="/x/{{.Node.Hostname}}/docker.sock", router_ports={"httpPort": 81})
    assert Settings.from_dict({**settings.to_dict(), "someday": 1}) == settings
