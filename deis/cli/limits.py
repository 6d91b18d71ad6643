"""``deis limits:*``: per-process-type memory and CPU limits (``memory``/``cpu`` of the app's config)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from deis.cli.config import parse_pairs
from deis.cli.context import State, app_option, pass_state
from deis.cli.output import pretty_tabs, progress
from deis.client import app_path

__all__ = ["list_limits", "set_limits", "unset_limits"]


def format_limits(app: str, memory: Mapping[str, Any], cpu: Mapping[str, Any]) -> str:
    """Return v1's ``=== <app> Limits`` block with ``--- Memory`` and ``--- CPU`` sections."""
    def section(limits: Mapping[str, Any]) -> str:
        return pretty_tabs({k: str(v) for k, v in limits.items()}, 5) if limits else "Unlimited\n"
    return f"=== {app} Limits\n\n--- Memory\n{section(memory)}\n--- CPU\n{section(cpu)}"


def print_limits(state: State, app: str) -> None:
    """Print the app's limits as ``limits:list`` does."""
    config = state.client.get(app_path(app, "config"))
    click.echo(format_limits(app, config.get("memory") or {}, config.get("cpu") or {}), nl=False)


def apply_limits(state: State, app: str, kind: str, limits: Mapping[str, Any]) -> None:
    """POST new limits of ``kind`` (memory or cpu) and list them."""
    with progress("Applying limits... "):
        state.client.post(app_path(app, "config"), {kind: dict(limits)})
    click.echo("done\n")
    print_limits(state, app)


kind_options = [
    click.option("-m", "--memory", "kind", flag_value="memory", default=True, help="Memory limits (default)."),
    click.option("-c", "--cpu", "kind", flag_value="cpu", help="CPU shares."),
]


def with_kind(function):
    """Add the ``--memory``/``--cpu`` switch to a command."""
    for option in reversed(kind_options):
        function = option(function)
    return function


@click.command("limits:list")
@app_option
@pass_state
def list_limits(state: State, app: str | None) -> None:
    """List an app's memory and CPU limits.

    Example: deis limits:list -a myapp
    """
    print_limits(state, state.app(app))


@click.command("limits:set")
@click.argument("pairs", nargs=-1, required=True, metavar="<type>=<limit>...")
@app_option
@with_kind
@pass_state
def set_limits(state: State, pairs: tuple[str, ...], app: str | None, kind: str) -> None:
    """Limit the memory (default) or CPU of process types; a new release is deployed.

    Example: deis limits:set web=512M worker=1G -a myapp
    """
    apply_limits(state, state.app(app), kind, parse_pairs(pairs, "web=512M"))


@click.command("limits:unset")
@click.argument("types", nargs=-1, required=True, metavar="<type>...")
@app_option
@with_kind
@pass_state
def unset_limits(state: State, types: tuple[str, ...], app: str | None, kind: str) -> None:
    """Remove memory (default) or CPU limits of process types.

    Example: deis limits:unset web -a myapp
    """
    apply_limits(state, state.app(app), kind, dict.fromkeys(types))
