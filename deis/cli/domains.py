"""``deis domains:*``: custom domains of an app (``/v1/apps/<id>/domains/``)."""

from __future__ import annotations

import click

from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.output import header
from deis.client import app_path, segment

__all__ = ["list_domains", "add", "remove"]


def print_domains(state: State, app: str, limit: int | None) -> None:
    """Print ``=== <app> Domains`` and one domain per line."""
    listing = state.client.list(app_path(app, "domains"), limit)
    click.echo(header(f"{app} Domains", len(listing.results), listing.count))
    for domain in listing.results:
        click.echo(domain["domain"])


@click.command("domains:list")
@app_option
@limit_option
@pass_state
def list_domains(state: State, app: str | None, limit: int | None) -> None:
    """List an app's custom domains.

    Example: deis domains:list -a myapp
    """
    print_domains(state, state.app(app), limit)


@click.command("domains:add")
@click.argument("domain")
@app_option
@pass_state
def add(state: State, domain: str, app: str | None) -> None:
    """Route a domain to the app.

    Example: deis domains:add www.example.com -a myapp
    """
    app = state.app(app)
    click.echo(f"Adding {domain} to {app}... ", nl=False)
    state.client.post(app_path(app, "domains"), {"domain": domain})
    click.echo("done")


@click.command("domains:remove")
@click.argument("domain")
@app_option
@pass_state
def remove(state: State, domain: str, app: str | None) -> None:
    """Stop routing a domain to the app.

    Example: deis domains:remove www.example.com -a myapp
    """
    app = state.app(app)
    click.echo(f"Removing {domain} from {app}... ", nl=False)
    state.client.delete(app_path(app, "domains") + segment(domain))
    click.echo("done")
