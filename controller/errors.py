"""Errors the API answers with, each knowing its status code and v1 body.

Services raise these (or :class:`deis.errors.ValidationError`, which answers
400 with ``{"detail": msg}``); one Flask error handler renders them::

    APIError                 status + body
    ├── BadRequest           400 {"detail": msg}
    │   └── FieldErrors      400 {"<field>": ["msg", …], …}
    ├── NotAuthenticated     401 "Authentication credentials were not provided."
    ├── AuthenticationFailed 401 {"detail": msg}
    ├── PermissionDenied     403 "You do not have permission to perform this action."
    ├── NotFound             404 {"detail": "Not found"}
    ├── MethodNotAllowed     405
    ├── Conflict             409 {"detail": msg}
    ├── TooManyRequests      429 {"detail": msg}
    └── ServiceUnavailable   503 {"detail": msg}
"""

from __future__ import annotations

from typing import Any

from deis.errors import PermanentError

UNIQUE = "This field must be unique."
REQUIRED = "This field is required."


class APIError(PermanentError):
    """An error answered with ``status`` and a JSON body."""

    status = 500
    default = "A server error occurred."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default
        super().__init__(self.detail)

    def body(self) -> Any:
        """Return the JSON body of the answer."""
        return {"detail": self.detail}


class BadRequest(APIError):
    """The request is malformed or breaks a rule."""

    status = 400
    default = "Bad request"


class FieldErrors(BadRequest):
    """Validation errors keyed by field: ``{"id": ["This field must be unique."]}``."""

    def __init__(self, errors: dict[str, list[str] | str]):
        self.errors = {name: [m] if isinstance(m, str) else list(m) for name, m in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))

    def body(self) -> Any:
        """Return the errors by field name."""
        return self.errors


class NotAuthenticated(APIError):
    """No credentials came with a request that needs them."""

    status = 401
    default = "Authentication credentials were not provided."


class AuthenticationFailed(APIError):
    """Credentials came but are wrong."""

    status = 401
    default = "Invalid token"


class PermissionDenied(APIError):
    """The caller may not do this."""

    status = 403
    default = "You do not have permission to perform this action."


class NotFound(APIError):
    """The object named in the URL does not exist (or is not visible)."""

    status = 404
    default = "Not found"


class MethodNotAllowed(APIError):
    """The URL exists but not for this method."""

    status = 405

    def __init__(self, method: str):
        super().__init__(f'Method "{method}" not allowed.')


class Conflict(APIError):
    """The request clashes with the current state."""

    status = 409
    default = "Conflict"


class TooManyRequests(APIError):
    """The caller is over a cap (open streams, runs, failed logins); the message says how long to wait."""

    status = 429
    default = "Too many requests; wait a moment and try again."


class ServiceUnavailable(APIError):
    """A part the controller drives (database, scheduler) failed."""

    status = 503
    default = "Service temporarily unavailable, try again later."


def required(data: dict[str, Any], *names: str) -> None:
    """Raise :class:`FieldErrors` naming every field of ``names`` missing from ``data``."""
    missing = {name: REQUIRED for name in names if data.get(name) in (None, "")}
    if missing:
        raise FieldErrors(missing)
