"""An app's config: read the current one, change it (a new release, restarted containers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from controller import config_rules, summaries
from controller.models import App, Config, Release, User
from controller.services import locks, release_records
from controller.services.releasing import release_and_deploy
from controller.services.runtime import Runtime


def current(session: Session, app: App) -> Config:
    """Return the config of the app's newest release (after a rollback, the rolled-back one)."""
    return release_records.parts(session, release_records.latest(session, app))[0]


def as_dicts(config: Config) -> dict[str, dict]:
    """Return the four dicts of a config, by field name."""
    return {field: dict(getattr(config, field) or {}) for field in config_rules.FIELDS}


def set_config(session: Session, runtime: Runtime, app: App, user: User,
               data: dict[str, Any]) -> tuple[Config, Release]:
    """Merge the posted ``values``/``memory``/``cpu``/``tags`` into a new config and release it."""
    changes = config_rules.validate(data)
    locks.hold(session, app)
    latest = release_records.latest(session, app)
    old, build = release_records.parts(session, latest)
    merged = {field: config_rules.merge(value, changes.get(field)) for field, value in as_dicts(old).items()}
    config_rules.check_sizes(merged)
    new = Config(app_uuid=app.uuid, app=app, owner_id=user.id, owner=user, **merged)
    session.add(new)
    session.flush()
    summary = summaries.release_summary(user.username, as_dicts(old), merged)
    return new, release_and_deploy(session, runtime, app, user, new, build, summary)
