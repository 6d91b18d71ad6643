"""Accounts: register, log in, cancel, change passwords, issue and revoke tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controller import passwords, tokens, validators
from controller.errors import (
    UNIQUE,
    AuthenticationFailed,
    BadRequest,
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    required,
)
from controller.models import App, Token, User, utcnow

#: Serialises "is this the first user?" so two first registrations cannot both become admin.
REGISTRATION_LOCK = 0x6465697302
LOGIN_FAILED = "Unable to log in with provided credentials."


def find_user(session: Session, username: str) -> User:
    """Return the user called ``username`` or raise :class:`NotFound`."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound()
    return user


def _may_register(mode: str, caller: User | None) -> None:
    if mode == "disabled":
        raise PermissionDenied("Registration is disabled")
    if mode == "admin_only" and not (caller and caller.is_superuser):
        raise PermissionDenied("Only administrators can register new users")


def register(session: Session, data: dict[str, Any], mode: str, caller: User | None,
             min_password_length: int = validators.MIN_PASSWORD_LENGTH) -> User:
    """Create a user; the first one ever becomes an admin (reference §1.3)."""
    _may_register(mode, caller)
    fields = validators.registration(data, min_password_length)
    password_hash = passwords.hash_password(fields["password"])  # slow: before taking the lock
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK})
    if session.scalar(select(exists().where(User.username == fields["username"]))):
        raise FieldErrors({"username": UNIQUE})
    first = not session.scalar(select(exists().where(User.is_superuser.is_(True))))
    user = User(**{**fields, "password": password_hash}, is_superuser=first, is_staff=first)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise FieldErrors({"username": UNIQUE}) from None
    return user


def issue_token(session: Session, user: User) -> str:
    """Return a new token for ``user``; only its digest is stored."""
    token = tokens.new_token()
    session.add(Token(user_id=user.id, digest=tokens.digest(token)))
    session.flush()
    return token


def login(session: Session, data: dict[str, Any]) -> str:
    """Check a username and password and return a new token."""
    required(data, "username", "password")
    user = session.scalar(select(User).where(User.username == str(data["username"])))
    if user is None or not user.is_active or not passwords.check_password(user.password, str(data["password"])):
        raise FieldErrors({"non_field_errors": LOGIN_FAILED})
    if passwords.needs_rehash(user.password):
        user.password = passwords.hash_password(str(data["password"]))
    user.last_login = utcnow()
    return issue_token(session, user)


def authenticate(session: Session, token: str) -> User:
    """Return the active user holding ``token`` or raise :class:`AuthenticationFailed`."""
    found = session.scalar(select(Token).where(Token.digest == tokens.digest(token)))
    if found is None:
        raise AuthenticationFailed("Invalid token")
    if not found.user.is_active:
        raise AuthenticationFailed("User inactive or deleted")
    return found.user


def target(session: Session, caller: User, username: str | None) -> User:
    """Return the user an account action is about: the caller, or (admins only) another."""
    if not username or username == caller.username:
        return caller
    if not caller.is_superuser:
        raise PermissionDenied()
    return find_user(session, username)


def cancel(session: Session, caller: User, username: str | None) -> None:
    """Delete an account that owns no apps (409 otherwise)."""
    user = target(session, caller, username)
    if session.scalar(select(exists().where(App.owner_id == user.id))):
        raise Conflict(f"{user.username} still has applications assigned. Delete or transfer ownership")
    session.delete(user)
    session.flush()


def change_password(session: Session, caller: User, data: dict[str, Any],
                    min_password_length: int = validators.MIN_PASSWORD_LENGTH) -> None:
    """Set a new password of at least ``min_password_length`` characters.

    The current one is needed unless an admin changes another's.
    """
    user = target(session, caller, data.get("username"))
    required(data, "new_password")
    needs_current = user.id == caller.id or not caller.is_superuser
    if needs_current and not passwords.check_password(user.password, str(data.get("password") or "")):
        raise BadRequest("Current password does not match")
    if problems := validators.password_errors(str(data["new_password"]), min_password_length):
        raise FieldErrors({"new_password": problems})
    user.password = passwords.hash_password(str(data["new_password"]))
    session.flush()


def regenerate_tokens(session: Session, caller: User, data: dict[str, Any]) -> str:
    """Revoke tokens and return the new one: of the caller, one user, or (``all``) everyone.

    For ``all`` nobody gets a new token (everyone logs in again) and ``""`` is returned.
    """
    if data.get("all"):
        if not caller.is_superuser:
            raise PermissionDenied()
        session.execute(delete(Token))
        return ""
    user = target(session, caller, data.get("username"))
    session.execute(delete(Token).where(Token.user_id == user.id))
    return issue_token(session, user)


def users(caller: User):
    """Return the query of every user (admins only), oldest first."""
    if not caller.is_superuser:
        raise PermissionDenied()
    return select(User).order_by(User.id)
