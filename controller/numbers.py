"""Whole numbers sent by users, read without surprises; pure.

A count, a number of lines or of CPU shares arrives as a JSON number or a
string of digits. ``str.isdigit`` alone lets through ``"²"`` (which ``int``
refuses) and strings of thousands of digits (which ``int`` refuses past 4300),
and both ended as 500s. :func:`whole_number` accepts ASCII digits only and
turns any over-long one into :data:`OVERSIZE`, which is above every bound the
controller sets, so the caller answers 400 with its own bound.
"""

from __future__ import annotations

from typing import Any

#: Digits a whole number may have before it reads as :data:`OVERSIZE`.
MAX_DIGITS = 18
#: What an over-long number reads as: more than any bound the controller sets.
OVERSIZE = 10 ** MAX_DIGITS
#: Characters of an offending value quoted back in an error message.
QUOTED = 40


def whole_number(value: Any) -> int | None:
    """Return ``value`` as an ``int`` >= 0 (a JSON integer or ASCII digits), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()):
        return None
    return OVERSIZE if len(text.lstrip("0")) > MAX_DIGITS else int(text)


def quoted(value: Any) -> str:
    """Return ``repr(value)``, shortened to :data:`QUOTED` characters for an error message."""
    text = repr(value)
    return text if len(text) <= QUOTED else f"{text[:QUOTED - 4]}...{text[-1]}"
