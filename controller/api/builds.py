"""``/v1/apps/<id>/builds/`` (``deis pull``, ``deis builds``) and the builder's ``/v1/hooks/build``."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context
from controller.api.config import release_headers
from controller.api.hooks import require_builder
from controller.api.responses import paginated, respond
from controller.api.runtime import runtime
from controller.services import apps, builds, hooks

blueprint = Blueprint("builds", __name__, url_prefix="/v1")


@blueprint.route("/apps/<app_id>/builds/", methods=["GET"])
def list_builds(app_id: str) -> Response:
    """List the app's builds, newest first (``deis builds``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return paginated(builds.of_app(app), serializers.build)


@blueprint.route("/apps/<app_id>/builds/<build_id>/", methods=["GET"])
def get_build(app_id: str, build_id: str) -> Response:
    """Show one build."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return respond(serializers.build(builds.find(context.session(), app, build_id)))


@blueprint.route("/apps/<app_id>/builds/", methods=["POST"])
def create_build(app_id: str) -> Response:
    """Deploy an image from any registry the engine reaches (``deis pull <image>``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    build, release = builds.create(session, runtime(), app, caller, context.body())
    context.commit()
    return release_headers(respond(serializers.build(build), 201), release.version)


@blueprint.route("/hooks/build/", methods=["POST"])
def build_hook() -> Response:
    """Deploy what the builder built for ``receive_repo``, as ``receive_user``."""
    require_builder()
    session, data = context.session(), context.body()
    user, app = hooks.pusher(session, data)
    _build, release = builds.create(session, runtime(), app, user, data)
    context.commit()
    domain = context.setting("platformDomain")
    return respond({"release": {"version": release.version},
                    "domains": [serializers.app_url(app.id, domain)]})
