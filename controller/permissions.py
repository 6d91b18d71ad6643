"""Who may do what to an app (reference §1.5); pure decisions, no I/O.

Admins may do everything; the owner may do everything; collaborators may do
everything but ``DELETE`` (they cannot destroy the app or remove domains) and
but changing the owner; anyone else may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    """A caller's relation to one app."""

    ADMIN = "admin"
    OWNER = "owner"
    COLLABORATOR = "collaborator"
    OTHER = "other"


@dataclass(frozen=True)
class Caller:
    """What the rules need to know of a user."""

    id: int
    is_superuser: bool


def role(caller: Caller, owner_id: int, collaborator_ids: frozenset[int] | set[int]) -> Role:
    """Return the caller's role for an app owned by ``owner_id``."""
    if caller.is_superuser:
        return Role.ADMIN
    if caller.id == owner_id:
        return Role.OWNER
    if caller.id in collaborator_ids:
        return Role.COLLABORATOR
    return Role.OTHER


def may_use(who: Role, method: str) -> bool:
    """True if ``who`` may call ``method`` on the app or its sub-resources."""
    if who in (Role.ADMIN, Role.OWNER):
        return True
    return who is Role.COLLABORATOR and method.upper() != "DELETE"


def may_manage(who: Role) -> bool:
    """True if ``who`` may transfer the app or grant and revoke collaborators."""
    return who in (Role.ADMIN, Role.OWNER)


def may_revoke(who: Role, caller_id: int, target_id: int) -> bool:
    """True if ``who`` may remove collaborator ``target_id`` (collaborators may leave)."""
    return may_manage(who) or (who is Role.COLLABORATOR and caller_id == target_id)
