"""Which images an app may use: its own registry builds, and registries out on the network."""

import pytest

from deis.images import ImageName, ImageRefused, check_source, internal_reason, parse

REGISTRY = "10.1.2.3:5000"
PLATFORM = {"10.1.2.3", "10.1.2.4"}
PUBLIC = {"registry.example.com": ["93.184.216.34"], "rebind.example.com": ["127.0.0.1"]}


def check(reference, app="mine", admin=False):
    return check_source(reference, app, REGISTRY, PLATFORM, admin=admin, addresses=lambda h: PUBLIC.get(h, []))


def refused(reference, app="mine", admin=False) -> str:
    with pytest.raises(ImageRefused) as caught:
        check(reference, app, admin)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_an_apps_own_registry_image_is_allowed():
    assert check(f"{REGISTRY}/mine:git-1234abcd") == ImageName(REGISTRY, "mine", "git-1234abcd")


def test_another_apps_registry_image_is_refused_except_for_an_admin():
    assert "is app 'other''s build in the platform registry" in refused(f"{REGISTRY}/other:git-1234abcd")
    assert "only its own images" in refused(f"{REGISTRY}/other@sha256:ab")
    assert check(f"{REGISTRY}/other:v1", admin=True).repository == "other"


def test_docker_hub_images_are_allowed():
    for reference in ("busybox", "deis/example-go:latest", "docker.io/library/redis:7"):
        assert check(reference).on_hub


def test_registries_on_the_network_are_allowed():
    assert check("registry.example.com/team/app:1").host == "registry.example.com"
    assert check("93.184.216.34:5000/x").host == "93.184.216.34"


@pytest.mark.parametrize(("reference", "reason"), [
    ("127.0.0.1:8088/x", "is a loopback address"),
    ("127.0.0.2:5000/x", "is a loopback address"),
    ("[::1]:5000/x", "is a loopback address"),
    ("[::ffff:127.0.0.1]:5000/x", "is a loopback address"),
    ("localhost:5000/x", "names this machine"),
    ("localhost/x", "names this machine"),
    ("registry.localhost:5000/x", "names this machine"),
    ("169.254.169.254/latest", "is a link-local address"),
    ("[fe80::1]:5000/x", "is a link-local address"),
    ("0.0.0.0:5000/x", "is an unspecified address"),
    ("10.1.2.4:8000/x", "is the address of a platform service"),
    ("10.1.2.3:8000/x", "is the address of a platform service"),
    ("rebind.example.com:8000/x", "is a loopback address"),
])
def test_registries_on_the_platform_or_this_machine_are_refused(reference, reason):
    message = refused(reference, admin=True)
    assert reason in message and repr(reference) in message


def test_an_address_of_this_host_is_refused():
    assert internal_reason("192.0.2.1", ["192.0.2.1"], set()) is None
    # Binding works only for a local address: the loopback one stands in for eth0 here.
    assert internal_reason("h", ["127.0.0.1"], set()) == "is a loopback address"


def test_parse_keeps_dockers_rules():
    assert parse("127.0.0.1:5000/app:v2") == ImageName("127.0.0.1:5000", "app", "v2")
    assert parse("[::1]:5000/app").host == "::1"
    assert parse("host:5000/app").host == "host"
    assert parse("busybox").host == ""
