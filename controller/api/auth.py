"""``/v1/auth/``: register, login, cancel, passwd, tokens."""

from flask import Blueprint, Response

from controller import serializers
from controller.api import context
from controller.api.responses import respond
from controller.services import logins, users

blueprint = Blueprint("auth", __name__, url_prefix="/v1/auth")


@blueprint.route("/register/", methods=["POST"])
def register() -> Response:
    """Create an account (``deis register``); the first one is an admin."""
    mode = context.setting("registrationMode")
    user = users.register(context.session(), context.body(), mode, context.optional_caller(),
                          context.setting("minPasswordLength"))
    context.commit()
    return respond(serializers.user(user), 201)


@blueprint.route("/login/", methods=["POST"])
def login() -> Response:
    """Exchange a username and password for a token (``deis login``)."""
    throttle = logins.Throttle(context.setting("loginFailureLimit"), context.setting("loginFailureWindow"))
    token = users.login(context.session(), context.body(), context.client_address(), throttle)
    context.commit()
    return respond({"token": token})


@blueprint.route("/cancel/", methods=["DELETE"])
def cancel() -> Response:
    """Delete the caller's account, or (admins) another's (``deis auth:cancel``)."""
    users.cancel(context.session(), context.caller(), context.body().get("username"))
    context.commit()
    return respond(status=204)


@blueprint.route("/passwd/", methods=["POST"])
def passwd() -> Response:
    """Change a password (``deis auth:passwd``); the user's other tokens stop working, this one goes on."""
    users.change_password(context.session(), context.caller(), context.body(), context.setting("minPasswordLength"),
                          keep_digest=context.token_digest())
    context.commit()
    return respond({"status": "password set"})


@blueprint.route("/tokens/", methods=["POST"])
def tokens() -> Response:
    """Revoke tokens and issue a new one (``deis auth:regenerate``)."""
    token = users.regenerate_tokens(context.session(), context.caller(), context.body())
    context.commit()
    return respond(token if token == "" else {"token": token})
