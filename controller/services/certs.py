"""TLS certificates: each user's own, listed, added and removed by common name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import certificates
from controller.errors import UNIQUE, FieldErrors, NotFound, required
from controller.models import Certificate, User


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


def add_cert(session: Session, owner: User, data: dict[str, Any]) -> Certificate:
    """Store a certificate and its key; the common name comes from the certificate unless given."""
    required(data, "certificate", "key")
    pem, key = str(data["certificate"]), str(data["key"])
    parsed = certificates.parse(pem, key, data.get("common_name") or None)
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
