"""TLS certificates: each user's own, listed, added and removed by common name.

A certificate binds to the custom domain of its common name, so only a user
who may administer the app holding that domain (owner, collaborator, admin)
may add one: otherwise anyone could reserve a name, or have the router serve
their key for someone else's domain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import certificates, permissions
from controller.errors import UNIQUE, FieldErrors, NotFound, PermissionDenied, required
from controller.models import Certificate, Domain, User
from controller.services import apps


def own_certs(owner: User) -> Select:
    """Return the query of ``owner``'s certificates, newest first."""
    return (select(Certificate).where(Certificate.owner_id == owner.id)
            .order_by(Certificate.created.desc(), Certificate.id))


def get_cert(session: Session, owner: User, common_name: str) -> Certificate:
    """Return ``owner``'s certificate for ``common_name`` or raise :class:`NotFound`."""
    found = session.scalar(select(Certificate).where(
        Certificate.owner_id == owner.id, Certificate.common_name == common_name.lower()))
    if found is None:
        raise NotFound()
    return found


def check_domain_holder(session: Session, user: User, name: str) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` may administer an app with the domain ``name``."""
    domain = session.scalar(select(Domain).where(Domain.domain == name))
    if domain is None or not permissions.may_use(apps.role(session, user, domain.app), "POST"):
        raise PermissionDenied(f"{name} is not a domain of an app you may administer; add it first with "
                               f"'deis domains:add {name} -a <app>', then add its certificate.")


def add_cert(session: Session, owner: User, data: dict[str, Any]) -> Certificate:
    """Store a certificate and its key; the common name comes from the certificate unless given.

    The name must be in the certificate and a domain of an app ``owner`` may administer.
    """
    required(data, "certificate", "key")
    pem, key = str(data["certificate"]), str(data["key"])
    parsed = certificates.parse(pem, key, data.get("common_name") or None)
    check_domain_holder(session, owner, parsed.common_name)
    if session.scalar(select(exists().where(Certificate.common_name == parsed.common_name))):
        raise FieldErrors({"common_name": UNIQUE})
    certificate = Certificate(owner_id=owner.id, owner=owner, certificate=pem, key=key,
                              common_name=parsed.common_name, expires=parsed.expires)
    session.add(certificate)
    try:
        session.flush()
    except IntegrityError:
        raise FieldErrors({"common_name": UNIQUE}) from None
    return certificate


def remove_cert(session: Session, owner: User, common_name: str) -> None:
    """Delete ``owner``'s certificate for ``common_name``."""
    session.delete(get_cert(session, owner, common_name))
    session.flush()
