"""The scheduler table, the docker backend's pure parts, and parsing router revisions."""

import pytest

from controller import scheduler
from controller.scheduler import ContainerSpec, State, Status
from controller.scheduler.docker import create_options, status_of
from controller.scheduler.fake import FakeScheduler
from controller.services.routes import applied_revision
from deis.errors import ConfigurationError


def test_backends_are_picked_by_name():
    assert isinstance(scheduler.load("fake"), FakeScheduler)
    with pytest.raises(ConfigurationError, match="unknown scheduler 'fleet'"):
        scheduler.load("fleet")


def test_every_container_is_hardened():
    options = create_options(ContainerSpec(name="a_v1.web.1", image="img", port=5000, memory=64, cpu_shares=5), 100)
    assert options["cap_drop"] == ["ALL"] and "cap_add" not in options
    assert options["security_opt"] == ["no-new-privileges"]
    assert options["pids_limit"] == 100 and options["privileged"] is False
    assert "volumes" not in options
    assert (options["mem_limit"], options["cpu_shares"]) == (64, 5)
    assert options["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 0}


def test_app_containers_join_the_app_network_and_publish_no_port():
    """A published port would bind every host address and bypass the router's whitelist and HTTPS rules."""
    options = create_options(ContainerSpec(name="a_v1.web.1", image="img", port=5000), 100)
    assert options["network_mode"] == "deis-apps"
    assert "ports" not in options and "publish_all_ports" not in options
    assert create_options(ContainerSpec(name="a_v1.web.1", image="img", port=5000), 100, "overlay")["network_mode"] \
        == "overlay"


def test_one_offs_are_not_restarted_or_published():
    options = create_options(ContainerSpec(name="a_v1.run.1", image="img", restart=False), 100)
    assert "restart_policy" not in options and "ports" not in options and "mem_limit" not in options


@pytest.mark.parametrize("state, restarts, expected", [
    ({"Status": "running"}, 0, Status(State.up)),
    ({"Status": "running"}, 2, Status(State.up, 1, 2)),
    ({"Status": "restarting", "ExitCode": 1}, 3, Status(State.crashed, 1, 3)),
    ({"Status": "exited", "ExitCode": 0}, 0, Status(State.down, 0)),
    ({"Status": "exited", "ExitCode": 137}, 0, Status(State.crashed, 137)),
    ({"Status": "created"}, 0, Status(State.created)),
    ({"Status": "dead", "ExitCode": 1}, 0, Status(State.error, 1)),
])
def test_docker_states_map_to_v1_states(state, restarts, expected):
    assert status_of({"State": {"ExitCode": 1, **state}, "RestartCount": restarts}) == expected


def test_router_revisions_are_parsed_leniently():
    assert applied_revision("42") == 42
    assert applied_revision('{"revision": 7}') == 7
    assert applied_revision("garbage") == 0


def test_app_containers_get_an_init_so_sigterm_reaches_the_app():
    options = create_options(ContainerSpec(name="a_v1.web.1", image="img", port=5000), 100)
    assert options["init"] is True


def test_app_container_logs_are_capped_and_the_images_user_is_kept():
    options = create_options(ContainerSpec(name="a_v1.web.1", image="img", port=5000), 100)
    assert options["log_config"] == {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}}
    assert "user" not in options
