"""deis register, login, logout, whoami, auth:passwd, auth:regenerate, auth:cancel — against a real controller."""

import json
import stat

pytest_plugins = ["tests.integration.cli_conftest"]


# deis register
def test_register_first_user_says_registered_and_logged_in(anonymous, controller):
    result = anonymous.register("admin")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Registered admin\nLogged in as admin\n"
    session_file = anonymous.home / ".deis" / "client.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert json.loads(session_file.read_text()) == {
        "controller": controller.url, "token": anonymous.token, "username": "admin",
        "ssl_verify": True, "response_limit": 100}


def test_register_taken_username_fails_with_v1_error(admin, make_deis):
    result = make_deis().register("admin")
    assert result.exit_code == 1
    assert result.stderr == "Error: Registration failed: \n400 BAD REQUEST\nusername: This field must be unique.\n"


def test_register_prompts_and_refuses_mismatched_passwords(anonymous, controller):
    result = anonymous("register", controller.url, input="carol\none\ntwo\n")
    assert result.exit_code == 1
    assert "Password mismatch, aborting registration." in result.stderr


def test_register_against_something_else_than_a_controller_fails(anonymous):
    result = anonymous("register", "http://127.0.0.1:9", "--username", "x", "--password", "y", "--email", "e")
    assert result.exit_code == 1
    assert "Could not reach the controller at 'http://127.0.0.1:9'" in result.stderr


# deis login
def test_login_prompts_for_credentials(admin, make_deis, controller, password):
    person = make_deis()
    result = person("login", controller.url, input=f"admin\n{password}\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Logged in as admin\n")
    assert person.token


def test_login_with_wrong_password_prints_v1_error(admin, make_deis, controller):
    result = make_deis()("login", controller.url, "--username", "admin", "--password", "wrong")
    assert result.exit_code == 1
    assert result.stderr == ("Error: \n400 BAD REQUEST\n"
                             "non_field_errors: Unable to log in with provided credentials.\n")


# deis whoami, logout
def test_whoami_names_user_and_controller(alice, controller):
    assert alice("whoami").stdout == f"You are alice at {controller.url}\n"


def test_logout_forgets_the_session(alice):
    assert alice("logout").stdout == "Logged out\n"
    result = alice("apps")
    assert result.exit_code == 1
    assert "Not logged in. Use 'deis login' or 'deis register' to get started." in result.stderr


# deis auth:passwd
def test_auth_passwd_changes_the_password(alice, controller, password):
    result = alice("auth:passwd", "--password", password, "--new-password", "n3w pass")
    assert result.stdout == "Password change succeeded.\n"
    assert alice("login", controller.url, "--username", "alice", "--password", "n3w pass").exit_code == 0


def test_auth_passwd_with_wrong_current_password_fails(alice):
    result = alice("auth:passwd", "--password", "wrong", "--new-password", "x")
    assert result.exit_code == 1
    assert result.stderr == ("Error: Password change failed: \n400 BAD REQUEST\n"
                             "detail: Current password does not match\n")


# deis auth:regenerate
def test_auth_regenerate_saves_the_new_token(alice):
    old = alice.token
    assert alice("auth:regenerate").stdout == "Token Regenerated\n"
    assert alice.token != old
    assert alice("apps").exit_code == 0


def test_auth_regenerate_all_logs_everyone_out(admin, alice):
    assert admin("auth:regenerate", "--all").exit_code == 0
    result = alice("apps")
    assert result.exit_code == 1
    assert "401 UNAUTHORIZED" in result.stderr


def test_auth_regenerate_for_another_user_needs_admin(alice, bob):
    result = alice("auth:regenerate", "-u", "bob")
    assert result.exit_code == 1
    assert "403 FORBIDDEN" in result.stderr


# deis auth:cancel
def test_auth_cancel_after_logging_in_again(alice, password):
    result = alice("auth:cancel", "--yes", input=f"alice\n{password}\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Account cancelled\n")
    assert not (alice.home / ".deis" / "client.json").exists()


def test_auth_cancel_asks_and_keeps_account_on_no(alice):
    result = alice("auth:cancel", "--username", "alice", input="n\n")
    assert "cancel account alice at" in result.stdout
    assert result.stdout.endswith("Account not changed\n")


def test_auth_cancel_while_owning_apps_says_transfer_first(alice):
    assert alice("apps:create", "myapp", "--no-remote").exit_code == 0
    result = alice("auth:cancel", "--username", "alice", "--yes")
    assert result.exit_code == 1
    assert "alice still has application associated with it. Transfer ownership or delete them first" \
        in result.stderr


def test_auth_cancel_another_user_as_admin(admin, bob):
    assert admin("auth:cancel", "--username", "bob", "--yes").stdout == "Account cancelled\n"
    assert bob("apps").exit_code == 1
