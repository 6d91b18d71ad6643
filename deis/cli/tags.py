"""``deis tags:*``: scheduler placement tags (``tags`` of the app's config)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from deis.cli.config import parse_pairs
from deis.cli.context import State, app_option, pass_state
from deis.cli.output import pretty_tabs, progress
from deis.client import app_path

__all__ = ["list_tags", "set_tags", "unset_tags"]


def format_tags(app: str, tags: Mapping[str, Any]) -> str:
    """Return v1's ``=== <app> Tags`` block with aligned pairs."""
    return f"=== {app} Tags\n" + pretty_tabs({k: str(v) for k, v in tags.items()}, 5)


def print_tags(state: State, app: str) -> None:
    """Print the app's tags as ``tags:list`` does."""
    tags = state.client.get(app_path(app, "config")).get("tags") or {}
    click.echo(format_tags(app, tags), nl=False)


def apply_tags(state: State, app: str, tags: Mapping[str, Any]) -> None:
    """POST tag changes (``None`` unsets) and list the tags."""
    with progress("Applying tags... "):
        state.client.post(app_path(app, "config"), {"tags": dict(tags)})
    click.echo("done\n")
    print_tags(state, app)


@click.command("tags:list")
@app_option
@pass_state
def list_tags(state: State, app: str | None) -> None:
    """List an app's placement tags.

    Example: deis tags:list -a myapp
    """
    print_tags(state, state.app(app))


@click.command("tags:set")
@click.argument("pairs", nargs=-1, required=True, metavar="<key>=<value>...")
@app_option
@pass_state
def set_tags(state: State, pairs: tuple[str, ...], app: str | None) -> None:
    """Set placement tags: the app's containers run only on hosts with matching metadata.

    Example: deis tags:set environ=prod -a myapp
    """
    apply_tags(state, state.app(app), parse_pairs(pairs, "environ=prod"))


@click.command("tags:unset")
@click.argument("keys", nargs=-1, required=True, metavar="<key>...")
@app_option
@pass_state
def unset_tags(state: State, keys: tuple[str, ...], app: str | None) -> None:
    """Remove placement tags.

    Example: deis tags:unset environ -a myapp
    """
    apply_tags(state, state.app(app), dict.fromkeys(keys))
