"""``/v1/apps/<id>/logs/``: the app's log, proxied from the logger (``deis logs [-f]``)."""

from flask import Blueprint, Response, request

from controller.api import context
from controller.api.responses import respond
from controller.services import apps, logs

blueprint = Blueprint("logs", __name__, url_prefix="/v1/apps/<app_id>/logs")


def _following() -> bool:
    return request.args.get("follow", "0").lower() not in ("", "0", "false", "no")


@blueprint.route("/", methods=["GET"])
def get_logs(app_id: str) -> Response:
    """Return the last ``log_lines`` lines as text (204 when none); ``?follow=1`` streams new lines too."""
    app = apps.authorize(context.session(), context.caller(), app_id, request.method)
    if _following():
        stream = logs.follow(context.etcd(), app.id, logs.lines_wanted(request.args.get("log_lines"), 100))
        if stream is None:
            return respond(status=204)
        return Response(stream, status=200, content_type="text/plain; charset=utf-8")
    text = logs.fetch(context.etcd(), app.id, logs.lines_wanted(request.args.get("log_lines")))
    if text is None:
        return respond(status=204)
    return Response(text, status=200, content_type="text/plain; charset=utf-8")
