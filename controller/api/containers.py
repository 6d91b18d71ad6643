"""``/v1/apps/<id>/containers/``, ``scale/``, ``run/``: ``deis ps``, ``ps:scale``, ``ps:restart``, ``run``."""

from flask import Blueprint, Response, request

from controller import processes, serializers
from controller.api import context
from controller.api.responses import paginated, respond
from controller.api.runtime import runtime
from controller.errors import NotFound
from controller.models import Container
from controller.services import apps, containers

blueprint = Blueprint("containers", __name__, url_prefix="/v1/apps")


def serialize(row: Container) -> dict:
    """Return the v1 container object with its state asked of the scheduler."""
    status = containers.status(runtime(), row)
    return serializers.container(row, status.state.value, status.exit_code, status.host)


@blueprint.route("/<app_id>/containers/", methods=["GET"])
@blueprint.route("/<app_id>/containers/<proc_type>/", methods=["GET"])
def list_containers(app_id: str, proc_type: str | None = None) -> Response:
    """List the app's containers, or those of one type (one-off ``run`` containers excluded)."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    return paginated(containers.rows_query(app, proc_type), serialize)


@blueprint.route("/<app_id>/containers/<proc_type>/<int:num>/", methods=["GET"])
def get_container(app_id: str, proc_type: str, num: int) -> Response:
    """Show one container."""
    session = context.session()
    app = apps.authorize(session, context.caller(), app_id, request.method)
    row = session.scalars(containers.rows_query(app, proc_type, num)).first()
    if row is None:
        raise NotFound()
    return respond(serialize(row))


@blueprint.route("/<app_id>/containers/restart/", methods=["POST"])
@blueprint.route("/<app_id>/containers/<proc_type>/restart/", methods=["POST"])
@blueprint.route("/<app_id>/containers/<proc_type>/<int:num>/restart/", methods=["POST"])
def restart(app_id: str, proc_type: str | None = None, num: int | None = None) -> Response:
    """Restart all containers, one type or one container, one at a time (``deis ps:restart``)."""
    session = context.session()
    app = apps.authorize(session, context.caller(), app_id, request.method)
    rows = containers.restart(session, runtime(), app, proc_type, num)
    context.commit()
    return respond([serialize(row) for row in rows])


def scale_limits() -> processes.ScaleLimits:
    """Return the most containers an app may scale to, as the administrator set them."""
    return processes.ScaleLimits(context.setting("maxContainersPerType"), context.setting("maxContainersPerApp"))


@blueprint.route("/<app_id>/scale/", methods=["POST"])
def scale(app_id: str) -> Response:
    """Scale process types (``deis ps:scale web=3``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    containers.scale(session, runtime(), app, caller, context.body(), scale_limits())
    context.commit()
    return respond(status=204)


@blueprint.route("/<app_id>/run/", methods=["POST"])
def run(app_id: str) -> Response:
    """Run a one-off command; answer ``[exit code, output]`` (``deis run``)."""
    session, caller = context.session(), context.caller()
    app = apps.authorize(session, caller, app_id, request.method)
    slot = context.slots().take("run", caller.id, context.setting("maxRunsPerUser"))
    try:
        spec = containers.prepare_run(session, runtime(), app, caller, context.body())
        # A command may run for many minutes: end the transaction rather than hold it open.
        context.commit()
        exit_code, output = containers.run(runtime(), spec)
    finally:
        slot.release()
    return respond([exit_code, output])
