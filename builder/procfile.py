"""The Procfile: ``<type>: <command>`` lines naming an app's process types.

Heroku's format, one process type per line; blank lines and ``#`` comments are
skipped. Deis v1 read it as YAML, which the Heroku format is a subset of for
every real Procfile; a file that is not such a mapping is an error that names
the line, so the push is refused instead of deploying nothing.
"""

from __future__ import annotations

import re

from deis.errors import ValidationError
from deis.naming import validate_process_type

_LINE = re.compile(r"^(?P<type>[^:\s]+)\s*:\s*(?P<command>.*?)\s*$")


class ProcfileError(ValidationError):
    """The Procfile is not a list of ``type: command`` lines."""


def parse(text: str) -> dict[str, str]:
    """Return ``{type: command}`` from Procfile ``text``; raise :class:`ProcfileError` if malformed."""
    types: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match or not match["command"]:
            raise ProcfileError(f"Procfile line {number} is not '<type>: <command>': {line[:80]!r}")
        types[_process_type(match["type"], number)] = _unquoted(match["command"])
    return types


def _process_type(name: str, number: int) -> str:
    try:
        return validate_process_type(name)
    except ValidationError as exc:
        raise ProcfileError(f"Procfile line {number}: {exc}") from None


def _unquoted(command: str) -> str:
    """Drop one pair of YAML-style quotes around a whole command (``web: "./run"``)."""
    if len(command) >= 2 and command[0] == command[-1] and command[0] in "'\"":
        return command[1:-1]
    return command
