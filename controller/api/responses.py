"""JSON responses, paginated lists, and the headers every response carries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, request
from sqlalchemy import Select

from controller import pagination
from controller.api import context
from controller.services.listing import fetch_page
from controller.status import status_line
from deis import API_VERSION, PLATFORM_VERSION

#: Headers on every response; v1 sent underscored names, and X_ duplicates (deprecated).
VERSION_HEADERS = {
    "DEIS_API_VERSION": API_VERSION,
    "DEIS_PLATFORM_VERSION": PLATFORM_VERSION,
    "X_DEIS_API_VERSION": API_VERSION,
    "X_DEIS_PLATFORM_VERSION": PLATFORM_VERSION,
}

#: v1 allowed every origin and exposed its version and release headers to browsers.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": ", ".join([*VERSION_HEADERS, "Deis-Release", "X-Deis-Release"]),
}


def respond(data: Any = None, status: int = 200) -> Response:
    """Return ``data`` as JSON (no body when ``data`` is ``None``)."""
    if data is None:
        return Response(b"", status=status, content_type="application/json")
    return Response(json.dumps(data), status=status, content_type="application/json")


def paginated(statement: Select, serialize: Callable[[Any], Any]) -> Response:
    """Return one page of ``statement``'s rows in the v1 envelope."""
    default_size = context.setting("pageSize")
    page = pagination.requested_page(request.args, default_size)
    items, count, page = fetch_page(context.session(), statement, page)
    results = [serialize(item) for item in items]
    return respond(pagination.envelope(results, count, page, request.base_url, request.args))


def finish(response: Response) -> Response:
    """Give ``response`` v1's status line and version headers."""
    response.status = status_line(response.status_code)
    response.headers.update(VERSION_HEADERS)
    response.headers.update(CORS_HEADERS)
    return response
