"""HTTP status lines as Deis v1 (Django 1.6) wrote them: ``201 CREATED``.

Clients and scripts of v1 match these upper-case reason phrases, so every
response carries one, set explicitly instead of Werkzeug's ``201 Created``.
"""

from http import HTTPStatus

#: Django 1.6's ``STATUS_CODE_TEXT`` for the codes the API answers with.
REASONS = {
    200: "OK",
    201: "CREATED",
    202: "ACCEPTED",
    204: "NO CONTENT",
    301: "MOVED PERMANENTLY",
    302: "FOUND",
    304: "NOT MODIFIED",
    400: "BAD REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT FOUND",
    405: "METHOD NOT ALLOWED",
    406: "NOT ACCEPTABLE",
    409: "CONFLICT",
    413: "REQUEST ENTITY TOO LARGE",
    415: "UNSUPPORTED MEDIA TYPE",
    429: "TOO MANY REQUESTS",
    500: "INTERNAL SERVER ERROR",
    502: "BAD GATEWAY",
    503: "SERVICE UNAVAILABLE",
    504: "GATEWAY TIMEOUT",
}


def status_line(code: int) -> str:
    """Return ``"<code> <UPPER-CASE REASON>"``, e.g. ``404 NOT FOUND``."""
    reason = REASONS.get(code)
    if reason is None:
        try:
            reason = HTTPStatus(code).phrase.upper()
        except ValueError:
            reason = "UNKNOWN STATUS CODE"
    return f"{code} {reason}"
