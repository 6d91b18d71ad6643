"""What a view needs of the request: the database session, the caller, the body."""

from __future__ import annotations

import datetime
import ipaddress
import json
import time
from typing import Any

from flask import current_app, g, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from controller.api import inputs
from controller.db import Database
from controller.errors import AuthenticationFailed, BadRequest, NotAuthenticated
from controller.models import User
from controller.services import users
from controller.services.slots import Slots
from controller.tokens import digest, parse_authorization
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd
from deis.settings import Settings

_NO_USER = object()


def database() -> Database:
    """Return the app's :class:`Database`."""
    return current_app.extensions["deis.db"]


def settings() -> Settings:
    """Return the app's controller settings."""
    return current_app.extensions["deis.settings"]


def etcd() -> Etcd | None:
    """Return the app's etcd client (``None`` when the controller runs without etcd)."""
    return settings().etcd


#: Seconds a setting read from etcd is reused across requests. Each read is an
#: etcd round trip; two of them were ~35% of a GET /v1/apps/ (bench/controller_api).
#: A change made with 'deisctl config controller set' is seen within this time.
SETTINGS_TTL = 5.0


def setting(name: str) -> Any:
    """Return setting ``name``, read from etcd at most once per ``SETTINGS_TTL`` per process.

    While etcd does not answer, the value read last is used: a setting read on
    every request (the token lifetime) must not turn an etcd outage into an
    API outage. Never a default instead — that could loosen what an admin set
    (registration, lifetimes) — so with nothing read yet the outage is a 503.
    """
    ttl = current_app.config.get("SETTINGS_TTL", 0.0 if current_app.testing else SETTINGS_TTL)
    cache = current_app.extensions.setdefault("deis.settings_cache", {})
    value, expires = cache.get(name, (_UNREAD, 0.0))
    if time.monotonic() >= expires:
        try:
            value = settings().get(name)
        except EtcdUnavailable:
            if value is _UNREAD:
                raise
            # Ask again in a TTL, not on the next request: each ask waits out etcd's timeout
            # (5 s added to every request of a 60 s outage, reads included; T7).
            cache[name] = (value, time.monotonic() + ttl)
            return value
        cache[name] = (value, time.monotonic() + ttl)
    return value


_UNREAD = object()


def slots() -> Slots:
    """Return the app's per-user caps on long requests (made on first use)."""
    extensions = current_app.extensions
    if "deis.slots" not in extensions:
        extensions["deis.slots"] = Slots(database().url)
    return extensions["deis.slots"]


def session() -> Session:
    """Return this request's session (made on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Close (and so roll back anything uncommitted in) this request's session."""
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def optional_caller() -> User | None:
    """Return the user whose token came with the request, or ``None`` without one.

    A malformed or unknown token answers 401 even where no login is needed,
    as DRF did: a client should learn its token is wrong.
    """
    cached = g.get("caller", _NO_USER)
    if cached is not _NO_USER:
        return cached
    try:
        token = parse_authorization(request.headers.get("Authorization"))
    except ValueError as exc:
        raise AuthenticationFailed(str(exc)) from None
    g.token_digest = digest(token) if token else ""
    lifetime = datetime.timedelta(days=setting("tokenLifetimeDays"))
    g.caller = users.authenticate(session(), token, lifetime) if token else None
    return g.caller


def token_digest() -> str:
    """Return the digest of the token that came with the request (``""`` without one)."""
    optional_caller()
    return g.token_digest


def client_address() -> str:
    """Return the address of the client, as far as the controller can tell.

    Behind a router on this host (the peer is a loopback address) it is the
    last ``X-Forwarded-For`` entry, the one that router added; from anyone
    else the header could be forged, so it is the peer's address.
    """
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _is_loopback(peer):
        return forwarded.split(",")[-1].strip()
    return peer


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def caller() -> User:
    """Return the authenticated caller or raise :class:`NotAuthenticated`."""
    user = optional_caller()
    if user is None:
        raise NotAuthenticated()
    return user


def raw_body() -> bytes:
    """Return the request's body, or answer 413 when it is larger than ``MAX_CONTENT_LENGTH``.

    Werkzeug refuses a too-long ``Content-Length`` itself, but a chunked body
    (no length; gunicorn de-chunks it) it silently cuts at the limit: a body
    that reached the limit is taken to have gone past it.
    """
    raw = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit and len(raw) >= limit:
        raise RequestEntityTooLarge()
    return raw


def body() -> dict[str, Any]:
    """Return the JSON object sent with the request (``{}`` when empty)."""
    raw = raw_body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"JSON parse error - {exc}") from None
    except ValueError:  # a number of more digits than Python converts (4300)
        raise BadRequest("JSON parse error - a number in the body is too long") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object, e.g. {\"id\": \"myapp\"}.")
    return inputs.refuse_nul_in_body(data)


def commit() -> None:
    """Commit this request's work."""
    session().commit()
