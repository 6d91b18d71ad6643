"""What runs for a release: types, commands, environment, specs, scale plans."""

import pytest

from controller import processes
from controller.errors import BadRequest
from controller.processes import BuildInfo, ConfigInfo

IMAGE = BuildInfo("nginx:1")
PROCFILE = BuildInfo("app:v1", procfile={"web": "./server --port $PORT", "worker": "./work"})
SLUG = BuildInfo("registry/app:git-abc", sha="abc1234def", procfile={"web": "bin/web"})
CONFIG = ConfigInfo({"GREETING": "hi"}, {"web": "64M"}, {"web": "256"})


def test_default_structure_is_web_with_a_procfile_web_else_cmd():
    assert processes.default_structure(PROCFILE) == {"web": 1}
    assert processes.default_structure(IMAGE) == {"cmd": 1}
    assert processes.default_structure(BuildInfo("x", procfile={"worker": "w"})) == {"cmd": 1}


def test_desired_structure_drops_types_the_build_lost():
    assert processes.desired_structure({"web": 2, "old": 1}, PROCFILE) == {"web": 2}
    assert processes.desired_structure({}, IMAGE) == {"cmd": 1}
    assert processes.desired_structure({"web": 0}, PROCFILE) == {"web": 0}


def test_commands():
    assert processes.command(PROCFILE, "web") == ["sh", "-c", "./server --port $PORT"]
    assert processes.command(IMAGE, "cmd") is None
    assert processes.command(SLUG, "web") == ["start", "web"]


def test_port_from_config_then_image_then_default():
    assert processes.port({"PORT": "8080"}, 80) == 8080
    assert processes.port({"PORT": "nope"}, 80) == 80
    assert processes.port({}, None) == 5000


def test_environment_carries_config_and_platform_variables():
    env = processes.environment("app", 3, {"A": "1", "DEIS_RELEASE": "forged"}, "abc", 5000)
    assert env == {"A": "1", "DEIS_APP": "app", "DEIS_RELEASE": "v3", "PORT": "5000", "GIT_SHA": "abc"}
    assert "GIT_SHA" not in processes.environment("app", 3, {}, "", 5000)


def test_spec_of_a_web_container():
    spec = processes.spec("app", 3, PROCFILE, CONFIG, "web", 2)
    assert spec.name == "app_v3.web.2"
    assert spec.labels == {"deis.app": "app", "deis.release": "v3", "deis.type": "web", "deis.num": "2"}
    assert (spec.port, spec.memory, spec.cpu_shares, spec.restart) == (5000, 64 * 1024 ** 2, 256, True)
    assert spec.environment["GREETING"] == "hi"


def test_workers_are_not_published():
    assert processes.spec("app", 3, PROCFILE, CONFIG, "worker", 1).port is None


def test_run_spec_passes_the_command_as_one_argument():
    spec = processes.run_spec("app", 3, IMAGE, CONFIG, 4, "echo 'a'; rm -rf /tmp/x")
    assert spec.name == "app_v3.run.4"
    assert spec.entrypoint == ["/bin/sh", "-c"] and spec.command == ["echo 'a'; rm -rf /tmp/x"]
    assert spec.restart is False and spec.port is None
    assert processes.run_spec("app", 3, SLUG, CONFIG, 1, "ls").entrypoint == ["/runner/init"]


def test_parse_scale():
    assert processes.parse_scale({"web": 3, "worker": "2"}, PROCFILE) == {"web": 3, "worker": 2}
    with pytest.raises(BadRequest, match="Container type db does not exist in application"):
        processes.parse_scale({"db": 1}, PROCFILE)
    for bad in ({"web": -1}, {"web": "x"}, {"web": True}, {}):
        with pytest.raises(BadRequest, match="Invalid scaling format"):
            processes.parse_scale(bad, PROCFILE)


def test_scale_plan_adds_after_the_highest_and_removes_the_highest():
    added, removed = processes.scale_plan({"web": [1, 2, 5]}, {"web": 5, "worker": 1})
    assert added == [("web", 6), ("web", 7), ("worker", 1)] and removed == []
    added, removed = processes.scale_plan({"web": [1, 2, 5]}, {"web": 1})
    assert added == [] and removed == [("web", 5), ("web", 2)]


LIMITS = processes.ScaleLimits(per_type=100, per_app=150)


@pytest.mark.parametrize("count", ["99999999999999999999999", 10 ** 23, "9" * 5000, 101])
def test_scale_counts_above_the_per_type_limit_are_refused_with_the_limit(count):
    with pytest.raises(BadRequest, match="at most 100 containers of one process type"):
        processes.parse_scale({"web": count}, PROCFILE, {}, LIMITS)


def test_scale_counts_the_types_left_alone_against_the_per_app_limit():
    assert processes.parse_scale({"web": 100}, PROCFILE, {"worker": 50}, LIMITS) == {"web": 100}
    with pytest.raises(BadRequest, match="Cannot scale to 151 containers in all: at most 150"):
        processes.parse_scale({"web": 100}, PROCFILE, {"worker": 51}, LIMITS)
    assert processes.parse_scale({"web": 100, "worker": 0}, PROCFILE, {"worker": 51}, LIMITS) == \
        {"web": 100, "worker": 0}


@pytest.mark.parametrize("count", ["²", " 3", "3 ", 2.0])
def test_scale_counts_are_ascii_digits(count):
    with pytest.raises(BadRequest, match="Invalid scaling format"):
        processes.parse_scale({"web": count}, PROCFILE)
