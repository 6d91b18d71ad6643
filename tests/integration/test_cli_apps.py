"""deis apps:create, apps:list, apps:info, apps:open, apps:transfer, apps:destroy, git:remote — real controller."""

import re
import webbrowser

pytest_plugins = ["tests.integration.cli_conftest"]

REMOTE = "ssh://git@127.0.0.1:2222/{}.git"


# deis apps:create
def test_apps_create_adds_deis_remote(alice, repo, git_remotes):
    result = alice("apps:create", "myapp")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Creating Application... done, created myapp\nGit remote deis added\n"
                             f"remote available at {REMOTE.format('myapp')}\n")
    assert git_remotes()["deis"] == REMOTE.format("myapp")


def test_apps_create_without_remote(alice, repo, git_remotes):
    result = alice("create", "myapp", "--no-remote")
    assert result.stdout == ("Creating Application... done, created myapp\n"
                             f"remote available at {REMOTE.format('myapp')}\n")
    assert "deis" not in git_remotes()


def test_apps_create_with_named_remote(alice, repo, git_remotes):
    assert alice("create", "myapp", "-r", "staging").stdout.splitlines()[1] == "Git remote staging added"
    assert git_remotes()["staging"] == REMOTE.format("myapp")


def test_apps_create_random_name(alice):
    result = alice("create", "--no-remote")
    assert re.fullmatch(r"Creating Application\.\.\. done, created [a-z]+-[a-z]+", result.stdout.splitlines()[0])


def test_apps_create_with_existing_remote_hints_rename(alice, repo):
    alice("create", "first")
    result = alice("create", "second")
    assert result.exit_code == 1
    assert "git remote rename deis deis.old && deis git:remote -a second" in result.stderr


def test_apps_create_taken_id_prints_v1_error(alice, bob):
    alice("create", "myapp", "--no-remote")
    result = bob("create", "myapp", "--no-remote")
    assert result.exit_code == 1
    assert result.stderr == "Error: \n400 BAD REQUEST\nid: This field must be unique.\n"


def test_apps_create_reserved_name(alice):
    result = alice("create", "deis", "--no-remote")
    assert result.exit_code == 1 and "400 BAD REQUEST" in result.stderr


# deis apps:list
def test_apps_list_is_sorted_and_counts_when_limited(alice, bob):
    for name in ("zeta", "alpha", "mid"):
        alice("create", name, "--no-remote")
    bob("create", "bobs", "--no-remote")
    assert alice("apps").stdout == "=== Apps\nalpha\nmid\nzeta\n"
    assert alice("apps:list", "-l", "2").stdout.startswith("=== Apps (2 of 3)\n")


# deis apps:info
def test_apps_info_shows_app(alice, controller):
    alice("create", "myapp", "--no-remote")
    controller.require("GET", "/v1/apps/myapp/containers/")
    controller.require("GET", "/v1/apps/myapp/domains/")
    lines = alice("info", "-a", "myapp").stdout.splitlines()
    assert lines[0] == "=== myapp Application"
    assert "url:      myapp.example.com" in lines and "owner:    alice" in lines
    assert "=== myapp Processes" in lines and "=== myapp Domains" in lines


def test_apps_info_unknown_app_is_404(alice):
    result = alice("info", "-a", "ghost")
    assert result.exit_code == 1
    assert result.stderr == "Error: \n404 NOT FOUND\ndetail: Not found\n"


def test_apps_info_of_someone_elses_app_is_403(alice, bob):
    alice("create", "myapp", "--no-remote")
    result = bob("info", "-a", "myapp")
    assert result.exit_code == 1
    assert "403 FORBIDDEN" in result.stderr


# deis apps:open
def test_apps_open_opens_the_app_url(alice, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    alice("create", "myapp", "--no-remote")
    assert alice("open", "-a", "myapp").exit_code == 0
    assert opened == ["http://myapp.example.com"]


# deis apps:transfer
def test_apps_transfer_gives_the_app_away(alice, bob):
    alice("create", "myapp", "--no-remote")
    assert alice("apps:transfer", "bob", "-a", "myapp").stdout == "Transferring myapp to bob... done\n"
    assert bob("apps").stdout == "=== Apps\nmyapp\n"
    assert alice("apps").stdout == "=== Apps\n"


# deis apps:destroy
def test_apps_destroy_with_confirm(alice):
    alice("create", "myapp", "--no-remote")
    result = alice("destroy", "-a", "myapp", "--confirm=myapp")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Destroying myapp\.\.\.\ndone in \d+s\n", result.stdout)
    assert alice("apps").stdout == "=== Apps\n"


def test_apps_destroy_infers_app_from_git_remote_and_removes_it(alice, repo, git_remotes):
    alice("create", "myapp")
    result = alice("destroy", input="myapp\n")
    assert result.exit_code == 0, result.output
    assert " !    WARNING: Potentially Destructive Action" in result.stdout
    assert result.stdout.endswith("Git remote deis removed\n")
    assert "deis" not in git_remotes()


def test_apps_destroy_wrong_confirmation_aborts(alice):
    alice("create", "myapp", "--no-remote")
    result = alice("destroy", "-a", "myapp", "--confirm=other")
    assert result.exit_code == 1
    assert "App myapp does not match confirm other, aborting." in result.stderr
    assert alice("apps").stdout == "=== Apps\nmyapp\n"


def test_apps_destroy_by_collaborator_is_403(alice, bob):
    alice("create", "myapp", "--no-remote")
    alice("perms:create", "bob", "-a", "myapp")
    result = bob("destroy", "-a", "myapp", "--confirm=myapp")
    assert result.exit_code == 1 and "403 FORBIDDEN" in result.stderr


# app from the directory name
def test_app_defaults_to_the_directory_name(alice, bob, cli_env):
    assert alice("apps:transfer", "bob").stderr.endswith("404 NOT FOUND\ndetail: Not found\n")
    alice("create", cli_env.name, "--no-remote")
    assert alice("apps:transfer", "bob").stdout == f"Transferring {cli_env.name} to bob... done\n"


# deis git:remote
def test_git_remote_adds_remote_for_existing_app(alice, repo, git_remotes):
    alice("create", "myapp", "--no-remote")
    assert alice("git:remote", "-a", "myapp").stdout == "Git remote deis added\n"
    assert git_remotes()["deis"] == REMOTE.format("myapp")
