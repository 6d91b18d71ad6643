"""``deis apps:run``: a one-off command in a new container (``POST /v1/apps/<id>/run/``)."""

from __future__ import annotations

import sys

import click

from deis.cli.context import State, app_option, pass_state
from deis.client import app_path

__all__ = ["run"]


@click.command("apps:run", context_settings={"ignore_unknown_options": True})
@app_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_state
def run(state: State, app: str | None, command: tuple[str, ...]) -> None:
    """Run a one-off command in a new container of the app; exit with its exit code.

    Put -- before a command that has options of its own.

    Example: deis run -a myapp -- ls -la
    """
    line = " ".join(command)
    click.echo(f"Running '{line}'...")
    exit_code, output = state.client.post(app_path(state.app(app), "run"), {"command": line})
    click.echo(output, nl=False)
    sys.stdout.flush()
    sys.exit(int(exit_code))
