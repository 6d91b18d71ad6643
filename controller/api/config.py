"""``/v1/apps/<id>/config/``: show and change an app's config (``deis config``, ``limits``, ``tags``)."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context, publication
from controller.api.responses import respond
from controller.api.runtime import runtime
from controller.services import apps, config

blueprint = Blueprint("config", __name__, url_prefix="/v1/apps")


def release_headers(response: Response, version: int) -> Response:
    """Add v1's ``Deis-Release`` header (and its deprecated ``X-`` twin)."""
    response.headers["Deis-Release"] = str(version)
    response.headers["X-Deis-Release"] = str(version)
    return response


@blueprint.route("/<app_id>/config/", methods=["GET"])
def get_config(app_id: str) -> Response:
    """Show the app's current config (``deis config:list``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return respond(serializers.config(config.current(context.session(), app)))


@blueprint.route("/<app_id>/config/", methods=["POST"])
def set_config(app_id: str) -> Response:
    """Change values, limits or tags; makes and deploys a new release (``deis config:set``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    publication.require_etcd()
    new, release = config.set_config(session, runtime(), app, caller, context.body())
    publication.publish_app(app)  # routed config (whitelist, health checks) before the commit
    context.commit()
    body = serializers.config(new)
    # v1 showed these in the answer (not stored); its CLI prints "done, v<N>" from DEIS_RELEASE.
    body["values"].update(DEIS_APP=app.id, DEIS_RELEASE=f"v{release.version}")
    return release_headers(respond(body, 201), release.version)
