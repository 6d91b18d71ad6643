"""``deis apps:logs``: an app's aggregated log (``GET /v1/apps/<id>/logs/?log_lines=N``).

v1 printed each line coloured by its source (``myapp[web.1]``). ``--follow``
(which v1 never shipped) asks the controller for a stream
(``?follow=1``) and prints lines as the logger stores them.
"""

from __future__ import annotations

import click

from deis.cli.context import State, app_option, pass_state
from deis.client import app_path

__all__ = ["logs"]

#: Terminal colours to tell sources apart; a source keeps its colour between runs.
COLOURS = ("yellow", "green", "cyan", "magenta", "blue", "red", "white")


def source_of(line: str) -> str:
    """Return the source of a log line ``<time> <app>[<proc>]: msg``, or ``""``."""
    words = line.split(": ", 1)[0].split(" ")
    return words[1] if len(words) >= 2 else ""


def colour_of(source: str) -> str:
    """Return the colour of ``source`` (v1 summed its bytes, modulo the colours)."""
    return COLOURS[sum(source.encode()) % len(COLOURS)]


def colourise(line: str) -> str:
    """Return ``line`` styled with the colour of its source (click strips it off a terminal)."""
    return click.style(line, fg=colour_of(source_of(line)))


def fetch(state: State, app: str, lines: int | None) -> list[str]:
    """Return the last ``lines`` log lines of ``app`` (none when the log is empty: 204)."""
    params = {"log_lines": lines} if lines else {}
    return state.client.text(app_path(app, "logs"), **params).splitlines()


def follow(state: State, app: str, lines: int | None) -> None:
    """Print the app's log as it grows, until interrupted (the controller streams it)."""
    for line in state.client.stream_lines(app_path(app, "logs"), follow=1, log_lines=lines or 10):
        click.echo(colourise(line))


@click.command("apps:logs")
@app_option
@click.option("-n", "--lines", type=click.IntRange(min=1), metavar="<num>",
              help="How many of the latest lines to show (default: the controller's, 1000).")
@click.option("-f", "--follow", "following", is_flag=True, help="Keep printing new lines until interrupted.")
@pass_state
def logs(state: State, app: str | None, lines: int | None, following: bool) -> None:
    """Show an app's log: its processes' output and platform events.

    Example: deis logs -n 50 -a myapp
    """
    app = state.app(app)
    if following:
        try:
            follow(state, app, lines)
        except KeyboardInterrupt:
            return
        return
    for line in fetch(state, app, lines):
        click.echo(colourise(line))
