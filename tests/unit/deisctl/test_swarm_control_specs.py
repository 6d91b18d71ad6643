"""The control plane's Swarm service specs: placement, addresses, the store (pure)."""

import subprocess

import pytest

from deis.errors import ValidationError
from deisctl.swarm import control_specs, specs
from deisctl.swarm.specs import HASH_LABEL, Node, Settings

NODES = [Node("n2", "10.0.0.12"), Node("n1", "10.0.0.11")]
STORE = "file:///srv/deis-store"


@pytest.fixture
def built():
    return control_specs.control_specs(Settings(store=STORE), NODES)


def test_components_are_replicated_on_control_plane_nodes_at_most_one_per_node_but_the_registry(built):
    assert list(built) == ["logger", "database", "registry", "controller", "builder"]
    replicated = {component: spec["Mode"]["Replicated"]["Replicas"] for component, spec in built.items()
                  if component != "registry"}
    assert replicated == {"logger": 1, "database": 1, "controller": 2, "builder": 2}
    for component, spec in built.items():
        placement = spec["TaskTemplate"]["Placement"]
        if component != "registry":
            assert placement == {"Constraints": ["node.labels.controlPlane==true"], "MaxReplicas": 1}
        assert spec["EndpointSpec"]["Mode"] == "dnsrr"


def test_a_registry_runs_on_every_node_and_images_are_named_after_loopback_not_a_node(built):
    """Each engine pulls from its own node's registry: an image's name outlives any node."""
    registry = built["registry"]
    assert registry["Mode"] == {"Global": {}}
    assert registry["TaskTemplate"]["Placement"] == {"Constraints": []}
    env = registry["TaskTemplate"]["ContainerSpec"]["Env"]
    assert "DEIS_REGISTRY_IMAGEHOST=127.0.0.1" in env
    assert "DEIS_REGISTRY_COLLECT=false" in env, "a collection would delete blobs another registry is taking"
    assert "/v2/" in registry["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"][-1]
    with pytest.raises(ValidationError, match="runs one task on every node"):
        control_specs.check_scale("registry", 2, Settings(store=STORE))


def test_ports_are_published_on_the_tasks_node_and_database_controller_builder_publish_none(built):
    published = {component: [(port["PublishedPort"], port["Protocol"], port["PublishMode"])
                             for port in spec["EndpointSpec"]["Ports"]] for component, spec in built.items()}
    assert published == {"logger": [(514, "tcp", "host"), (514, "udp", "host"), (8088, "tcp", "host")],
                         "database": [], "registry": [(5000, "tcp", "host")],
                         "controller": [], "builder": []}, "the router reaches them on the platform overlay"


def test_every_task_can_look_up_its_nodes_address_and_announces_it(built):
    for component, spec in built.items():
        container = spec["TaskTemplate"]["ContainerSpec"]
        assert {"10.0.0.11 deis-node-n1", "10.0.0.12 deis-node-n2"} <= set(container["Hosts"])
        assert "DEIS_NODE_ID={{.Node.ID}}" in container["Env"]
        assert not any(line.startswith("HOST=") for line in container["Env"]), "the entrypoint sets HOST"
        assert container["Command"][:2] == ["/bin/sh", "-c"]
        assert container["Command"][2].endswith(f"exec /usr/local/bin/deis-{component}")
    assert '"$(cat /etc/hostname)"' in built["database"]["TaskTemplate"]["ContainerSpec"]["Command"][2]
    assert '"$(cat /etc/hostname)"' in built["builder"]["TaskTemplate"]["ContainerSpec"]["Command"][2]
    assert '"deis-node-$DEIS_NODE_ID"' in built["registry"]["TaskTemplate"]["ContainerSpec"]["Command"][2]
    controller = built["controller"]["TaskTemplate"]["ContainerSpec"]
    assert 'python3 -m deis.taskaddress "$DEIS_PLATFORM_NETWORK"' in controller["Command"][2]
    assert "DEIS_PLATFORM_NETWORK=deis-platform" in controller["Env"]


