"""SSH keys: each user's own, listed, added and removed by label."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import sshkeys
from controller.errors import UNIQUE, FieldErrors, NotFound, required
from controller.models import Key, User


def own_keys(owner: User) -> Select:
    """Return the query of ``owner``'s keys, newest first."""
    return select(Key).where(Key.owner_id == owner.id).order_by(Key.created.desc(), Key.id)


def get_key(session: Session, owner: User, key_id: str) -> Key:
    """Return ``owner``'s key labelled ``key_id`` or raise :class:`NotFound`."""
    key = session.scalar(select(Key).where(Key.owner_id == owner.id, Key.id == key_id))
    if key is None:
        raise NotFound()
    return key


def _check_unique(session: Session, owner: User, key_id: str, fingerprint: str) -> None:
    # The same key with another comment has the same fingerprint: one key, one user.
    if session.scalar(select(exists().where(Key.fingerprint_sha256 == fingerprint))):
        raise FieldErrors({"public": UNIQUE})
    if session.scalar(select(exists().where(Key.owner_id == owner.id, Key.id == key_id))):
        raise FieldErrors({"id": UNIQUE})


def add_key(session: Session, owner: User, data: dict[str, Any]) -> Key:
    """Store a public key for ``owner`` under the label ``data["id"]``."""
    required(data, "id", "public")
    key_id, public = str(data["id"]).strip(), str(data["public"]).strip()
    if len(key_id) > 128:
        raise FieldErrors({"id": "Ensure this field has no more than 128 characters."})
    parsed = sshkeys.parse_public_key(public)
    _check_unique(session, owner, key_id, parsed.sha256)
    key = Key(owner_id=owner.id, owner=owner, id=key_id, public=public,
              fingerprint=parsed.md5, fingerprint_sha256=parsed.sha256)
    session.add(key)
    try:
        session.flush()
    except IntegrityError:
        raise FieldErrors({"public": UNIQUE}) from None
    return key


def remove_key(session: Session, owner: User, key_id: str) -> None:
    """Delete ``owner``'s key labelled ``key_id``."""
    session.delete(get_key(session, owner, key_id))
    session.flush()
