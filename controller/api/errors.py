"""The one place errors become responses: v1 bodies and status codes.

Our exceptions carry their status and body; Werkzeug's routing errors (404,
405, 413) are given v1 bodies too; database outages answer 503; anything else
is logged and answers 500 without leaking internals.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from controller.api.responses import respond
from controller.db import DatabaseUnavailable
from controller.errors import APIError, MethodNotAllowed, NotFound
from deis.errors import DeisError, EtcdUnavailable, TemporaryError, ValidationError

log = logging.getLogger(__name__)


def api_error(exc: APIError) -> Response:
    """Answer one of our API errors."""
    return respond(exc.body(), exc.status)


def validation_error(exc: ValidationError) -> Response:
    """Answer a shared-library validation error with 400 ``{"detail": msg}``."""
    return respond({"detail": str(exc)}, 400)


def temporary_error(exc: TemporaryError) -> Response:
    """Answer an outage of a part we depend on with 503 and a sentence that says what to do."""
    log.warning("%s %s: %s", request.method, request.path, exc)
    return respond({"detail": outage_sentence(exc)}, 503)


def outage_sentence(exc: TemporaryError) -> str:
    """``exc``'s text as a sentence: capitalised, ended, and for etcd the command that shows it.

    "etcd did not answer while reading /deis/controller/maxContainersPerType:
    ConnectionTimeoutError" was the whole answer to a ``deis scale`` during an
    etcd outage (T7): no sentence, no next step.
    """
    text = str(exc).strip() or type(exc).__name__
    if not text.startswith("etcd"):  # a name spelled in lower case, even to open a sentence
        text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", "?")):
        text += "."
    if isinstance(exc, EtcdUnavailable) and "deisctl status etcd" not in text:
        text += " Try again once etcd answers (see 'deisctl status etcd')."
    return text


def http_error(exc: HTTPException) -> Response:
    """Give Werkzeug's errors (unknown URL, wrong method, body too large) v1 bodies."""
    code = exc.code or 500
    if code == 404:
        return api_error(NotFound())
    if code == 405:
        return api_error(MethodNotAllowed(request.method))
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return respond({"detail": f"Request body is larger than {limit} bytes."}, 413)
    return respond({"detail": exc.description}, code)


def database_error(exc: DBAPIError) -> Response:
    """Answer a database failure: 503 when it is unreachable or asks for a retry, else 500.

    psycopg2 reports refused connections, lost connections and serialization
    failures all as ``OperationalError``: each may succeed when tried again.
    """
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return temporary_error(DatabaseUnavailable(f"the database is unavailable: {exc.orig}"))
    return unexpected_error(exc)


def unexpected_error(exc: Exception) -> Response:
    """Log a bug and answer 500 with a body that leaks nothing."""
    log.exception("%s %s failed", request.method, request.path)
    return respond({"detail": "Internal server error; the controller's log has the details."}, 500)


def register(app: Flask) -> None:
    """Install the handlers on ``app`` (most specific class wins)."""
    app.register_error_handler(APIError, api_error)
    app.register_error_handler(ValidationError, validation_error)
    app.register_error_handler(TemporaryError, temporary_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(DeisError, unexpected_error)
    app.register_error_handler(Exception, unexpected_error)
