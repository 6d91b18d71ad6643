"""``/v1/certs/``: the caller's TLS certificates, bound to domains by common name."""

from flask import Blueprint, Response

from controller import serializers
from controller.api import context, publication
from controller.api.responses import paginated, respond
from controller.services import certs

blueprint = Blueprint("certs", __name__, url_prefix="/v1/certs")


@blueprint.route("/", methods=["GET"])
def list_certs() -> Response:
    """List the caller's certificates (``deis certs:list``)."""
    return paginated(certs.own_certs(context.caller()), serializers.certificate)


@blueprint.route("/", methods=["POST"])
def add_cert() -> Response:
    """Add a certificate and its key (``deis certs:add <cert> <key>``)."""
    certificate = certs.add_cert(context.session(), context.caller(), context.body())
    publication.publish_certs()
    context.commit()
    return respond(serializers.certificate(certificate), 201)


@blueprint.route("/<path:common_name>", methods=["GET"])
def get_cert(common_name: str) -> Response:
    """Show one of the caller's certificates (``deis certs:info``)."""
    certificate = certs.get_cert(context.session(), context.caller(), common_name.rstrip("/"))
    return respond(serializers.certificate(certificate))


@blueprint.route("/<path:common_name>", methods=["DELETE"])
def remove_cert(common_name: str) -> Response:
    """Remove one of the caller's certificates (``deis certs:remove``)."""
    certs.remove_cert(context.session(), context.caller(), common_name.rstrip("/"))
    publication.publish_certs()
    context.commit()
    return respond(status=204)
