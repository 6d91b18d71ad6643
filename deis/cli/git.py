"""``deis git:remote``: add the git remote that ``git push`` deploys through."""

from __future__ import annotations

import click

from deis.cli import remote
from deis.cli.context import State, app_option, pass_state
from deis.client import app_path

__all__ = ["git_remote"]


@click.command("git:remote")
@app_option
@click.option("-r", "--remote", "remote_name", default=remote.DEFAULT_REMOTE, show_default=True,
              help="The name of the git remote to add.")
@pass_state
def git_remote(state: State, app: str | None, remote_name: str) -> None:
    """Add a git remote for an existing app.

    Example: deis git:remote -a myapp
    """
    app = state.app(app)
    state.client.get(app_path(app))
    remote.add_remote(remote_name, remote.remote_url(state.client.host, app))
    click.echo(f"Git remote {remote_name} added")
