"""``/v1/apps/<id>/domains/``: custom domains routed to an app."""

from flask import Blueprint, Response, request

from controller import serializers
from controller.api import context, publication
from controller.api.responses import paginated, respond
from controller.services import apps, domains

blueprint = Blueprint("domains", __name__, url_prefix="/v1/apps/<app_id>/domains")


@blueprint.route("/", methods=["GET"])
def list_domains(app_id: str) -> Response:
    """List an app's domains (``deis domains:list``)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return paginated(domains.app_domains(app), serializers.domain)


@blueprint.route("/", methods=["POST"])
def add_domain(app_id: str) -> Response:
    """Route a domain to an app (``deis domains:add <domain>``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    domain = domains.add_domain(session, caller, app, context.body(), context.setting("platformDomain"))
    publication.publish_app(app)
    context.commit()
    return respond(serializers.domain(domain), 201)


@blueprint.route("/<path:domain>", methods=["DELETE"])
def remove_domain(app_id: str, domain: str) -> Response:
    """Stop routing a domain to an app (``deis domains:remove``); not for collaborators."""
    session = context.session()
    app = apps.authorize(session, context.caller(), app_id, request.method)
    domains.remove_domain(session, app, domain.rstrip("/"))
    publication.publish_app(app)
    context.commit()
    return respond(status=204)
