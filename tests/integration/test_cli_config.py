"""deis config, limits, tags (all on /v1/apps/<id>/config/) — real controller, etcd and Docker."""

import pytest

pytest_plugins = ["tests.integration.cli_conftest"]


@pytest.fixture
def myapp(alice, controller):
    controller.require("POST", "/v1/apps/myapp/config/")
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    return "myapp"


# deis config:set, config:list
def test_config_set_makes_a_release_and_lists(alice, myapp):
    result = alice("config:set", "PORT=5000", "GREETING=hello world", "-a", myapp)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Creating config... done, v2"
    assert lines[2:] == ["=== myapp Config", "GREETING      hello world", "PORT          5000"]


def test_config_list_oneline(alice, myapp):
    alice("config:set", "A=1", "B=2", "-a", myapp)
    assert alice("config", "-a", myapp, "--oneline").stdout == "A=1 B=2\n"


def test_config_values_with_quotes_newlines_and_unicode_survive(alice, myapp):
    value = "it's \"quoted\"\nand ünïcode ✓"
    alice("config:set", f"ODD={value}", "-a", myapp)
    assert f"ODD={value}" in alice("config", "-a", myapp, "--oneline").stdout


# deis config:unset
def test_config_unset_removes_keys(alice, myapp):
    alice("config:set", "A=1", "B=2", "-a", myapp)
    result = alice("config:unset", "A", "-a", myapp)
    assert result.stdout.startswith("Removing config... done\n\n=== myapp Config\n")
    assert alice("config", "-a", myapp, "--oneline").stdout == "B=2\n"


# deis config:pull, config:push
def test_config_pull_writes_env_file_and_push_sets_it(alice, myapp, cli_env):
    alice("config:set", "A=1", "-a", myapp)
    assert alice("config:pull", "-a", myapp).exit_code == 0
    assert (cli_env / ".env").read_text() == "A=1\n"
    (cli_env / ".env").write_text("A=1\nB=from file\n")
    assert alice("config:push", "-a", myapp).exit_code == 0
    assert alice("config", "-a", myapp, "--oneline").stdout == "A=1 B=from file\n"


def test_config_on_someone_elses_app_is_403(alice, bob, myapp):
    result = bob("config:set", "A=1", "-a", myapp)
    assert result.exit_code == 1 and "403 FORBIDDEN" in result.stderr


# deis limits
def test_limits_set_list_unset(alice, myapp):
    result = alice("limits:set", "web=256M", "-a", myapp)
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Applying limits... done\n\n=== myapp Limits\n\n--- Memory\nweb     256M\n\n"
                             "--- CPU\nUnlimited\n")
    assert alice("limits:unset", "web", "-a", myapp).stdout.endswith("--- Memory\nUnlimited\n\n--- CPU\nUnlimited\n")


def test_limits_invalid_memory_is_400(alice, myapp):
    result = alice("limits:set", "web=lots", "-a", myapp)
    assert result.exit_code == 1 and "400 BAD REQUEST" in result.stderr


# deis tags
def test_tags_set_and_unset(alice, myapp):
    assert alice("tags:set", "environ=prod", "-a", myapp).stdout == \
        "Applying tags... done\n\n=== myapp Tags\nenviron     prod\n"
    assert alice("tags:unset", "environ", "-a", myapp).stdout == "Applying tags... done\n\n=== myapp Tags\n"
