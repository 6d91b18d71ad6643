"""``GET /healthz`` (no login) and the API root ``GET /v1/`` (login needed)."""

from flask import Blueprint, Response

from controller.api import context
from controller.api.responses import respond

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz", methods=["GET", "HEAD"])
def healthz() -> Response:
    """Answer ``200 OK`` with body ``OK`` while the process serves requests."""
    return Response("OK", status=200, content_type="text/plain")


@blueprint.route("/v1/", methods=["GET"])
def root() -> Response:
    """Answer 401 without a token: the CLI's "is this a Deis controller?" probe."""
    context.caller()
    return respond({})
