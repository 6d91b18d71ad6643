"""The store's Ceph daemons as Swarm service specs, and the store URL the control plane gets (pure)."""

import pytest

from deis.errors import ValidationError
from deisctl.swarm import control_specs, store_specs
from deisctl.swarm.specs import HASH_LABEL, Node, Settings


def node(node_id, hostname, address, control_plane=True):
    labels = {"controlPlane": "true"} if control_plane else {}
    return {"ID": node_id, "Description": {"Hostname": hostname}, "Spec": {"Labels": labels},
            "Status": {"Addr": address}}


NODES = [node("n3", "h3", "10.0.0.13"), node("n1", "h1", "10.0.0.11"), node("n2", "h2", "10.0.0.12"),
         node("n4", "h4", "10.0.0.14", control_plane=False)]


@pytest.fixture
def built():
    return store_specs.store_specs(Settings(store="ceph"), NODES, "secret-id")


def env(spec) -> dict[str, str]:
    return dict(line.split("=", 1) for line in spec["TaskTemplate"]["ContainerSpec"]["Env"])


def test_monitor_and_osd_on_every_control_plane_node_two_managers_and_a_gateway_on_every_node(built):
    assert list(built) == ["store-mon", "store-osd", "store-mgr", "store-gateway"]
    modes = {component: spec["Mode"] for component, spec in built.items()}
    assert modes == {"store-mon": {"Global": {}}, "store-osd": {"Global": {}},
                     "store-mgr": {"Replicated": {"Replicas": 2}}, "store-gateway": {"Global": {}}}
    for component, spec in built.items():
        placement = spec["TaskTemplate"]["Placement"]
        wanted = [] if component == "store-gateway" else ["node.labels.controlPlane==true"]
        assert placement["Constraints"] == wanted, "every node's registry keeps its blobs on its node's gateway"
        assert placement.get("MaxReplicas") == (1 if component == "store-mgr" else None)
        assert spec["TaskTemplate"]["Networks"] == [{"Target": "host"}], "Ceph daemons announce node addresses"
        assert spec["TaskTemplate"]["ContainerSpec"]["Image"] == Settings().image("store")
        assert spec["UpdateConfig"]["Parallelism"] == 1 and spec["UpdateConfig"]["Delay"] > 0


def test_every_daemon_knows_all_monitors_and_its_node_without_asking_etcd(built):
    for component, spec in built.items():
        found = env(spec)
        assert found["DEIS_STORE_DAEMON"] == component.removeprefix("store-")
        assert found["DEIS_STORE_MONITORS"] == "h1=10.0.0.11,h2=10.0.0.12,h3=10.0.0.13"
        assert found["DEIS_STORE_NODE"] == "{{.Node.Hostname}}"
        # every setting deis-store reads is given: a monitor never waits for etcd to start
        for name in ("BACKEND", "MONPORT", "GATEWAYPORT", "IDENTITYFILE", "POOLSIZE", "POOLMINSIZE"):
            assert f"DEIS_STORE_{name}" in found
        assert (found["DEIS_STORE_POOLSIZE"], found["DEIS_STORE_POOLMINSIZE"]) == ("3", "2")


def test_identity_is_a_secret_readable_by_root_only_and_keys_live_in_memory(built):
    for spec in built.values():
        container = spec["TaskTemplate"]["ContainerSpec"]
        assert container["Secrets"] == [{"SecretID": "secret-id", "SecretName": "deis-store-identity",
                                         "File": {"Name": "deis-store-identity", "UID": "0", "GID": "0",
                                                  "Mode": 0o400}}]
        assert env(spec)["DEIS_STORE_IDENTITYFILE"] == "/run/secrets/deis-store-identity"
        assert container["Mounts"][0] == {"Type": "tmpfs", "Target": "/var/lib/deis/ceph",
                                          "TmpfsOptions": {"Mode": 0o700}}


def test_monitor_and_osd_data_are_node_local_volumes(built):
    volumes = {component: [(m["Source"], m["Target"]) for m in spec["TaskTemplate"]["ContainerSpec"]["Mounts"]
                           if m["Type"] == "volume"] for component, spec in built.items()}
    assert volumes == {"store-mon": [("deis-store-mon", "/var/lib/deis/ceph/mon")],
                       "store-osd": [("deis-store-osd", "/var/lib/deis/ceph/osd")],
                       "store-mgr": [], "store-gateway": []}


def test_only_the_gateway_has_a_health_check_its_ready_file():
    built = store_specs.store_specs(Settings(), NODES, "s")
    checks = {c: spec["TaskTemplate"]["ContainerSpec"].get("Healthcheck") for c, spec in built.items()}
    assert checks["store-gateway"]["Test"] == ["CMD", "test", "-e", "/var/lib/deis/ceph/run/gateway.ready"]
    assert [c for c, check in checks.items() if check] == ["store-gateway"], "a failing check kills a monitor"


def test_specs_are_stable_and_change_with_the_monitors(built):
    assert store_specs.store_specs(Settings(store="ceph"), list(reversed(NODES)), "secret-id") == built
    fewer = store_specs.store_specs(Settings(store="ceph"), NODES[1:], "secret-id")
    assert fewer["store-mon"]["Labels"][HASH_LABEL] != built["store-mon"]["Labels"][HASH_LABEL]


def test_monitor_names_must_be_hostnames_ceph_takes_and_unique():
    with pytest.raises(ValidationError, match="letters, digits"):
        store_specs.monitors([node("n1", "h1.example.com", "10.0.0.11")])
    with pytest.raises(ValidationError, match="two controlPlane nodes"):
        store_specs.monitors([node("n1", "h1", "10.0.0.11"), node("n2", "h1", "10.0.0.12")])
    with pytest.raises(ValidationError, match="no node is labelled controlPlane"):
        store_specs.monitors([node("n1", "h1", "10.0.0.11", control_plane=False)])


def test_ceph_is_a_store_setting_and_clients_get_their_own_node_s_gateway():
    assert store_specs.check_store("ceph") == "ceph"
    assert store_specs.check_store("file:///srv/deis-store") == "file:///srv/deis-store"
    with pytest.raises(ValidationError):
        store_specs.check_store("cephfs")
    url = store_specs.client_url("ceph")
    assert url == "s3://deis?endpoint=http://deis-node-{{.Node.ID}}:7480"
    assert store_specs.client_url("file:///srv/x") == "file:///srv/x"
    control = control_specs.control_specs(Settings(store=url), [Node("n1", "10.0.0.11")])
    logger = control["logger"]["TaskTemplate"]["ContainerSpec"]
    assert f"DEIS_LOGGER_STOREURL={url}" in logger["Env"] and "10.0.0.11 deis-node-n1" in logger["Hosts"]
    registry = control["registry"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert f"DEIS_REGISTRY_STOREURL={url}" in registry and "DEIS_REGISTRY_STOREBACKEND=s3" in registry
