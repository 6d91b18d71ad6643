"""The database: one engine per process, one session per request, migrations.

psycopg2 and SQLAlchemy errors that mean "the database is away" are turned
into :class:`DatabaseUnavailable` here, so callers deal with our errors only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import URL, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from deis.errors import TemporaryError

MIGRATIONS = Path(__file__).parent / "migrations"
#: The advisory lock key that serialises migrations of several workers.
MIGRATION_LOCK = 0x6465697301


class DatabaseUnavailable(TemporaryError):
    """PostgreSQL did not answer; retry when it is back."""


def engine_url(url: str) -> URL:
    """Return ``url`` with the psycopg2 driver named (SQLAlchemy 2.1 defaults to psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


#: Connections one process opens past its 5 kept ones: one per gunicorn thread (``threads``, 16),
#: so a busy worker's threads never queue for a connection. 5 workers x 21 stays under
#: the database's max_connections (250).
MAX_OVERFLOW = 16


#: libpq options that bound how long a lost database host holds a connection. Without them a
#: connection to a host cut off (a node lost; its database restarted elsewhere) waits for TCP to
#: give up, about 15 minutes, in the pool's pre-ping as in a query: a connect waits 5 s, and data
#: unacknowledged for 10 s, or an idle connection unanswered for 5 + 3 x 2 s, ends it.
CONNECT_ARGS = {"connect_timeout": 5, "tcp_user_timeout": 10_000,
                "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


def make_engine(url: str) -> Engine:
    """Return an engine for ``url`` that checks connections before use, and gives up on a lost host in seconds."""
    return create_engine(engine_url(url), pool_pre_ping=True, pool_size=5, max_overflow=MAX_OVERFLOW,
                         connect_args=CONNECT_ARGS)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """Return a new session; the caller closes it."""
        return self.sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session inside a transaction committed on success."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config() -> AlembicConfig:
    """Return the Alembic configuration of the controller's migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (``alembic upgrade head``).

    An advisory lock makes concurrent starts (several gunicorn workers, two
    controllers) wait for each other instead of racing to create tables.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot migrate the database: {exc.orig}") from exc
    finally:
        engine.dispose()
