"""``/v1/hooks/``: what the builder calls, authorized by ``X-Deis-Builder-Auth``.

``POST /v1/hooks/build`` lives with builds; it authorizes with
:func:`require_builder` from here.
"""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context
from controller.api.responses import respond
from controller.services import hooks

blueprint = Blueprint("hooks", __name__, url_prefix="/v1/hooks")

#: The header carrying the shared builder key.
BUILDER_AUTH = "X-Deis-Builder-Auth"


def require_builder() -> None:
    """Answer 401 without the builder key and 403 with a wrong one."""
    hooks.check_builder_key(request.headers.get(BUILDER_AUTH), context.setting("builderKey"))


@blueprint.route("/push/", methods=["POST"])
def push() -> Response:
    """Record a ``git push`` (the builder, before building)."""
    require_builder()
    recorded = hooks.record_push(context.session(), context.body())
    context.commit()
    return respond(serializers.push(recorded), 201)


@blueprint.route("/config/", methods=["POST"])
def config() -> Response:
    """Return the app's current config (the builder, for build-time settings)."""
    require_builder()
    return respond(serializers.config(hooks.push_config(context.session(), context.body())))


# SHA256 fingerprints are base64 and may hold "/", so the rest of the path is the fingerprint.
@blueprint.route("/key/<path:fingerprint>", methods=["GET"])
def key(fingerprint: str) -> Response:
    """Return who owns the SSH key with this fingerprint (the builder, on each connection)."""
    require_builder()
    found = hooks.key_by_fingerprint(context.session(), fingerprint)
    return respond({"username": found.owner.username, "key": serializers.key(found)})
