"""``GET /v1/openapi.json``: the API described as OpenAPI 3 (no login needed)."""

from flask import Blueprint, Response

from controller import openapi
from controller.api.responses import respond

blueprint = Blueprint("openapi", __name__)


@blueprint.route("/v1/openapi.json", methods=["GET"])
def document() -> Response:
    """Return the OpenAPI document of every endpoint."""
    return respond(openapi.document())
