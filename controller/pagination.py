"""Page-number pagination as DRF did it for Deis v1.

``?page=N&page_size=M`` (default size 100) and the envelope
``{"count", "next", "previous", "results"}``; ``next``/``previous`` are full
URLs or ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from controller.errors import NotFound
from controller.numbers import whole_number

#: The largest page one request gets, whatever it asks: one page is one query and one JSON body.
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page:
    """Which slice of a list one request asks for."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """Return the index of the first item of the page."""
        return (self.number - 1) * self.size


def _positive(text: str | None) -> int | None:
    return whole_number(text) or None


def requested_page(args: Mapping[str, str], default_size: int = 100) -> Page:
    """Return the page asked for by the query ``args``.

    A missing or invalid ``page_size`` means the default (as DRF did), and
    one above :data:`MAX_PAGE_SIZE` means that size (DRF's ``max_page_size``:
    clients follow ``next``); an invalid ``page`` answers 404, as DRF did,
    except ``page=last``.
    """
    size = min(_positive(args.get("page_size")) or default_size, MAX_PAGE_SIZE)
    raw = args.get("page", "1")
    number = -1 if raw == "last" else _positive(raw)
    if number is None:
        raise NotFound("Invalid page: that page number is not an integer.")
    return Page(number, size)


def resolve_last(page: Page, count: int) -> Page:
    """Turn ``page=last`` into its number, and check the page exists."""
    pages = max(1, math.ceil(count / page.size))
    number = pages if page.number == -1 else page.number
    if number > pages:
        raise NotFound(f"Invalid page ({number}): That page contains no results")
    return Page(number, page.size)


def _link(base_url: str, args: Mapping[str, str], number: int) -> str:
    query = {name: value for name, value in args.items() if name != "page"}
    if number > 1:  # DRF leaves ``page`` out of the link to the first page
        query["page"] = str(number)
    return f"{base_url}?{urlencode(query)}" if query else base_url


def envelope(results: list[Any], count: int, page: Page, base_url: str,
             args: Mapping[str, str]) -> dict[str, Any]:
    """Return the paginated body of one page of ``results`` out of ``count``."""
    has_next = page.offset + len(results) < count
    return {
        "count": count,
        "next": _link(base_url, args, page.number + 1) if has_next else None,
        "previous": _link(base_url, args, page.number - 1) if page.number > 1 else None,
        "results": results,
    }
