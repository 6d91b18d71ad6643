"""``deis builds:*``: an app's builds; ``deis pull <image>`` deploys a Docker image (``/v1/apps/<id>/builds/``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.output import header, progress
from deis.client import app_path

__all__ = ["list_builds", "create"]


def parse_procfile(text: str) -> dict[str, str]:
    """Return ``{type: command}`` from Procfile lines ``type: command`` (blank and ``#`` lines skipped)."""
    processes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, sep, command = line.partition(":")
        if not sep or not kind.strip():
            raise click.BadParameter(f"Procfile line {number} {line!r} is not '<type>: <command>'.")
        processes[kind.strip()] = command.strip().strip("'\"")
    return processes


def format_builds(app: str, builds: Sequence[Mapping[str, Any]], count: int) -> str:
    """Return ``=== <app> Builds`` and ``<uuid> <created>`` lines."""
    lines = [header(f"{app} Builds", len(builds), count)]
    lines += [f"{build['uuid']} {build['created']}" for build in builds]
    return "\n".join(lines) + "\n"


@click.command("builds:list")
@app_option
@limit_option
@pass_state
def list_builds(state: State, app: str | None, limit: int | None) -> None:
    """List an app's builds, newest first.

    Example: deis builds:list -a myapp
    """
    app = state.app(app)
    listing = state.client.list(app_path(app, "builds"), limit)
    click.echo(format_builds(app, listing.results, listing.count), nl=False)


@click.command("builds:create")
@click.argument("image", metavar="<image>")
@app_option
@click.option("-p", "--procfile", metavar="<procfile>",
              help="Process types as Procfile text, e.g. \"web: ./server\" (default: ./Procfile if present).")
@pass_state
def create(state: State, image: str, app: str | None, procfile: str | None) -> None:
    """Deploy a Docker image from any registry the platform can reach, as a new build and release.

    Example: deis pull deis/example-go:latest -a myapp
    """
    app = state.app(app)
    if procfile is None and Path("Procfile").is_file():
        procfile = Path("Procfile").read_text()
    body: dict[str, Any] = {"image": image}
    if procfile:
        body["procfile"] = parse_procfile(procfile)
    with progress("Creating build... "):
        state.client.post(app_path(app, "builds"), body)
    click.echo("done")
