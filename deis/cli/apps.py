"""``deis apps:*``: create, list, info, open, logs, run, destroy, transfer (``/v1/apps/``)."""

from __future__ import annotations

import time
import webbrowser
from collections.abc import Mapping
from typing import Any

import click

from deis.cli import domains, ps, remote
from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.errors import CLIError
from deis.cli.output import header, progress
from deis.client import app_path

__all__ = ["create", "list_apps", "info", "open_app", "destroy", "transfer"]

#: Go's ``fmt.Println("updated: ", ...)`` labels; Println adds one more space.
INFO_FIELDS = (("updated: ", "updated"), ("uuid:    ", "uuid"), ("created: ", "created"),
               ("url:     ", "url"), ("owner:   ", "owner"), ("id:      ", "id"))


def format_info(app: Mapping[str, Any]) -> str:
    """Return v1's ``=== <id> Application`` block."""
    lines = [f"=== {app['id']} Application"]
    lines += [f"{label} {app.get(key)}" for label, key in INFO_FIELDS]
    return "\n".join(lines) + "\n"


@click.command("apps:create")
@click.argument("app_id", metavar="[<id>]", required=False)
@click.option("--no-remote", is_flag=True, help="Do not add a git remote for the app.")
@click.option("-r", "--remote", "remote_name", default=remote.DEFAULT_REMOTE, show_default=True,
              help="The name of the git remote to add.")
@click.option("-b", "--buildpack", metavar="<url>", help="A buildpack to build with (sets BUILDPACK_URL).")
@pass_state
def create(state: State, app_id: str | None, no_remote: bool, remote_name: str, buildpack: str | None) -> None:
    """Create an app (named randomly unless an id is given) and add its git remote.

    Example: deis apps:create myapp
    """
    client = state.client
    with progress("Creating Application... "):
        app = client.post("/v1/apps/", {"id": app_id} if app_id else {})
    click.echo(f"done, created {app['id']}")
    if buildpack:
        client.post(app_path(app["id"], "config"), {"values": {"BUILDPACK_URL": buildpack}})
    url = remote.remote_url(client.host, app["id"])
    if not no_remote:
        remote.add_remote(remote_name, url)
        click.echo(f"Git remote {remote_name} added")
    click.echo(f"remote available at {url}")


@click.command("apps:list")
@limit_option
@pass_state
def list_apps(state: State, limit: int | None) -> None:
    """List the apps you can see.

    Example: deis apps:list
    """
    listing = state.client.list("/v1/apps/", limit)
    click.echo(header("Apps", len(listing.results), listing.count))
    for app_id in sorted(app["id"] for app in listing.results):
        click.echo(app_id)


@click.command("apps:info")
@app_option
@pass_state
def info(state: State, app: str | None) -> None:
    """Show an app: its fields, processes and domains.

    Example: deis apps:info -a myapp
    """
    app = state.app(app)
    click.echo(format_info(state.client.get(app_path(app))))
    ps.print_processes(state, app, None)
    click.echo()
    domains.print_domains(state, app, None)
    click.echo()


@click.command("apps:open")
@app_option
@pass_state
def open_app(state: State, app: str | None) -> None:
    """Open the app's URL in a browser.

    Example: deis apps:open -a myapp
    """
    url = state.client.get(app_path(state.app(app)))["url"]
    webbrowser.open(f"http://{url}")


@click.command("apps:destroy")
@app_option
@click.option("--confirm", metavar="<app>", help="Skip the prompt by naming the app to destroy.")
@pass_state
def destroy(state: State, app: str | None, confirm: str | None) -> None:
    """Destroy an app, its containers, releases and logs.

    Example: deis apps:destroy -a myapp --confirm=myapp
    """
    app, remote_name = state.app_and_remote(app)
    if confirm is None:
        click.echo(f" !    WARNING: Potentially Destructive Action\n"
                   f" !    This command will destroy the application: {app}\n"
                   f' !    To proceed, type "{app}" or re-run this command with --confirm={app}\n')
        confirm = click.prompt(">", default="", show_default=False)
    if confirm != app:
        raise CLIError(f"App {app} does not match confirm {confirm}, aborting.")
    started = time.monotonic()
    click.echo(f"Destroying {app}...")
    state.client.delete(app_path(app))
    click.echo(f"done in {int(time.monotonic() - started)}s")
    if remote_name is not None:
        remote.remove_remote(remote_name)
        click.echo(f"Git remote {remote_name} removed")


@click.command("apps:transfer")
@click.argument("username")
@app_option
@pass_state
def transfer(state: State, username: str, app: str | None) -> None:
    """Give an app to another user.

    Example: deis apps:transfer bob -a myapp
    """
    app = state.app(app)
    click.echo(f"Transferring {app} to {username}... ", nl=False)
    state.client.post(app_path(app), {"owner": username})
    click.echo("done")
