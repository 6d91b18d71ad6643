"""Releases: version N of an app is a config plus a build, never rewritten."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from controller.models import App, Build, Config, Release, User


def initial_summary(owner: str) -> str:
    """Return the summary of release v1 (v1's text)."""
    return f"{owner} created initial release"


def latest_version(session: Session, app: App) -> int:
    """Return the highest release version of ``app`` (0 when it has none)."""
    return session.scalar(select(func.coalesce(func.max(Release.version), 0)).where(Release.app_uuid == app.uuid))


def add_release(session: Session, app: App, owner: User, config: Config, build: Build | None,
                summary: str) -> Release:
    """Record the next release of ``app``."""
    release = Release(app_uuid=app.uuid, owner_id=owner.id, version=latest_version(session, app) + 1,
                      config_uuid=config.uuid, build_uuid=build.uuid if build else None, summary=summary)
    session.add(release)
    session.flush()
    return release


def initial_release(session: Session, app: App, owner: User) -> Release:
    """Give a new app its empty config and release v1 (no build yet)."""
    config = Config(app_uuid=app.uuid, owner_id=owner.id)
    session.add(config)
    session.flush()
    return add_release(session, app, owner, config, None, initial_summary(owner.username))
