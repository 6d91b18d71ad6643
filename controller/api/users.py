"""``GET /v1/users/``: every account (admins only)."""

from flask import Blueprint, Response

from controller import serializers
from controller.api import context
from controller.api.responses import paginated
from controller.services import users

blueprint = Blueprint("users", __name__, url_prefix="/v1/users")


@blueprint.route("/", methods=["GET"])
def list_users() -> Response:
    """List users (``deis users:list``)."""
    return paginated(users.users(context.caller()), serializers.user)
