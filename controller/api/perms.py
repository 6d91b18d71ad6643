"""``/v1/apps/<id>/perms/`` (collaborators) and ``/v1/admin/perms/`` (administrators)."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context
from controller.api.responses import paginated, respond
from controller.services import apps, perms

blueprint = Blueprint("perms", __name__, url_prefix="/v1")


@blueprint.route("/apps/<app_id>/perms/", methods=["GET"])
def list_collaborators(app_id: str) -> Response:
    """List who an app is shared with (``deis perms:list``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return respond({"users": perms.collaborators(context.session(), app)})


@blueprint.route("/apps/<app_id>/perms/", methods=["POST"])
def add_collaborator(app_id: str) -> Response:
    """Share an app with a user (``deis perms:create <user>``)."""
    session, caller, data = context.session(), context.caller(), context.body()
    perms.grant(session, caller, apps.get_app(session, app_id), data.get("username"))
    context.commit()
    return respond(status=201)


@blueprint.route("/apps/<app_id>/perms/<username>", methods=["DELETE"])
def remove_collaborator(app_id: str, username: str) -> Response:
    """Stop sharing an app with a user (``deis perms:delete <user>``)."""
    session, caller = context.session(), context.caller()
    perms.revoke(session, caller, apps.get_app(session, app_id), username.rstrip("/"))
    context.commit()
    return respond(status=204)


@blueprint.route("/admin/perms/", methods=["GET"])
def list_admins() -> Response:
    """List administrators (``deis perms:list --admin``)."""
    return paginated(perms.admins(context.caller()), serializers.admin)


@blueprint.route("/admin/perms/", methods=["POST"])
def add_admin() -> Response:
    """Make a user an administrator (``deis perms:create <user> --admin``)."""
    caller, data = context.caller(), context.body()
    perms.set_admin(context.session(), caller, data.get("username"), True)
    context.commit()
    return respond(status=201)


@blueprint.route("/admin/perms/<username>", methods=["DELETE"])
def remove_admin(username: str) -> Response:
    """Take administrator rights away (``deis perms:delete <user> --admin``)."""
    perms.set_admin(context.session(), context.caller(), username.rstrip("/"), False)
    context.commit()
    return respond(status=204)
