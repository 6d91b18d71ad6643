"""Apps: create, find, authorize, list, transfer, destroy."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import permissions
from controller.errors import UNIQUE, FieldErrors, NotFound, PermissionDenied
from controller.models import App, Domain, Perm, User
from controller.services import events, logs, release_records
from controller.services.users import find_user
from deis import naming
from deis.errors import ValidationError
from deis.etcd import Etcd

#: How often a random id is drawn before giving up (the name space is ~5,000 ids).
RANDOM_ID_ATTEMPTS = 20


def caller_of(user: User) -> permissions.Caller:
    """Return what the permission rules need to know of ``user``."""
    return permissions.Caller(user.id, user.is_superuser)


def get_app(session: Session, app_id: str) -> App:
    """Return the app ``app_id`` or raise :class:`NotFound`."""
    app = session.scalar(select(App).where(App.id == app_id))
    if app is None:
        raise NotFound()
    return app


def collaborator_ids(session: Session, app: App) -> set[int]:
    """Return the ids of the users the app is shared with."""
    return set(session.scalars(select(Perm.user_id).where(Perm.app_uuid == app.uuid)))


def role(session: Session, user: User, app: App) -> permissions.Role:
    """Return ``user``'s role for ``app``."""
    return permissions.role(caller_of(user), app.owner_id, collaborator_ids(session, app))


def authorize(session: Session, user: User, app_id: str, method: str) -> App:
    """Return app ``app_id`` if ``user`` may call ``method`` on it (404, then 403)."""
    app = get_app(session, app_id)
    if not permissions.may_use(role(session, user, app), method):
        raise PermissionDenied()
    return app


def visible_apps(user: User) -> Select:
    """Return the query of the apps ``user`` sees: all for admins, else owned or shared."""
    statement = select(App).order_by(App.created.desc(), App.id)
    if user.is_superuser:
        return statement
    shared = exists().where(Perm.app_uuid == App.uuid, Perm.user_id == user.id)
    return statement.where(or_(App.owner_id == user.id, shared))


def _validated_structure(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(count, int) and not isinstance(count, bool) and count >= 0 for count in value.values()):
        raise FieldErrors({"structure": 'Structure must be an object like {"web": 1} with counts >= 0.'})
    return dict(value)


def _new_id(session: Session, requested: Any, reserved: frozenset[str], rng: random.Random | None) -> str:
    if requested not in (None, ""):
        try:
            return naming.validate_app_id(str(requested), reserved)
        except ValidationError as exc:
            raise FieldErrors({"id": str(exc)}) from None
    for _ in range(RANDOM_ID_ATTEMPTS):
        candidate = naming.random_app_id(rng)
        if candidate not in reserved and not _taken(session, candidate):
            return candidate
    raise FieldErrors({"id": "No free random app id was found; pass one, e.g. 'deis create myapp'."})


def _taken(session: Session, app_id: str) -> bool:
    return bool(session.scalar(select(exists().where(App.id == app_id))))


def _check_hostname_free(session: Session, app_id: str, platform_domain: str) -> None:
    """Refuse an id whose platform hostname is already another app's custom domain."""
    if not platform_domain:
        return
    hostname = f"{app_id}.{platform_domain}".lower()
    if session.scalar(select(exists().where(Domain.domain == hostname))):
        raise FieldErrors({"id": f"{hostname} is already a custom domain of another app; choose another app id."})


def create(session: Session, owner: User, data: dict[str, Any], reserved: frozenset[str],
           rng: random.Random | None = None, platform_domain: str = "") -> App:
    """Create an app with its empty config and release v1, served at ``<id>.<platform_domain>``."""
    app_id = _new_id(session, data.get("id"), reserved, rng)
    if _taken(session, app_id):
        raise FieldErrors({"id": UNIQUE})
    _check_hostname_free(session, app_id, platform_domain)
    app = App(id=app_id, owner_id=owner.id, owner=owner, structure=_validated_structure(data.get("structure")))
    session.add(app)
    try:
        session.flush()
    except IntegrityError:
        raise FieldErrors({"id": UNIQUE}) from None
    release = release_records.initial_release(session, app, owner)
    events.record(app.id, release.summary)  # v1: "<owner> created initial release", the app's first log line
    return app


def transfer(session: Session, user: User, app: App, new_owner: str) -> None:
    """Give ``app`` to the user called ``new_owner`` (owner or admin only)."""
    if not permissions.may_manage(role(session, user, app)):
        raise PermissionDenied()
    owner = find_user(session, new_owner)
    app.owner_id, app.owner = owner.id, owner
    session.flush()


def destroy(session: Session, app: App, etcd: Etcd | None = None) -> None:
    """Delete ``app`` and (by cascade) everything recorded about it.

    Its log leaves the logger when ``etcd`` is given. (Containers are removed
    by the caller through the scheduler, its routes through
    :mod:`controller.api.publication`; the git repository by the builder.)
    """
    session.delete(app)
    session.flush()
    if etcd is not None:
        logs.delete(etcd, app.id)
