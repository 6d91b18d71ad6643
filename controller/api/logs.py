"""``/v1/apps/<id>/logs/``: the app's log, proxied from the logger (``deis logs [-f]``)."""

import select
import socket
from collections.abc import Iterator

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
        return _follow(app.id, logs.lines_wanted(request.args.get("log_lines"), 100))
    text = logs.fetch(context.etcd(), app.id, logs.lines_wanted(request.args.get("log_lines")))
    if text is None:
        return respond(status=204)
    return Response(text, status=200, content_type="text/plain; charset=utf-8")


def _follow(app_id: str, lines: int) -> Response:
    """Stream the log while holding one of the caller's follow slots (429 past ``maxFollowsPerUser``)."""
    slot = context.slots().take("follow", context.caller().id, context.setting("maxFollowsPerUser"))
    try:
        stream = logs.follow(context.etcd(), app_id, lines)
    except BaseException:
        slot.release()
        raise
    if stream is None:
        slot.release()
        return respond(status=204)
    response = Response(_while_connected(stream, request.environ.get("gunicorn.socket")), status=200,
                        content_type="text/plain; charset=utf-8")
    response.call_on_close(slot.release)  # the server closes the response when the stream ends or breaks
    return response


def _while_connected(stream: Iterator[bytes], client: socket.socket | None) -> Iterator[bytes]:
    """Pass ``stream`` on until it ends or, at one of its idle ticks (``b""``), the client is gone.

    An empty chunk makes gunicorn send the headers and nothing else, so one
    goes first: the client knows its stream is open before the first line.
    """
    try:
        yield b""
        for chunk in stream:
            if not chunk and client is not None and _hung_up(client):
                return
            yield chunk
    finally:
        stream.close()


def _hung_up(client: socket.socket) -> bool:
    """True when the client closed its connection (gunicorn's socket reads as at its end)."""
    try:
        readable, _, _ = select.select([client], [], [], 0)
        return bool(readable) and client.recv(1, socket.MSG_PEEK) == b""
    except ValueError:  # a TLS socket cannot peek: assume the client is there
        return False
    except OSError:
        return True
