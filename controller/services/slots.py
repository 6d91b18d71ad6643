"""Per-user caps on long requests (``deis logs -f``, ``deis run``), counted across every controller process.

A long request holds one of its user's ``cap`` slots of its kind while it
runs. A slot is a PostgreSQL session-level advisory lock, key ``(kind, user,
slot number)``, taken with ``pg_try_advisory_lock`` on a connection of the
slot's own and released by closing that connection: at the end of the
request, or by PostgreSQL itself when the process holding it dies.

Why PostgreSQL: every gunicorn worker (and every controller of a cluster)
already shares it, and the controller uses no Redis; a per-process counter
would allow ``cap`` per worker; a table of counters would keep a slot taken
forever whenever a worker is killed mid-stream, where a lock cannot.

The slot connections bypass the request pool (``NullPool``): a stream may be
open for hours and must not starve the requests that need the pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from controller.db import CONNECT_ARGS, DatabaseUnavailable, engine_url
from controller.errors import TooManyRequests

#: Slots a user may have of one kind, whatever the setting says: the slot number has 10 bits of the key.
MAX_CAP = 1024
#: The tag of each kind in the lock key, and how the 429 names it.
KINDS = {
    "follow": (0x6466, "'deis logs -f' streams open", "maxFollowsPerUser"),
    "run": (0x6472, "'deis run' commands running", "maxRunsPerUser"),
}


def lock_key(kind: str, user_id: int, number: int) -> int:
    """Return the 64-bit advisory lock key of slot ``number`` of ``user_id``'s ``kind``.

    Tags start at bit 40, far above the single-number keys of migrations and
    registration (about 2**38), so the spaces never meet.
    """
    return (KINDS[kind][0] << 40) | (user_id << 10) | number


def too_many(kind: str, cap: int) -> TooManyRequests:
    """Return the 429 of a user who already holds ``cap`` slots of ``kind``."""
    _, what, setting = KINDS[kind]
    return TooManyRequests(f"You already have {cap} {what}, the most allowed at once "
                           f"(an administrator sets {setting}); end one and try again.")


@dataclass
class Slot:
    """One taken slot; :meth:`release` gives it back (more than once is harmless)."""

    connection: Connection | None = field(repr=False)

    def release(self) -> None:
        """Close the slot's connection, which releases its lock."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


class Slots:
    """The slots of one database."""

    def __init__(self, url: str):
        self.engine = create_engine(engine_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT",
                                    connect_args=CONNECT_ARGS)

    def take(self, kind: str, user_id: int, cap: int) -> Slot:
        """Take a free slot of ``user_id``'s ``kind``, or raise 429 when all ``cap`` are taken."""
        cap = min(cap, MAX_CAP)
        connection = self._connect()
        try:
            for number in range(cap):
                key = lock_key(kind, user_id, number)
                if connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                    return Slot(connection)
        except BaseException:
            connection.close()
            raise
        connection.close()
        raise too_many(kind, cap)

    def _connect(self) -> Connection:
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise DatabaseUnavailable(f"the database is unavailable: {exc.orig}") from exc
