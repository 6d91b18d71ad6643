"""``deis auth:*``: register, log in and out, who am I, password, token, cancel (``/v1/auth/``)."""

from __future__ import annotations

import click

from deis.cli.context import State, pass_state
from deis.cli.errors import CLIError, failure_prefix, translate
from deis.client import Client, ControllerError, NotLoggedIn, Session, normalize_controller

__all__ = ["register", "login", "logout", "whoami", "passwd", "cancel", "regenerate"]

ssl_verify_option = click.option("--ssl-verify", type=click.BOOL, default=True, show_default=True,
                                  help="Check the controller's TLS certificate (false for self-signed ones).")


def ask_password(label: str, confirm: bool, mismatch: str) -> str:
    """Prompt for a password without echo, twice when ``confirm`` (v1's ``(confirm)`` prompt)."""
    password = click.prompt(label, hide_input=True)
    if confirm and click.prompt(f"{label} (confirm)", hide_input=True) != password:
        raise CLIError(mismatch)
    return password


def log_in(state: State, client: Client, username: str, password: str) -> None:
    """Exchange credentials for a token, save the session and say so."""
    token = client.post("/v1/auth/login/", {"username": username, "password": password})["token"]
    state.save(Session(client.controller, token, username, ssl_verify=client.verify))
    click.echo(f"Logged in as {username}")


def _registering_client(state: State, controller: str, verify: bool) -> Client:
    """Return a client for registration, with the saved token when it is for the same controller.

    In ``admin_only`` mode only an administrator's token may register others.
    """
    client = state.anonymous(controller, verify)
    client.check_connection()
    try:
        session = state.session()
    except NotLoggedIn:
        return client
    if normalize_controller(session.controller) == client.controller:
        client.token = session.token
    return client


@click.command("auth:register")
@click.argument("controller")
@click.option("--username", help="The account name (prompted for if not given).")
@click.option("--password", help="The password (prompted for twice if not given).")
@click.option("--email", help="The account's email address (prompted for if not given).")
@ssl_verify_option
@pass_state
def register(state: State, controller: str, username: str | None, password: str | None,
             email: str | None, ssl_verify: bool) -> None:
    """Register a new account on a controller and log in.

    Example: deis register http://deis.example.com --username=alice --email=alice@example.com
    """
    client = _registering_client(state, controller, ssl_verify)
    username = username or click.prompt("username")
    password = password or ask_password("password", True, "Password mismatch, aborting registration.")
    email = email or click.prompt("email")
    with failure_prefix("Registration failed: "):
        client.post("/v1/auth/register/", {"username": username, "password": password, "email": email})
    click.echo(f"Registered {username}")
    client.token = None
    log_in(state, client, username, password)


@click.command("auth:login")
@click.argument("controller")
@click.option("--username", help="The account name (prompted for if not given).")
@click.option("--password", help="The password (prompted for if not given).")
@ssl_verify_option
@pass_state
def login(state: State, controller: str, username: str | None, password: str | None, ssl_verify: bool) -> None:
    """Log in to a controller and remember the token.

    Example: deis login http://deis.example.com --username=alice
    """
    client = state.anonymous(controller, ssl_verify)
    client.check_connection()
    username = username or click.prompt("username")
    password = password or click.prompt("password", hide_input=True)
    log_in(state, client, username, password)


@click.command("auth:logout")
@pass_state
def logout(state: State) -> None:
    """Log out: forget the saved token.

    Example: deis logout
    """
    state.path.unlink(missing_ok=True)
    click.echo("Logged out")


@click.command("auth:whoami")
@pass_state
def whoami(state: State) -> None:
    """Show the logged-in user and controller.

    Example: deis whoami
    """
    session = state.session()
    click.echo(f"You are {session.username} at {session.controller}")


@click.command("auth:passwd")
@click.option("--username", help="Another user whose password to change (administrators only).")
@click.option("--password", help="The current password (prompted for if not given).")
@click.option("--new-password", help="The new password (prompted for twice if not given).")
@pass_state
def passwd(state: State, username: str | None, password: str | None, new_password: str | None) -> None:
    """Change a password (yours, or as an administrator anyone's).

    Example: deis auth:passwd
    """
    client = state.client
    if password is None and username is None:
        password = click.prompt("current password", hide_input=True)
    new_password = new_password or ask_password("new password", True, "Password mismatch, not changing.")
    body = {"new_password": new_password, **({"password": password} if password else {}),
            **({"username": username} if username else {})}
    with failure_prefix("Password change failed: "):
        client.post("/v1/auth/passwd/", body)
    click.echo("Password change succeeded.")


@click.command("auth:cancel")
@click.option("--username", help="The account to cancel (administrators: anyone's; default yours).")
@click.option("--password", help="The password of --username, to cancel that account as its owner.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def cancel(state: State, username: str | None, password: str | None, yes: bool) -> None:
    """Cancel an account (yours by default); it must own no apps.

    Example: deis auth:cancel --yes
    """
    client = state.client
    if username is None or password is not None:
        click.echo("Please log in again in order to cancel this account")
        log_in(state, client, username or click.prompt("username"),
               password or click.prompt("password", hide_input=True))
        client, username = state.client, None
    target = username or client_username(state)
    if not yes and not click.confirm(f"cancel account {target} at {client.controller}?", default=False):
        click.echo("Account not changed")
        return
    _delete_account(client, target, username)
    if username is None or username == client_username(state):
        state.path.unlink(missing_ok=True)
    click.echo("Account cancelled")


def client_username(state: State) -> str:
    """Return the logged-in username."""
    return state.session().username


def _delete_account(client: Client, target: str, username: str | None) -> None:
    try:
        client.delete("/v1/auth/cancel/", {"username": username} if username else None)
    except ControllerError as exc:
        if exc.status == 409:
            raise CLIError(f"{target} still has application associated with it. "
                           "Transfer ownership or delete them first") from None
        raise translate(exc) from None


@click.command("auth:regenerate")
@click.option("-u", "--username", help="Regenerate this user's token (administrators only).")
@click.option("--all", "everyone", is_flag=True, help="Regenerate every user's token (administrators only).")
@pass_state
def regenerate(state: State, username: str | None, everyone: bool) -> None:
    """Issue a new API token, revoking the old one.

    Example: deis auth:regenerate
    """
    body = {"all": True} if everyone else {"username": username} if username else {}
    answer = state.client.post("/v1/auth/tokens/", body)
    if not body:
        session = state.session()
        session.token = answer["token"]
        state.save(session)
    click.echo("Token Regenerated")
