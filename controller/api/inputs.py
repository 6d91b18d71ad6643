"""What no request may carry, checked at the edge: NUL characters (see :mod:`controller.controlchars`).

One check for every route, so a new route cannot forget it: the URL (path and
query) before the view runs, and the JSON body when :func:`context.body` parses it.
"""

from __future__ import annotations

from typing import Any

from flask import request

from controller import controlchars
from controller.errors import BadRequest, FieldErrors


def refuse_nul_in_url() -> None:
    """Answer 400 for a NUL in the path or query string (a ``before_request`` hook)."""
    if controlchars.NUL in request.path or controlchars.nul_in(request.args.to_dict(flat=False)):
        raise BadRequest(f"The URL holds a NUL (%00). {controlchars.NUL_MESSAGE}")


def refuse_nul_in_body(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data``, or answer 400 on the field whose name or value holds a NUL."""
    field = controlchars.nul_field(data)
    if field is None:
        return data
    if controlchars.NUL in field:
        raise BadRequest(f"A field name holds a NUL. {controlchars.NUL_MESSAGE}")
    raise FieldErrors({field: controlchars.NUL_MESSAGE})
