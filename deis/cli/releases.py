"""``deis releases:*``: an app's release history, and rollback (``/v1/apps/<id>/releases/``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import click

from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.output import header, progress, tab_columns
from deis.client import app_path

__all__ = ["list_releases", "info", "rollback"]

INFO_FIELDS = (("build:  ", "build"), ("config: ", "config"), ("owner:  ", "owner"), ("created:", "created"),
               ("summary:", "summary"), ("updated:", "updated"), ("uuid:   ", "uuid"))


def parse_version(text: str) -> int:
    """Return the number of a release written ``v3`` or ``3``."""
    match = re.fullmatch(r"v?(\d+)", text.strip())
    if match is None:
        raise click.BadParameter(f"{text!r} is not a release version (e.g. v3).")
    return int(match.group(1))


def format_releases(app: str, releases: Sequence[Mapping[str, Any]], count: int) -> str:
    """Return ``=== <app> Releases`` and tab-aligned ``v3  <created>  <summary>`` rows."""
    rows = [(f"v{r['version']}", str(r["created"]), str(r.get("summary") or "")) for r in releases]
    return header(f"{app} Releases", len(releases), count) + "\n" + tab_columns(rows)


def format_release(app: str, release: Mapping[str, Any]) -> str:
    """Return v1's ``=== <app> Release v<N>`` block (``build:`` only when there is one)."""
    lines = [f"=== {app} Release v{release['version']}"]
    lines += [f"{label} {release.get(key)}" for label, key in INFO_FIELDS if key != "build" or release.get(key)]
    return "\n".join(lines) + "\n"


@click.command("releases:list")
@app_option
@limit_option
@pass_state
def list_releases(state: State, app: str | None, limit: int | None) -> None:
    """List an app's releases, newest first.

    Example: deis releases:list -a myapp
    """
    app = state.app(app)
    listing = state.client.list(app_path(app, "releases"), limit)
    click.echo(format_releases(app, listing.results, listing.count), nl=False)


@click.command("releases:info")
@click.argument("version", metavar="<vN>")
@app_option
@pass_state
def info(state: State, version: str, app: str | None) -> None:
    """Show one release: its build, config, owner and summary.

    Example: deis releases:info v3 -a myapp
    """
    app = state.app(app)
    release = state.client.get(app_path(app, "releases", f"v{parse_version(version)}"))
    click.echo(format_release(app, release), nl=False)


@click.command("releases:rollback")
@click.argument("version", required=False, metavar="[<vN>]")
@app_option
@pass_state
def rollback(state: State, version: str | None, app: str | None) -> None:
    """Roll back to an earlier release (default: the one before the latest), as a new release.

    Example: deis rollback v2 -a myapp
    """
    app = state.app(app)
    number = parse_version(version) if version else None
    message = f"Rolling back to v{number}... " if number is not None else "Rolling back one release... "
    with progress(message):
        answer = state.client.post(app_path(app, "releases", "rollback"),
                                   {"version": number} if number is not None else {})
    click.echo(f"done, v{answer['version']}")
