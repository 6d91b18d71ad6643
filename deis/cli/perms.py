"""``deis perms:*``: who shares an app (``/v1/apps/<id>/perms/``), who administers (``/v1/admin/perms/``)."""

from __future__ import annotations

import click

from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.output import header
from deis.client import app_path, segment

__all__ = ["list_perms", "create", "delete"]

admin_option = click.option("--admin", is_flag=True, help="Act on system administrators instead of an app.")


def _check(app: str | None, admin: bool) -> None:
    if app and admin:
        raise click.UsageError("Give either -a <app> or --admin, not both.")


@click.command("perms:list")
@app_option
@admin_option
@limit_option
@pass_state
def list_perms(state: State, app: str | None, admin: bool, limit: int | None) -> None:
    """List an app's collaborators, or with --admin the administrators.

    Example: deis perms:list -a myapp
    """
    _check(app, admin)
    if admin:
        listing = state.client.list("/v1/admin/perms/", limit)
        click.echo(header("Administrators", len(listing.results), listing.count))
        users = [user["username"] for user in listing.results]
    else:
        app = state.app(app)
        users = state.client.get(app_path(app, "perms"))["users"]
        click.echo(f"=== {app}'s Users")
    for user in sorted(users):
        click.echo(user)


@click.command("perms:create")
@click.argument("username")
@app_option
@admin_option
@pass_state
def create(state: State, username: str, app: str | None, admin: bool) -> None:
    """Share an app with a user, or with --admin make them an administrator.

    Example: deis perms:create bob -a myapp
    """
    _check(app, admin)
    if admin:
        click.echo(f"Adding {username} to system administrators... ", nl=False)
        state.client.post("/v1/admin/perms/", {"username": username})
    else:
        app = state.app(app)
        click.echo(f"Adding {username} to {app} collaborators... ", nl=False)
        state.client.post(app_path(app, "perms"), {"username": username})
    click.echo("done")


@click.command("perms:delete")
@click.argument("username")
@app_option
@admin_option
@pass_state
def delete(state: State, username: str, app: str | None, admin: bool) -> None:
    """Stop sharing an app with a user, or with --admin take administrator rights away.

    Example: deis perms:delete bob -a myapp
    """
    _check(app, admin)
    if admin:
        click.echo(f"Removing {username} from system administrators... ", nl=False)
        state.client.delete(f"/v1/admin/perms/{segment(username)}")
    else:
        app = state.app(app)
        click.echo(f"Removing {username} from {app} collaborators... ", nl=False)
        state.client.delete(app_path(app, "perms") + segment(username))
    click.echo("done")

