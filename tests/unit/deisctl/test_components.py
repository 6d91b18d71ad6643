import pytest

from deis.errors import ValidationError
from deisctl import components


def names(chosen):
    return [c.name for c in chosen]


def test_platform_means_every_built_component_in_v1_order():
    built = [c for c in components.COMPONENTS if c.implemented]
    assert names(components.resolve(["platform"])) == names(components.start_order(built))
    assert names(components.resolve([]))[:3] == ["etcd", "docker", "redis"]
    assert "publisher" in names(components.resolve([]))


def test_tiers_follow_v1_order_store_logging_control_data_router():
    order = [c.tier for c in components.start_order(components.COMPONENTS)]
    assert order == sorted(order, key=components.TIERS.index)
    tiers = {c.name: c.tier for c in components.COMPONENTS}
    assert components.TIERS.index(tiers["store"]) < components.TIERS.index(tiers["logger"])
    assert components.TIERS.index(tiers["controller"]) < components.TIERS.index(tiers["publisher"])
    assert components.TIERS.index(tiers["publisher"]) < components.TIERS.index(tiers["router"])


def test_stop_order_is_the_reverse():
    chosen = components.resolve(["redis", "etcd", "docker"])
    assert names(chosen) == ["etcd", "docker", "redis"]
    assert names(components.stop_order(chosen)) == ["redis", "docker", "etcd"]


def test_unknown_component_lists_the_known_ones():
    with pytest.raises(ValidationError, match="unknown component 'etdc'; known components: etcd, docker"):
        components.resolve(["etdc"])


def test_unbuilt_component_names_its_issue(monkeypatch):
    unbuilt = components.Component("future", "data plane", issue=42)
    monkeypatch.setitem(components.BY_NAME, "future", unbuilt)
    with pytest.raises(ValidationError, match=r"future is not built yet \(issue #42\)"):
        components.resolve(["future"])


def test_controller_and_builder_bind_loopback_unless_configured_for_a_cluster():
    controller, builder = components.get("controller"), components.get("builder")
    assert controller.binds({}) == [("127.0.0.1", 8000)] and builder.binds({}) == [("127.0.0.1", 2223)]
    assert controller.binds({"DEIS_CONTROLLER_BIND": "0.0.0.0"}) == [("0.0.0.0", 8000)]
    assert builder.binds({"DEIS_BUILDER_BIND": "10.0.0.4"}) == [("10.0.0.4", 2223)]


def test_database_and_controller_are_built_with_their_ports_from_the_environment():
    database, controller = components.get("database"), components.get("controller")
    assert database.implemented and controller.implemented
    assert database.binds({}) == [("127.0.0.1", 5432)]
    assert database.binds({"DEIS_DATABASE_PORT": "6543"}) == [("127.0.0.1", 6543)]
    assert controller.binds({"DEIS_CONTROLLER_PORT": "8111"}) == [("127.0.0.1", 8111)]
    assert names(components.start_order([controller, database])) == ["database", "controller"]


def test_stop_platform_leaves_the_docker_engine_running_unless_it_is_named():
    assert "docker" not in names(components.resolve_stop(["platform"]))
    assert "docker" not in names(components.resolve_stop([]))
    assert "etcd" in names(components.resolve_stop([]))
    assert "docker" in names(components.resolve_stop(["docker"]))
    assert names(components.resolve_stop(["platform", "docker"])) == names(components.resolve(["platform"]))
