"""Sharing: an app's collaborators, and the platform's administrators."""

from __future__ import annotations

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from controller import permissions
from controller.errors import REQUIRED, FieldErrors, PermissionDenied
from controller.models import App, Perm, User
from controller.services import events
from controller.services.apps import collaborator_ids, role
from controller.services.users import ensure_another_admin, find_user


def collaborators(session: Session, app: App) -> list[str]:
    """Return the usernames ``app`` is shared with (the owner not included), sorted."""
    statement = select(User.username).join(Perm, Perm.user_id == User.id).where(Perm.app_uuid == app.uuid)
    return sorted(session.scalars(statement))


def _named(username: object) -> str:
    if not username:
        raise FieldErrors({"username": REQUIRED})
    return str(username)


def grant(session: Session, caller: User, app: App, username: object) -> User:
    """Share ``app`` with ``username`` (owner or admin only); granting twice is harmless."""
    if not permissions.may_manage(role(session, caller, app)):
        raise PermissionDenied()
    user = find_user(session, _named(username))
    if user.id not in collaborator_ids(session, app):
        session.add(Perm(app_uuid=app.uuid, user_id=user.id))
        session.flush()
        events.record(app.id, f"User {user.username} was granted access to {app.id}")
    return user


def revoke(session: Session, caller: User, app: App, username: str) -> User:
    """Stop sharing ``app`` with ``username``; collaborators may remove themselves.

    As in v1, revoking a user who is not a collaborator answers 403.
    """
    user = find_user(session, username)
    who = role(session, caller, app)
    if not permissions.may_revoke(who, caller.id, user.id):
        raise PermissionDenied()
    removed = session.execute(delete(Perm).where(Perm.app_uuid == app.uuid, Perm.user_id == user.id))
    if not removed.rowcount:
        raise PermissionDenied(f"{username} is not a collaborator on {app.id}")
    events.record(app.id, f"User {user.username} was revoked access to {app.id}")
    return user


def _require_admin(caller: User) -> None:
    if not caller.is_superuser:
        raise PermissionDenied()


def admins(caller: User) -> Select:
    """Return the query of active administrators (admins only)."""
    _require_admin(caller)
    return select(User).where(User.is_superuser.is_(True), User.is_active.is_(True)).order_by(User.username)


def set_admin(session: Session, caller: User, username: object, value: bool) -> User:
    """Grant (``value=True``) or revoke administrator rights of ``username``; the last admin stays one."""
    _require_admin(caller)
    user = find_user(session, _named(username))
    if not value:
        ensure_another_admin(session, user)
    user.is_superuser = user.is_staff = value
    session.flush()
    return user
