"""``/v1/keys/``: the caller's SSH keys."""

from flask import Blueprint, Response

from controller import serializers
from controller.api import context
from controller.api.responses import paginated, respond
from controller.services import keys

blueprint = Blueprint("keys", __name__, url_prefix="/v1/keys")


@blueprint.route("/", methods=["GET"])
def list_keys() -> Response:
    """List the caller's keys (``deis keys:list``)."""
    return paginated(keys.own_keys(context.caller()), serializers.key)


@blueprint.route("/", methods=["POST"])
def add_key() -> Response:
    """Add a key (``deis keys:add``)."""
    key = keys.add_key(context.session(), context.caller(), context.body())
    context.commit()
    return respond(serializers.key(key), 201)


# Labels look like ``user@host.example``, so the whole rest of the path is the id.
@blueprint.route("/<path:key_id>", methods=["GET"])
def get_key(key_id: str) -> Response:
    """Show one of the caller's keys."""
    key = keys.get_key(context.session(), context.caller(), key_id.rstrip("/"))
    return respond(serializers.key(key))


@blueprint.route("/<path:key_id>", methods=["DELETE"])
def remove_key(key_id: str) -> Response:
    """Remove one of the caller's keys (``deis keys:remove``)."""
    keys.remove_key(context.session(), context.caller(), key_id.rstrip("/"))
    context.commit()
    return respond(status=204)
