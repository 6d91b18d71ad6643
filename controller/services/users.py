"""Accounts: register, log in, cancel, change passwords, issue and revoke tokens."""

from __future__ import annotations

import datetime
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
from controller.services import logins

#: Serialises "is this the first user?" so two first registrations cannot both become admin,
#: and "is this the last admin?" so two admins cannot demote each other at once.
REGISTRATION_LOCK = 0x6465697302
LOGIN_FAILED = "Unable to log in with provided credentials."
TOKEN_EXPIRED = "Token expired; log in again with 'deis login <controller>'."


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
    """Create a user; the first one becomes an admin (reference §1.3), later ones never do.

    Before, any user registered while no admin existed became one.
    """
    _may_register(mode, caller)
    fields = validators.registration(data, min_password_length)
    password_hash = passwords.hash_password(fields["password"])  # slow: before taking the lock
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK})
    if session.scalar(select(exists().where(User.username == fields["username"]))):
        raise FieldErrors({"username": UNIQUE})
    first = not session.scalar(select(exists().where(User.id.is_not(None))))  # no user at all
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


def login(session: Session, data: dict[str, Any], address: str = "",
          throttle: logins.Throttle = logins.Throttle()) -> str:
    """Check a username and password and return a new token.

    Too many recent failures for the username or from ``address`` answer
    429 (see :mod:`controller.services.logins`). A missing user costs one
    password check like a present one, so the time of the answer does not
    say whether a username exists.
    """
    required(data, "username", "password")
    username, password = str(data["username"]), str(data["password"])
    logins.check(session, username, address, throttle)
    user = session.scalar(select(User).where(User.username == username))
    matches = passwords.check_password(user.password, password) if user else passwords.check_decoy(password)
    if not (matches and user.is_active):
        logins.record_failure(session, username, address, throttle)
        session.commit()  # the failure counts although the request fails (and rolls back)
        raise FieldErrors({"non_field_errors": LOGIN_FAILED})
    logins.forget(session, username)
    if passwords.needs_rehash(user.password):
        user.password = passwords.hash_password(password)
    user.last_login = utcnow()
    return issue_token(session, user)


def authenticate(session: Session, token: str, lifetime: datetime.timedelta | None = None) -> User:
    """Return the active user holding ``token`` or raise :class:`AuthenticationFailed`.

    A token older than ``lifetime`` is expired and answers 401.
    """
    found = session.scalar(select(Token).where(Token.digest == tokens.digest(token)))
    if found is None:
        raise AuthenticationFailed("Invalid token")
    if lifetime is not None and found.created + lifetime < utcnow():
        raise AuthenticationFailed(TOKEN_EXPIRED)
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
    ensure_another_admin(session, user)
    session.delete(user)
    session.flush()


def change_password(session: Session, caller: User, data: dict[str, Any],
                    min_password_length: int = validators.MIN_PASSWORD_LENGTH, keep_digest: str = "") -> None:
    """Set a new password of at least ``min_password_length`` characters, and revoke the user's tokens.

    The current one is needed unless an admin changes another's. The token
    whose digest is ``keep_digest`` (the one of this request) keeps working;
    every other token of the user stops: whoever held one must log in again.
    """
    user = target(session, caller, data.get("username"))
    required(data, "new_password")
    needs_current = user.id == caller.id or not caller.is_superuser
    if needs_current and not passwords.check_password(user.password, str(data.get("password") or "")):
        raise BadRequest("Current password does not match")
    if problems := validators.password_errors(str(data["new_password"]), min_password_length):
        raise FieldErrors({"new_password": problems})
    user.password = passwords.hash_password(str(data["new_password"]))
    session.execute(delete(Token).where(Token.user_id == user.id, Token.digest != keep_digest))
    session.flush()


def ensure_another_admin(session: Session, user: User) -> None:
    """Raise 400 when ``user`` is the last active administrator (who may be neither demoted nor cancelled).

    Takes the accounts lock until the transaction ends, so two admins
    demoting each other at once cannot both succeed.
    """
    if not user.is_superuser:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK})
    others = select(exists().where(User.is_superuser.is_(True), User.is_active.is_(True), User.id != user.id))
    if not session.scalar(others):
        raise BadRequest(f"{user.username} is the last administrator; make another user an administrator "
                         "first ('deis perms:create <username> --admin').")


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
