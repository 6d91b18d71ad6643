"""Control characters in user text: where they are refused, and how logs show them; pure.

PostgreSQL cannot store a NUL in a text column (psycopg2 raises before the
query is sent), so a NUL anywhere in a request answered 500; the API refuses
it at the edge instead (:func:`nul_field`, :func:`nul_in`). Elsewhere control
characters are either refused by the field's own rule (usernames, domains,
config keys, ssh keys) or, in log lines the controller writes for an app,
escaped (:func:`escape`): a newline in a ``deis run`` command must not forge a
second ``<app>[deis-controller]`` line.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators
#: (``str.splitlines`` breaks a line at every one of them).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
NUL = "\x00"
NUL_MESSAGE = "Text may not contain NUL (\\x00) characters; remove them and try again."


def has_control(text: str) -> bool:
    """True if ``text`` holds any control character."""
    return CONTROL.search(text) is not None


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape(text: str) -> str:
    """Return ``text`` with every control character written as an escape (``\\n``, ``\\x1b``): one line."""
    return CONTROL.sub(_escaped, text)


def nul_in(value: Any) -> bool:
    """True if a string anywhere in ``value`` (nested dicts' keys and values, lists) holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(nul_in(key) or nul_in(item) for key, item in value.items())
    if isinstance(value, list):
        return any(nul_in(item) for item in value)
    return False


def nul_field(data: dict[str, Any]) -> str | None:
    """Return the first top-level field of ``data`` whose name or value holds a NUL, else ``None``."""
    return next((str(name) for name, value in data.items() if nul_in(name) or nul_in(value)), None)
