"""``deis users:list``: every account (administrators only; ``/v1/users/``)."""

from __future__ import annotations

import click

from deis.cli.context import State, limit_option, pass_state
from deis.cli.output import header

__all__ = ["list_users"]


@click.command("users:list")
@limit_option
@pass_state
def list_users(state: State, limit: int | None) -> None:
    """List all users (administrators only).

    Example: deis users:list
    """
    listing = state.client.list("/v1/users/", limit)
    click.echo(header("Users", len(listing.results), listing.count))
    for user in listing.results:
        click.echo(user["username"])
