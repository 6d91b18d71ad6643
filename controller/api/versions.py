"""API version handshake: refuse clients of another major version (v1's middleware)."""

from __future__ import annotations

from flask import Response, request

from controller.api.responses import respond
from deis import API_VERSION

MAJOR = API_VERSION.split(".")[0]


def check_client_version() -> Response | None:
    """Answer 405 when the request's ``DEIS_VERSION`` header names another major version.

    WSGI folds ``DEIS_VERSION`` and ``Deis-Version`` into the same header. v1
    compared the whole value with ``"1"``; comparing the major part lets a
    client send ``1.7`` too.
    """
    sent = request.headers.get("Deis-Version")
    if sent is None or sent.split(".")[0] == MAJOR:
        return None
    return respond({"error": "Client and server versions do not match. "
                             f"Client version: {sent} Server version: {MAJOR}"}, 405)
