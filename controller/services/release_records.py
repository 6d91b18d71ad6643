"""Releases: version N of an app is a config plus a build, never rewritten."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from controller.errors import NotFound
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


def latest(session: Session, app: App) -> Release:
    """Return the newest release of ``app`` (every app has v1)."""
    return session.scalar(select(Release).where(Release.app_uuid == app.uuid).order_by(Release.version.desc()).limit(1))


def find(session: Session, app: App, version: int) -> Release:
    """Return release ``v<version>`` of ``app`` or raise 404."""
    release = session.scalar(select(Release).where(Release.app_uuid == app.uuid, Release.version == version))
    if release is None:
        raise NotFound(f"Release v{version} of {app.id} does not exist; 'deis releases' lists them")
    return release


def of_app(app: App) -> Select:
    """Return the query of ``app``'s releases, newest first."""
    return select(Release).where(Release.app_uuid == app.uuid).order_by(Release.version.desc())


def parts(session: Session, release: Release) -> tuple[Config, Build | None]:
    """Return the config and build (``None`` before the first deploy) of ``release``."""
    build = session.get(Build, release.build_uuid) if release.build_uuid else None
    return session.get(Config, release.config_uuid), build
