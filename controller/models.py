"""The controller's data model (Deis v1 ``api/models.py``), in SQLAlchemy 2.

Field names follow the v1 API objects (reference §1.4) so serializers stay a
plain mapping. Differences from v1, on purpose:

* API tokens are stored as SHA-256 digests, and a user may hold several (one
  per login); regenerating deletes them all, and so does a password change
  (but for the token that made it). A token expires ``tokenLifetimeDays``
  after it was issued.
* Failed logins are rows (``login_failures``), so every worker counts them.
* Rows that record who did something (configs, builds, releases, …) keep
  their app when that user cancels their account: the owner becomes NULL
  instead of cascading (Django's default would delete other people's history).
* Keys also store a SHA-256 fingerprint, for the builder's key lookup hook.

No model writes etcd or calls the scheduler: those side effects are explicit
calls in ``controller.services``.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime


def utcnow() -> datetime.datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.datetime.now(datetime.UTC)


#: Constraint names Alembic migrations can refer to, stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every controller table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict] = {
        datetime.datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


class Audited:
    """``created`` and ``updated`` timestamps, as on every v1 model."""

    created: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UuidAudited(Audited):
    """A UUID primary key plus timestamps (v1's ``UuidAuditedModel``)."""

    uuid: Mapped[uuidlib.UUID] = mapped_column(primary_key=True, default=uuidlib.uuid4)


def _owner(nullable: bool = True) -> Mapped[int | None]:
    action = "SET NULL" if nullable else "CASCADE"
    return mapped_column(ForeignKey("users.id", ondelete=action), nullable=nullable, index=True)


def _app() -> Mapped[uuidlib.UUID]:
    return mapped_column(ForeignKey("apps.uuid", ondelete="CASCADE"), index=True)


def _json() -> Mapped[dict[str, Any]]:
    return mapped_column(default=dict)


class User(Base):
    """A platform user; ``is_superuser`` makes an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254), default="")
    first_name: Mapped[str] = mapped_column(String(30), default="")
    last_name: Mapped[str] = mapped_column(String(30), default="")
    is_superuser: Mapped[bool] = mapped_column(default=False)
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login: Mapped[datetime.datetime | None]
    date_joined: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class Token(Base):
    """One API token of a user, stored as the SHA-256 digest of its 40-hex key."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed login, counted against its username and its client address for a while."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[datetime.datetime] = mapped_column(default=utcnow, index=True)


class Key(UuidAudited, Base):
    """An SSH public key a user pushes with."""

    __tablename__ = "keys"
    __table_args__ = (UniqueConstraint("owner_id", "id"),)

    owner_id: Mapped[int] = _owner(nullable=False)
    id: Mapped[str] = mapped_column(String(128))
    public: Mapped[str] = mapped_column(Text, unique=True)
    fingerprint: Mapped[str] = mapped_column(String(128))
    fingerprint_sha256: Mapped[str] = mapped_column(String(128), index=True, unique=True)

    owner: Mapped[User] = relationship(lazy="joined")


class App(UuidAudited, Base):
    """An application: a name, an owner and the scale of each process type."""

    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    structure: Mapped[dict[str, Any]] = _json()

    owner: Mapped[User] = relationship(lazy="joined")


class Perm(Base):
    """A collaborator of an app (v1's guardian ``use_app`` object permission)."""

    __tablename__ = "perms"
    __table_args__ = (UniqueConstraint("app_uuid", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_uuid: Mapped[uuidlib.UUID] = _app()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class Config(UuidAudited, Base):
    """One version of an app's environment, limits and tags (never updated in place)."""

    __tablename__ = "configs"

    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    values: Mapped[dict[str, Any]] = _json()
    memory: Mapped[dict[str, Any]] = _json()
    cpu: Mapped[dict[str, Any]] = _json()
    tags: Mapped[dict[str, Any]] = _json()

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")


class Build(UuidAudited, Base):
    """An image built (or pulled) for an app."""

    __tablename__ = "builds"

    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    image: Mapped[str] = mapped_column(String(256))
    sha: Mapped[str] = mapped_column(String(40), default="")
    procfile: Mapped[dict[str, Any]] = _json()
    dockerfile: Mapped[str] = mapped_column(Text, default="")

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")


class Release(UuidAudited, Base):
    """Version N of an app: one config plus (from the first deploy on) one build."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("app_uuid", "version"),)

    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    version: Mapped[int]
    summary: Mapped[str] = mapped_column(Text, default="")
    config_uuid: Mapped[uuidlib.UUID] = mapped_column(ForeignKey("configs.uuid", ondelete="CASCADE"))
    build_uuid: Mapped[uuidlib.UUID | None] = mapped_column(ForeignKey("builds.uuid", ondelete="CASCADE"))

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")


class Domain(Audited, Base):
    """A custom domain routed to an app."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    domain: Mapped[str] = mapped_column(String(255), unique=True)

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")


class Certificate(Audited, Base):
    """A TLS certificate, bound to the domain equal to its common name."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = _owner(nullable=False)
    certificate: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    common_name: Mapped[str] = mapped_column(String(255), unique=True)
    expires: Mapped[datetime.datetime]

    owner: Mapped[User] = relationship(lazy="joined")


class Container(UuidAudited, Base):
    """One process of a release: ``<app>_v<release>.<type>.<num>``; state lives in Docker."""

    __tablename__ = "containers"

    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    release_uuid: Mapped[uuidlib.UUID] = mapped_column(ForeignKey("releases.uuid", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(128))
    num: Mapped[int]

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")
    release: Mapped[Release] = relationship(lazy="joined")


class Push(UuidAudited, Base):
    """The audit record of one ``git push``."""

    __tablename__ = "pushes"

    owner_id: Mapped[int | None] = _owner()
    app_uuid: Mapped[uuidlib.UUID] = _app()
    sha: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(255))
    receive_user: Mapped[str] = mapped_column(String(255))
    receive_repo: Mapped[str] = mapped_column(String(255))
    ssh_connection: Mapped[str] = mapped_column(String(255))
    ssh_original_command: Mapped[str] = mapped_column(String(255))

    owner: Mapped[User | None] = relationship(lazy="joined")
    app: Mapped[App] = relationship(lazy="joined")
