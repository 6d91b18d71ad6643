"""Custom domains of an app: list, add, remove (reference §2.8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import hostnames
from controller.errors import FieldErrors, NotFound
from controller.models import App, Domain, User
from controller.services import events


def app_domains(app: App) -> Select:
    """Return the query of ``app``'s domains, in the order they were added."""
    return select(Domain).where(Domain.app_uuid == app.uuid).order_by(Domain.created, Domain.id)


def _is_app(session: Session) -> Callable[[str], bool]:
    return lambda app_id: bool(session.scalar(select(exists().where(App.id == app_id))))


def add_domain(session: Session, owner: User, app: App, data: dict[str, Any], platform_domain: str = "") -> Domain:
    """Route the domain ``data["domain"]`` to ``app``; every domain belongs to one app only.

    ``owner`` is the caller; names under ``platform_domain`` follow
    :func:`controller.hostnames.check_platform_name`.
    """
    name = hostnames.validate_domain(data.get("domain"))
    hostnames.check_platform_name(name, platform_domain, app.id, owner.is_superuser, _is_app(session))
    if session.scalar(select(exists().where(Domain.domain == name))):
        raise FieldErrors({"domain": hostnames.in_use(name)})
    domain = Domain(owner_id=owner.id, owner=owner, app_uuid=app.uuid, app=app, domain=name)
    session.add(domain)
    try:
        session.flush()
    except IntegrityError:
        raise FieldErrors({"domain": hostnames.in_use(name)}) from None
    events.record(app.id, f"domain {name} added")
    return domain


def remove_domain(session: Session, app: App, name: str) -> None:
    """Stop routing the domain ``name`` to ``app`` (404 if the app does not have it)."""
    domain = session.scalar(select(Domain).where(Domain.app_uuid == app.uuid, Domain.domain == name.lower()))
    if domain is None:
        raise NotFound()
    session.delete(domain)
    session.flush()
    events.record(app.id, f"domain {domain.domain} removed")
