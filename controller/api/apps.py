"""``/v1/apps/``: list, create, show, transfer, destroy."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context, publication
from controller.api.responses import paginated, respond
from controller.api.runtime import runtime
from controller.models import App
from controller.services import apps, containers, images

blueprint = Blueprint("apps", __name__, url_prefix="/v1/apps")


def serialize(app: App) -> dict:
    """Return the v1 app object, with the platform domain in ``url``."""
    return serializers.app(app, context.setting("platformDomain"))


def reserved_names() -> frozenset[str]:
    """Return the app ids nobody may take (the platform's own subdomain)."""
    return frozenset({context.setting("subdomain")})


@blueprint.route("/", methods=["GET"])
def list_apps() -> Response:
    """List the apps the caller owns or shares; admins see all (``deis apps``)."""
    return paginated(apps.visible_apps(context.caller()), serialize)


@blueprint.route("/", methods=["POST"])
def create_app() -> Response:
    """Create an app, named or randomly named (``deis create [<id>]``)."""
    app = apps.create(context.session(), context.caller(), context.body(), reserved_names(),
                      platform_domain=context.setting("platformDomain"))
    publication.publish_app(app)  # the router learns the app exists (503, not 404, until it runs)
    context.commit()
    return respond(serialize(app), 201)


@blueprint.route("/<app_id>/", methods=["GET"])
def get_app(app_id: str) -> Response:
    """Show an app (``deis info``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return respond(serialize(app))


@blueprint.route("/<app_id>/", methods=["POST"])
def update_app(app_id: str) -> Response:
    """Transfer an app with ``{"owner": "<username>"}`` (``deis apps:transfer``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    new_owner = context.body().get("owner")
    if new_owner:
        apps.transfer(session, caller, app, str(new_owner))
        context.commit()
    return respond(status=200)


@blueprint.route("/<app_id>/", methods=["DELETE"])
def destroy_app(app_id: str) -> Response:
    """Destroy an app (``deis destroy``); owner or admin only."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    containers.destroy_all(context.session(), runtime(), app)
    apps.destroy(context.session(), app, context.etcd())
    publication.unpublish_app(app.id)
    context.commit()
    images.forget_app(runtime(), context.etcd(), app.id)  # image hygiene: the app's images go with it
    return respond(status=204)
