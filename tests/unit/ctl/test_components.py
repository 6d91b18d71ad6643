import pytest

from deis.ctl import components
from deis.errors import ValidationError


def names(chosen):
    return [c.name for c in chosen]


def test_platform_means_every_built_component_in_v1_order():
    assert names(components.resolve(["platform"])) == ["etcd", "docker", "redis"]
    assert names(components.resolve([])) == ["etcd", "docker", "redis"]


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


def test_unbuilt_component_names_its_issue():
    with pytest.raises(ValidationError, match=r"controller is not built yet \(issue #3\)"):
        components.resolve(["controller"])