def test_the_controller_reaches_the_database_by_its_service_name(built):
    env = built["controller"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert f"DEIS_CONTROLLER_DATABASEHOST={built['database']['Name']}" in env


def test_the_builder_refuses_pushes_while_no_registry_is_announced(built):
    """On a cluster an image only the building node holds cannot run on the others."""
    assert "DEIS_BUILDER_REQUIREREGISTRY=true" in built["builder"]["TaskTemplate"]["ContainerSpec"]["Env"]


def test_the_address_line_exports_the_first_address_and_refuses_none(tmp_path):
    line = control_specs.address_command("controller", "node")[2]
    fake = tmp_path / "getent"
    fake.write_text('#!/bin/sh\n[ "$2" = deis-node-n1 ] && echo "10.0.0.11       deis-node-n1"\nexit 0\n')
    fake.chmod(0o755)
    script = line.replace("exec /usr/local/bin/deis-controller", 'echo "$HOST $DEIS_CONTROLLER_HOST"')
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    found = subprocess.run(["sh", "-c", script], env={**env, "DEIS_NODE_ID": "n1"}, capture_output=True, text=True)
    assert found.stdout == "10.0.0.11 10.0.0.11\n"
    missing = subprocess.run(["sh", "-c", script], env={**env, "DEIS_NODE_ID": "n9"}, capture_output=True, text=True)
    assert missing.returncode == 1 and "no address" in missing.stderr


def test_a_file_store_is_mounted_at_its_path_into_the_tasks_that_keep_data(built):
    def sources(component):
        mounts = built[component]["TaskTemplate"]["ContainerSpec"]["Mounts"]
        return {(m["Type"], m.get("Source"), m["Target"]) for m in mounts}
    shared = ("bind", "/srv/deis-store", "/srv/deis-store")
    assert shared in sources("logger") and shared in sources("registry") and shared in sources("database")
    volumes = [m for m in built["database"]["TaskTemplate"]["ContainerSpec"]["Mounts"] if m["Type"] == "volume"]
    assert volumes == [{"Type": "volume", "Target": "/var/lib/deis"}], "a named volume would outlive the task"
    assert shared not in sources("controller")
    env = {c: built[c]["TaskTemplate"]["ContainerSpec"]["Env"] for c in built}
    assert f"DEIS_LOGGER_STOREURL={STORE}" in env["logger"] and f"DEIS_DATABASE_STOREURL={STORE}" in env["database"]
    assert "DEIS_REGISTRY_STORAGEDIR=/srv/deis-store/registry" in env["registry"]
    assert "DEIS_REDIS_HOST=" in env["registry"], "each registry caches in memory: no Redis on the cluster"


def test_the_database_is_only_on_the_platform_overlay_and_the_controller_on_both(built):
    networks = {c: [n["Target"] for n in built[c]["TaskTemplate"]["Networks"]] for c in built}
    assert networks["database"] == ["deis-platform"]
    assert networks["controller"] == ["deis-platform", "deis-apps"]
    assert networks["builder"] == ["deis-platform"]


def test_a_recorded_scale_changes_only_that_spec(built):
    scaled = control_specs.control_specs(Settings(store=STORE, replicas={"controller": 3}), NODES)
    assert scaled["controller"]["Mode"] == {"Replicated": {"Replicas": 3}}
    assert scaled["controller"]["Labels"][HASH_LABEL] != built["controller"]["Labels"][HASH_LABEL]
    assert {c: s["Labels"][HASH_LABEL] for c, s in scaled.items() if c != "controller"} == \
        {c: s["Labels"][HASH_LABEL] for c, s in built.items() if c != "controller"}


def test_the_data_planes_specs_do_not_change_with_the_new_settings():
    assert specs.service_specs(Settings(), NODES) == \
        specs.service_specs(Settings(store=STORE, replicas={"controller": 3}), NODES)


def test_only_controller_and_builder_scale_and_within_bounds():
    assert control_specs.check_scale("controller", 3, Settings()) == {"controller": 3}
    with pytest.raises(ValidationError, match="database runs exactly one task"):
        control_specs.check_scale("database", 2, Settings())
    with pytest.raises(ValidationError, match="give 1 to 9"):
        control_specs.check_scale("builder", 0, Settings())


@pytest.mark.parametrize("url", ["file:///srv/deis-store", "s3://bucket?endpoint=http://10.0.0.1:7480",
                                 "rados://deis"])
def test_store_urls_a_cluster_can_use(url):
    assert control_specs.check_store(url) == url


@pytest.mark.parametrize("url", ["/srv/store", "file://host/srv", "file:///srv/../etc", "file:///srv/a b",
                                 "file:///srv/$(id)", "file:///", "http://x", "s3://", "file:///srv/a;b"])
def test_store_urls_refused(url):
    with pytest.raises(ValidationError):
        control_specs.check_store(url)
