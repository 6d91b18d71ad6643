"""``/v1/apps/<id>/releases/``: list, show ``v<N>``, roll back (``deis releases``)."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context, publication
from controller.api.responses import paginated, respond
from controller.api.runtime import runtime
from controller.services import apps, release_records, releasing

blueprint = Blueprint("releases", __name__, url_prefix="/v1/apps")


@blueprint.route("/<app_id>/releases/", methods=["GET"])
def list_releases(app_id: str) -> Response:
    """List the app's releases, newest first (``deis releases``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return paginated(release_records.of_app(app), serializers.release)


@blueprint.route("/<app_id>/releases/v<int:version>/", methods=["GET"])
def get_release(app_id: str, version: int) -> Response:
    """Show one release (``deis releases:info v<N>``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return respond(serializers.release(release_records.find(context.session(), app, version)))


@blueprint.route("/<app_id>/releases/rollback/", methods=["POST"])
def rollback(app_id: str) -> Response:
    """Release an earlier version's build and config again (``deis releases:rollback [v<N>]``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    release = releasing.rollback(session, runtime(), app, caller, context.body())
    # The rolled-back config may differ in what routers and publishers read (health checks).
    publication.publish_app(app)
    context.commit()
    return respond({"version": release.version}, 201)
