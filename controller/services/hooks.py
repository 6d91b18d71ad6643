"""What the builder asks of the controller: may this key push, record a push, the config.

Every hook is authorized by the shared secret ``builderKey`` (the header
``X-Deis-Builder-Auth``), then acts for the user named in ``receive_user``,
who must be allowed to use the app named in ``receive_repo``.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from controller import permissions, sshkeys
from controller.errors import FieldErrors, NotAuthenticated, NotFound, PermissionDenied, required
from controller.etcd_side import latest_config
from controller.models import App, Config, Key, Push, User
from controller.services.apps import get_app, role
from controller.services.users import find_user

SHA = re.compile(r"^[0-9a-f]{0,40}\Z")
#: Longest value of the free-text push fields (their columns are 255 wide).
TEXT_LIMIT = 255
MISSING_KEY = "Builder authentication required: send the header X-Deis-Builder-Auth."
WRONG_KEY = "The builder key in X-Deis-Builder-Auth is not this controller's builderKey."


def check_builder_key(sent: str | None, expected: str | None) -> None:
    """Raise 401 when no builder key was sent, 403 when it is not ``expected``."""
    if not sent:
        raise NotAuthenticated(MISSING_KEY)
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        raise PermissionDenied(WRONG_KEY)


def pusher(session: Session, data: dict[str, Any]) -> tuple[User, App]:
    """Return the user and app a hook is about, once the user may use the app."""
    required(data, "receive_user", "receive_repo")
    user = find_user(session, str(data["receive_user"]))
    app = get_app(session, str(data["receive_repo"]))
    if not permissions.may_use(role(session, user, app), "POST"):
        raise PermissionDenied(f"{user.username} may not push to {app.id}; ask its owner for 'deis perms:create'")
    return user, app


def _push_fields(data: dict[str, Any]) -> dict[str, str]:
    fields = {name: str(data.get(name) or "") for name in
              ("sha", "fingerprint", "receive_user", "receive_repo", "ssh_connection", "ssh_original_command")}
    if not SHA.match(fields["sha"]):
        raise FieldErrors({"sha": "Ensure this is a git commit id: at most 40 hex digits."})
    too_long = {name: f"Ensure this field has no more than {TEXT_LIMIT} characters."
                for name, value in fields.items() if len(value) > TEXT_LIMIT}
    if too_long:
        raise FieldErrors(too_long)
    return fields


def record_push(session: Session, data: dict[str, Any]) -> Push:
    """Record a ``git push`` by ``receive_user`` to ``receive_repo``."""
    user, app = pusher(session, data)
    push = Push(owner_id=user.id, owner=user, app_uuid=app.uuid, app=app, **_push_fields(data))
    session.add(push)
    session.flush()
    return push


def push_config(session: Session, data: dict[str, Any]) -> Config:
    """Return the config the build of ``receive_repo`` runs with (its newest release's)."""
    _user, app = pusher(session, data)
    config = latest_config(session, app)
    if config is None:
        raise NotFound()
    return config


def key_by_fingerprint(session: Session, fingerprint: str) -> Key:
    """Return the key with this SHA256 (``SHA256:…``) or MD5 (``aa:bb:…``) fingerprint."""
    wanted = sshkeys.normalize_fingerprint(fingerprint)
    key = session.scalars(select(Key).where(
        or_(Key.fingerprint_sha256 == wanted, Key.fingerprint == wanted)).limit(1)).first()
    if key is None:
        raise NotFound(f"No key with fingerprint {fingerprint!r} is registered; add it with 'deis keys:add'")
    return key
