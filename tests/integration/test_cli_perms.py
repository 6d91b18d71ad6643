"""deis perms:list, perms:create, perms:delete (app collaborators and --admin) — real controller."""

import pytest

pytest_plugins = ["tests.integration.cli_conftest"]


@pytest.fixture
def myapp(alice):
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    return "myapp"


# deis perms:create
def test_perms_create_shares_the_app(alice, bob, myapp):
    assert alice("perms:create", "bob", "-a", myapp).stdout == "Adding bob to myapp collaborators... done\n"
    assert alice("perms", "-a", myapp).stdout == "=== myapp's Users\nbob\n"
    assert bob("apps").stdout == "=== Apps\nmyapp\n"


def test_sharing_add_shortcut(alice, bob, myapp):
    assert alice("sharing:add", "bob", "-a", myapp).exit_code == 0
    assert alice("sharing:list", "-a", myapp).stdout == "=== myapp's Users\nbob\n"


def test_perms_create_unknown_user_is_404(alice, myapp):
    result = alice("perms:create", "ghost", "-a", myapp)
    assert result.exit_code == 1 and "404 NOT FOUND" in result.stderr


def test_perms_create_by_collaborator_is_403(alice, bob, make_deis, myapp):
    carol = make_deis("carol")
    alice("perms:create", "bob", "-a", myapp)
    result = bob("perms:create", "carol", "-a", myapp)
    assert result.exit_code == 1 and "403 FORBIDDEN" in result.stderr
    assert carol("apps").stdout == "=== Apps\n"


# deis perms:delete
def test_perms_delete_unshares_the_app(alice, bob, myapp):
    alice("perms:create", "bob", "-a", myapp)
    assert alice("perms:delete", "bob", "-a", myapp).stdout == "Removing bob from myapp collaborators... done\n"
    assert alice("perms", "-a", myapp).stdout == "=== myapp's Users\n"


def test_perms_delete_collaborator_removes_themself(alice, bob, myapp):
    alice("perms:create", "bob", "-a", myapp)
    assert bob("perms:delete", "bob", "-a", myapp).exit_code == 0
    assert bob("apps").stdout == "=== Apps\n"


# deis perms --admin
def test_perms_admin_list_create_delete(admin, alice):
    assert admin("perms:list", "--admin").stdout == "=== Administrators\nadmin\n"
    assert admin("perms:create", "alice", "--admin").stdout == "Adding alice to system administrators... done\n"
    assert admin("perms", "--admin").stdout == "=== Administrators\nadmin\nalice\n"
    assert admin("perms:delete", "alice", "--admin").stdout == \
        "Removing alice from system administrators... done\n"
    assert admin("perms", "--admin").stdout == "=== Administrators\nadmin\n"


def test_perms_admin_by_non_admin_is_403(alice):
    result = alice("perms:create", "alice", "--admin")
    assert result.exit_code == 1 and "403 FORBIDDEN" in result.stderr


def test_perms_app_and_admin_together_is_a_usage_error(admin):
    result = admin("perms:list", "--admin", "-a", "x")
    assert result.exit_code == 2
