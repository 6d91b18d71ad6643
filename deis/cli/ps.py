"""``deis ps:*``: an app's containers; scale and restart them (``/v1/apps/<id>/containers/``, ``scale/``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click

from deis.cli.context import State, app_option, limit_option, pass_state
from deis.cli.output import drink, header, timed
from deis.client import app_path, segment

__all__ = ["list_processes", "scale", "restart"]


def format_processes(app: str, processes: Sequence[Mapping[str, Any]], count: int) -> str:
    """Return ``=== <app> Processes``, then per type ``--- web:`` and ``web.1 up (v2)`` lines.

    On a cluster a line ends with the container's node: ``web.1 up (v2) on h2``.
    """
    lines = [header(f"{app} Processes", len(processes), count)]
    for kind in sorted({p["type"] for p in processes}):
        lines.append(f"--- {kind}:")
        of_kind = sorted((p for p in processes if p["type"] == kind), key=lambda p: int(p["num"]))
        lines += [f"{p['type']}.{p['num']} {p['state']} ({p['release']}){_on(p.get('host'))}" for p in of_kind]
    return "\n".join(lines) + "\n"


def _on(host: str | None) -> str:
    # One host reports no host: the line keeps v1's form there.
    return f" on {host}" if host else ""


def parse_targets(targets: Iterable[str]) -> dict[str, int]:
    """Return ``{type: count}`` from ``type=num`` arguments."""
    parsed = {}
    for target in targets:
        kind, _, num = target.partition("=")
        if not kind or not num.isdigit():
            raise click.BadParameter(f"{target!r} does not match the pattern 'type=num', ex: web=2")
        parsed[kind] = int(num)
    return parsed


def restart_path(app: str, target: str | None) -> str:
    """Return the restart URL of all containers, one type (``web``) or one container (``web.1``)."""
    if not target:
        return app_path(app, "containers", "restart")
    kind, _, num = target.partition(".")
    if num and not num.isdigit():
        raise click.BadParameter(f"{target!r} is not a process type or <type>.<num> (e.g. web or web.1)")
    return app_path(app, "containers", *[segment(part) for part in (kind, num) if part], "restart")


def print_processes(state: State, app: str, limit: int | None) -> None:
    """Print the app's processes as ``ps:list`` does."""
    listing = state.client.list(app_path(app, "containers"), limit)
    click.echo(format_processes(app, listing.results, listing.count), nl=False)


@click.command("ps:list")
@app_option
@limit_option
@pass_state
def list_processes(state: State, app: str | None, limit: int | None) -> None:
    """List an app's processes.

    Example: deis ps:list -a myapp
    """
    print_processes(state, state.app(app), limit)


@click.command("ps:scale")
@click.argument("targets", nargs=-1, required=True, metavar="<type>=<num>...")
@app_option
@pass_state
def scale(state: State, targets: tuple[str, ...], app: str | None) -> None:
    """Set how many containers of each process type run.

    Example: deis scale web=3 worker=1 -a myapp
    """
    app, counts = state.app(app), parse_targets(targets)
    with timed(f"Scaling processes... but first, {drink()}!"):
        state.client.post(app_path(app, "scale"), counts)
    print_processes(state, app, None)


@click.command("ps:restart")
@click.argument("target", required=False, metavar="[<type>|<type>.<num>]")
@app_option
@pass_state
def restart(state: State, target: str | None, app: str | None) -> None:
    """Restart all of an app's processes, those of one type, or one.

    Example: deis ps:restart web.1 -a myapp
    """
    app = state.app(app)
    path = restart_path(app, target)
    with timed(f"Restarting processes... but first, {drink()}!"):
        state.client.post(path)
    print_processes(state, app, None)
