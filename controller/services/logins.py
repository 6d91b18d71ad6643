"""Failed logins, throttled per username and per client address, in PostgreSQL.

Each failed ``deis login`` is a row; a username or an address with
``limit`` failures in the last ``window`` seconds gets 429 until the oldest
of them is ``window`` old, with a sentence giving the wait. A row table (not a
process counter) because every gunicorn worker and every controller must
count the same failures. Rows older than the window are deleted as new ones
come, so the table stays as small as the current attacks.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from controller.errors import TooManyRequests
from controller.models import LoginFailure, utcnow

#: Characters of a username or address kept in a row (the columns' sizes).
USERNAME_CHARS, ADDRESS_CHARS = 150, 64


@dataclass(frozen=True)
class Throttle:
    """How many failures (``limit``) in how many seconds (``window``) close logins for a while."""

    limit: int = 10
    window: float = 300.0


def wait_seconds(oldest: datetime.datetime | None, count: int, throttle: Throttle,
                 now: datetime.datetime) -> int:
    """Return the seconds until a name or address with ``count`` failures may try again (0: now)."""
    if oldest is None or count < throttle.limit:
        return 0
    return max(1, math.ceil(throttle.window - (now - oldest).total_seconds()))


def check(session: Session, username: str, address: str, throttle: Throttle) -> None:
    """Raise 429 when ``username`` or ``address`` failed too often lately."""
    now = utcnow()
    since = now - datetime.timedelta(seconds=throttle.window)
    for column, value, who in ((LoginFailure.username, username[:USERNAME_CHARS], f"for {username!r}"),
                               (LoginFailure.address, address[:ADDRESS_CHARS], f"from {address}")):
        oldest, count = session.execute(select(func.min(LoginFailure.created), func.count())
                                        .where(column == value, LoginFailure.created > since)).one()
        if wait := wait_seconds(oldest, count, throttle, now):
            raise TooManyRequests(f"Too many failed logins {who}; try again in {wait} seconds.")


def record_failure(session: Session, username: str, address: str, throttle: Throttle) -> None:
    """Count one failed login, and forget failures older than the window."""
    since = utcnow() - datetime.timedelta(seconds=throttle.window)
    session.execute(delete(LoginFailure).where(LoginFailure.created <= since))
    session.add(LoginFailure(username=username[:USERNAME_CHARS], address=address[:ADDRESS_CHARS]))
    session.flush()


def forget(session: Session, username: str) -> None:
    """Clear a username's failures after it logged in (its address's stay counted)."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:USERNAME_CHARS]))
