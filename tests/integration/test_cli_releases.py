"""deis releases, releases:info, rollback, builds, pull — real controller, etcd and Docker."""

import re

import pytest

pytest_plugins = ["tests.integration.cli_conftest"]


@pytest.fixture
def myapp(alice, controller):
    controller.require("GET", "/v1/apps/myapp/releases/")
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    return "myapp"


# deis releases:list
def test_releases_list_newest_first(alice, myapp):
    alice("config:set", "A=1", "-a", myapp)
    lines = alice("releases", "-a", myapp).stdout.splitlines()
    assert lines[0] == "=== myapp Releases"
    assert re.fullmatch(r"v2\t\S+UTC\talice added A", lines[1])
    assert re.fullmatch(r"v1\t\S+UTC\talice created initial release", lines[2])


# deis releases:info
def test_releases_info(alice, myapp):
    lines = alice("releases:info", "v1", "-a", myapp).stdout.splitlines()
    assert lines[0] == "=== myapp Release v1"
    assert "owner:   alice" in lines


def test_releases_info_unknown_version_is_404(alice, myapp):
    result = alice("releases:info", "v9", "-a", myapp)
    assert result.exit_code == 1 and "404 NOT FOUND" in result.stderr


# deis releases:rollback
def test_rollback_without_a_build_is_400(alice, myapp):
    alice("config:set", "A=1", "-a", myapp)
    result = alice("rollback", "-a", myapp)
    assert result.stdout == "Rolling back one release... "
    assert result.exit_code == 1 and "400 BAD REQUEST\ndetail: v1 has no build to roll back to" in result.stderr


def test_rollback_makes_a_new_release(alice, deployed):
    alice("config:set", "A=1", "-a", deployed)
    assert alice("rollback", "-a", deployed).stdout == "Rolling back one release... done, v4\n"
    assert alice("config", "-a", deployed, "--oneline").stdout == "\n"
    assert alice("releases:rollback", "v3", "-a", deployed).stdout == "Rolling back to v3... done, v5\n"


# deis builds:create (deis pull), builds:list
def test_pull_of_an_image_that_cannot_start_prints_the_503(alice, myapp, base_image):
    result = alice("pull", base_image, "-a", myapp, "-p", "web: exit 3")
    assert result.exit_code == 1, result.output
    assert result.stdout == "Creating build... "
    # the detail names the check that failed (web.1 exited before it answered on its port) and the exit code
    assert result.stderr == (
        "Error: \n503 SERVICE UNAVAILABLE\ndetail: Deploying v2 failed and was undone: web.1 exited with code 3 "
        "before it answered on port 5000. Check 'deis logs' for the container's output, fix it and try again.\n")
    assert alice("releases", "-a", myapp).stdout.splitlines()[1].startswith("v1\t")


def test_pull_creates_a_build_and_release(alice, deployed):
    lines = alice("builds", "-a", deployed).stdout.splitlines()
    assert lines[0] == "=== myapp Builds" and len(lines) == 2
    assert "deployed deis-test/busybox" in alice("releases", "-a", deployed).stdout
