"""The app port rule and the health-check path, shared by the controller and the publisher."""

from deis.health import check_path
from deis.ports import environment_port, listen_port


def test_listen_port_is_the_configured_one_then_the_image_s_then_5000():
    assert listen_port("8080", 80) == 8080
    assert listen_port("nope", 80) == 80
    assert listen_port("70000", None) == 5000
    assert listen_port(None) == 5000


def test_environment_port_reads_the_containers_port_variable():
    assert environment_port(["A=1", "PORT=8080"]) == 8080
    assert environment_port(["A=1"]) == 5000
    assert environment_port(None) == 5000


def test_check_path_gets_a_leading_slash_and_blank_is_none():
    assert check_path("health") == "/health"
    assert check_path(" /up ") == "/up"
    assert check_path("  ") is None
    assert check_path(None) is None
