"""deis users:list — real controller."""

pytest_plugins = ["tests.integration.cli_conftest"]


def test_users_list_as_admin(admin, alice, bob):
    assert admin("users").stdout == "=== Users\nadmin\nalice\nbob\n"


def test_users_list_limited_counts(admin, alice, bob):
    assert admin("users:list", "-l", "1").stdout == "=== Users (1 of 3)\nadmin\n"


def test_users_list_as_non_admin_is_403(alice):
    result = alice("users:list")
    assert result.exit_code == 1
    assert result.stderr == ("Error: \n403 FORBIDDEN\n"
                             "detail: You do not have permission to perform this action.\n")
