"""What a ``git push`` shows: Deis v1's (and Heroku's) build output, streamed live.

Lines go to the hook's standard output, which git relays to the pushing client
prefixed with ``remote:``. Each line starts with ``ESC[1G`` (cursor to column
1), as in v1, so a terminal overwrites that prefix and the user sees::

    -----> Building Docker image
           Step 1/3 : FROM busybox
    -----> Launching... done, myapp:v2 deployed to Deis
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import BinaryIO

STEP = "-----> "
INDENT = " " * 7
ERROR = " !     "
#: Moves the cursor to column 1, hiding git's ``remote:`` prefix on a terminal.
COLUMN_ONE = "\x1b[1G"
LEARN_MORE = "To learn more, use `deis help` or visit http://deis.io"


def step(text: str) -> str:
    """Return a step line: ``-----> text``."""
    return f"{STEP}{text}"


def detail(text: str) -> str:
    """Return a line of a step's own output, indented under it."""
    return f"{INDENT}{text}"


def error(text: str) -> str:
    """Return an error line: `` !     text``."""
    return f"{ERROR}{text}"


def url(domain: str) -> str:
    """Return the URL of an app domain (the controller answers bare host names)."""
    return domain if "://" in domain else f"http://{domain}"


def deployed(app: str, version: int, domains: Iterable[str]) -> list[str]:
    """Return the lines after ``-----> Launching... ``: the release and where it answers."""
    lines = [f"done, {app}:v{version} deployed to Deis", ""]
    lines += [detail(url(domain)) for domain in domains]
    return [*lines, "", detail(LEARN_MORE), ""]


def lines_of(text: str) -> list[str]:
    """Split build output into lines, dropping carriage-return progress redraws."""
    # Not str.splitlines: it splits on "\r" too, and a redraw is not a new line.
    parts = text.removesuffix("\n").split("\n")
    return [part.rstrip("\r").rsplit("\r", 1)[-1] for part in parts]


def at_column_one(text: str, line_start: bool = True) -> str:
    """Return ``text`` with :data:`COLUMN_ONE` before each line that starts in it."""
    shown = text.replace("\n", f"\n{COLUMN_ONE}")
    if text.endswith("\n"):
        shown = shown[: -len(COLUMN_ONE)]
    return f"{COLUMN_ONE}{shown}" if line_start and text else shown


class Output:
    """The live output of one push: every write is flushed at once."""

    def __init__(self, stream: BinaryIO | None = None):
        self.stream = stream or sys.stdout.buffer
        self._line_start = True

    def line(self, text: str = "") -> None:
        """Write one line."""
        self.write(f"{text}\n")

    def write(self, text: str) -> None:
        """Write ``text`` as is (no newline added); each new line starts at column 1."""
        self.stream.write(at_column_one(text, self._line_start).encode("utf-8", "replace"))
        self.stream.flush()
        if text:
            self._line_start = text.endswith("\n")

    def step(self, text: str) -> None:
        """Write a step line."""
        self.line(step(text))

    def detail(self, text: str) -> None:
        """Write build output lines, indented."""
        for line in lines_of(text):
            self.line(detail(line))

    def error(self, text: str) -> None:
        """Write error lines."""
        for line in text.splitlines() or [""]:
            self.line(error(line))
