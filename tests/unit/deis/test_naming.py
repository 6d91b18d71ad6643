import random

import pytest

from deis import naming
from deis.errors import ValidationError


@pytest.mark.parametrize("app_id", ["myapp", "my-app-2", "a", "0", "x" * 64])
def test_valid_app_ids_pass(app_id):
    assert naming.validate_app_id(app_id) == app_id


@pytest.mark.parametrize("app_id", ["MyApp", "my_app", "my.app", "", "app!", "a b", "ünï"])
def test_app_ids_outside_the_alphabet_get_v1_message(app_id):
    with pytest.raises(ValidationError, match=r"^App IDs can only contain \[a-z0-9-\]\.$"):
        naming.validate_app_id(app_id)


def test_app_id_longer_than_64_is_refused():
    with pytest.raises(ValidationError, match="at most 64"):
        naming.validate_app_id("x" * 65)


def test_deis_is_reserved():
    with pytest.raises(ValidationError, match="^deis is a reserved name.$"):
        naming.validate_app_id("deis")


def test_random_app_id_is_adjective_noun_and_valid():
    app_id = naming.random_app_id(random.Random(7))
    adjective, noun = app_id.split("-")
    assert adjective and noun
    assert naming.validate_app_id(app_id) == app_id


def test_random_app_ids_vary():
    rng = random.Random(1)
    assert len({naming.random_app_id(rng) for _ in range(50)}) > 40


def test_container_name_round_trips():
    name = naming.container_name("myapp", 3, "web", 1)
    assert name == "myapp_v3.web.1"
    parsed = naming.parse_container_name(name)
    assert parsed == naming.ContainerName("myapp", 3, "web", 1)
    assert str(parsed) == name
    assert parsed.process == "web.1"


def test_parse_accepts_docker_leading_slash_and_dashed_names():
    parsed = naming.parse_container_name("/my-app-2_v12.worker-high.10")
    assert parsed == naming.ContainerName("my-app-2", 12, "worker-high", 10)


@pytest.mark.parametrize(
    "name", ["deis-controller", "myapp_v3.web", "myapp_3.web.1", "MyApp_v1.web.1", "myapp_v1.web.x"]
)
def test_parse_rejects_names_that_are_not_ours(name):
    assert naming.parse_container_name(name) is None


def test_only_web_and_cmd_are_routable():
    assert naming.parse_container_name("a_v1.web.1").routable
    assert naming.parse_container_name("a_v1.cmd.2").routable
    assert not naming.parse_container_name("a_v1.worker.1").routable
    assert not naming.parse_container_name("a_v1.run.1").routable


@pytest.mark.parametrize("args", [("MyApp", 1, "web", 1), ("a", 0, "web", 1), ("a", 1, "web", 0), ("a", 1, "we.b", 1)])
def test_container_name_refuses_bad_parts(args):
    with pytest.raises(ValidationError):
        naming.container_name(*args)


# platform hostnames


@pytest.mark.parametrize("hostname, label", [
    ("example.com", ""), ("deis.example.com", "deis"), ("Web.Example.COM.", "web"), ("a.b.example.com", "a.b"),
    ("notexample.com", None), ("example.com.evil.org", None), ("www.example.org", None),
])
def test_platform_label_is_what_precedes_the_platform_domain(hostname, label):
    assert naming.platform_label(hostname, "example.com") == label


def test_no_platform_domain_means_no_platform_hostnames():
    assert naming.platform_label("deis.example.com", "") is None


def test_platform_hostname_holder_is_the_controller_or_an_existing_app():
    def is_app(app_id):
        return app_id == "web"

    assert naming.platform_hostname_holder("deis.example.com", "example.com", is_app) == "deis"
    assert naming.platform_hostname_holder("web.example.com", "example.com", is_app) == "web"
    assert naming.platform_hostname_holder("ghost.example.com", "example.com", is_app) is None
    assert naming.platform_hostname_holder("example.com", "example.com", is_app) is None
    assert naming.platform_hostname_holder("web.example.org", "example.com", is_app) is None


@pytest.mark.parametrize("proc_type", ["web\n", "web;id", "-web", "Web", ""])
def test_validate_process_type_refuses_anything_but_the_whole_pattern(proc_type):
    with pytest.raises(ValidationError):
        naming.validate_process_type(proc_type)


@pytest.mark.parametrize("check", [naming.is_app_id, naming.is_hostname])
def test_a_trailing_newline_is_refused_not_matched_by_the_patterns_end(check):
    """``$`` also matches before a final newline; every edge pattern ends in ``\\Z`` instead."""
    assert check("myapp") and not check("myapp\n")
    with pytest.raises(ValidationError):
        naming.validate_app_id("myapp\n")


def test_the_registrys_image_host_is_a_host_name_or_nothing():
    from registry.settings import as_image_host

    assert as_image_host("127.0.0.1") == "127.0.0.1" and as_image_host("") == ""
    for bad in ("127.0.0.1\n", "a b", "/etc/passwd", "x" * 300, "Reg.Example"):
        with pytest.raises(ValueError, match="not a host name"):
            as_image_host(bad)
