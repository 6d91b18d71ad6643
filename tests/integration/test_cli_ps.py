"""deis ps, ps:scale, ps:restart, run, logs — real controller, etcd and Docker."""

import re

import pytest

pytest_plugins = ["tests.integration.cli_conftest"]


@pytest.fixture
def myapp(alice, controller):
    controller.require("POST", "/v1/apps/myapp/scale/")
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    return "myapp"


# deis ps:scale
def test_ps_scale_without_build_is_400(alice, myapp):
    result = alice("scale", "web=1", "-a", myapp)
    assert result.exit_code == 1
    assert "400 BAD REQUEST" in result.stderr


def test_ps_scale_then_list(alice, deployed):
    result = alice("scale", "web=2", "-a", deployed)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Scaling processes... but first, coffee!"
    assert re.fullmatch(r"done in \d+s", lines[1])
    assert lines[2:6] == ["=== myapp Processes", "--- web:", "web.1 up (v2)", "web.2 up (v2)"]


# deis ps:list, ps:restart
def test_ps_restart_one_type(alice, deployed):
    alice("scale", "web=1", "-a", deployed)
    result = alice("ps:restart", "web", "-a", deployed)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Restarting processes... but first, coffee!\n")
    assert "web.1 up" in alice("ps", "-a", deployed).stdout


# deis run
def test_run_prints_output_and_exits_with_its_code(alice, deployed, controller):
    controller.require("POST", "/v1/apps/myapp/run/")
    result = alice("run", "-a", deployed, "--", "echo", "hi")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Running 'echo hi'...\nhi\n"
    # the line runs under sh -c in a container of the app, and its exit code becomes deis's
    failed = alice("run", "-a", deployed, "--", "echo ran in $DEIS_APP; exit 3")
    assert failed.exit_code == 3, failed.output
    assert failed.stdout == "Running 'echo ran in $DEIS_APP; exit 3'...\nran in myapp\n"


def test_run_without_build_is_400(alice, myapp, controller):
    controller.require("POST", "/v1/apps/myapp/run/")
    result = alice("run", "-a", myapp, "ls")
    assert result.exit_code == 1 and "400 BAD REQUEST" in result.stderr


# deis logs
def test_logs_of_an_app_without_logger_prints_nothing(alice, myapp, controller):
    controller.require("GET", "/v1/apps/myapp/logs/")
    result = alice("logs", "-n", "10", "-a", myapp)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
