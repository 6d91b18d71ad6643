"""Text layouts shared by commands (v1's list headers, aligned pairs, tab columns) and progress."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import click

#: v1's spinner frames, drawn while a long call runs (on a terminal only).
SPINNER_FRAMES = ("...", "o..", ".o.", "..o")
TAB_WIDTH = 8


def limit_count(shown: int, total: int) -> str:
    """Return v1's header suffix: ``""``, or `` (x of N)`` when a list was cut by ``--limit``."""
    return "" if shown >= total else f" ({shown} of {total})"


def header(title: str, shown: int | None = None, total: int | None = None) -> str:
    """Return a ``=== <title>`` header, with ``(x of N)`` when truncated."""
    suffix = limit_count(shown, total) if shown is not None and total is not None else ""
    return f"=== {title}{suffix}"


def pretty_tabs(pairs: Mapping[str, Any], spaces: int) -> str:
    """Return ``key<pad>value`` lines sorted by key, values aligned ``spaces`` past the longest key."""
    if not pairs:
        return ""
    width = max(len(key) for key in pairs) + spaces
    return "".join(f"{key}{' ' * (width - len(key))}{pairs[key]}\n" for key in sorted(pairs))


def tab_columns(rows: Sequence[Sequence[str]]) -> str:
    """Return rows as Go's tabwriter aligned them with tab padding (v1's ``releases:list``)."""
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(max(map(len, rows), default=0))]
    lines = []
    for row in rows:
        cells = [cell + _tabs(len(cell), widths[i] + 1) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + (row[-1] if row else ""))
    return "".join(line + "\n" for line in lines)


def _tabs(length: int, width: int) -> str:
    cell = -(-width // TAB_WIDTH) * TAB_WIDTH
    return "\t" * -(-(cell - length) // TAB_WIDTH)


def drink() -> str:
    """Return what v1 has first while scaling (``DEIS_DRINK_OF_CHOICE``, default coffee)."""
    return os.environ.get("DEIS_DRINK_OF_CHOICE") or "coffee"


@contextlib.contextmanager
def spinner() -> Iterator[None]:
    """Draw v1's spinner on stdout while the block runs, when stdout is a terminal."""
    if not sys.stdout.isatty():
        yield
        return
    done = threading.Event()
    thread = threading.Thread(target=_spin, args=(done,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _spin(done: threading.Event) -> None:
    for frame in itertools.cycle(SPINNER_FRAMES):
        sys.stdout.write(frame + "\b" * len(frame))
        sys.stdout.flush()
        if done.wait(0.25):
            sys.stdout.write(" " * len(frame) + "\b" * len(frame))
            sys.stdout.flush()
            return


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """Print ``message`` without a newline and spin until the block ends (``Creating config... ``)."""
    click.echo(message, nl=False)
    with spinner():
        yield


@contextlib.contextmanager
def timed(message: str) -> Iterator[None]:
    """Print ``message`` and, when the block succeeds, v1's ``done in Ns``."""
    click.echo(message)
    started = time.monotonic()
    with spinner():
        yield
    click.echo(f"done in {int(time.monotonic() - started)}s")
