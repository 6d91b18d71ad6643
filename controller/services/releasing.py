"""Making release N+1 and putting it into service: config changes, builds, rollbacks.

Every change takes the app's lock, records the release and deploys it in the
request's transaction. If the deploy fails, the request rolls back, so the
release that triggered it never existed (no half-made release) and the old
one keeps serving.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from controller import summaries
from controller.errors import BadRequest
from controller.models import App, Build, Config, Release, User
from controller.numbers import OVERSIZE, quoted, whole_number
from controller.services import containers, events, images, locks, release_records
from controller.services.runtime import Runtime


def release_and_deploy(session: Session, runtime: Runtime, app: App, user: User, config: Config,
                       build: Build | None, summary: str) -> Release:
    """Record the next release of ``app`` and deploy it (the caller holds the app's lock)."""
    release = release_records.add_release(session, app, user, config, build, summary)
    containers.deploy_release(session, runtime, app, release, user)
    events.record(app.id, summary)
    images.after_release(session, runtime, app)  # image hygiene: only the newest releases' images stay
    return release


def _rollback_target(session: Session, app: App, data: dict[str, Any]) -> Release:
    current = release_records.latest(session, app)
    version = data.get("version", current.version - 1)
    text = str(version)
    number = whole_number(text.removeprefix("-")) if not isinstance(version, bool) else None
    if number is None or number >= OVERSIZE:
        raise BadRequest(f"version must be a release number such as 3, not {quoted(version)}")
    if text.startswith("-") or number < 1:
        raise BadRequest("version cannot be below 0")
    return release_records.find(session, app, number)


def rollback(session: Session, runtime: Runtime, app: App, user: User, data: dict[str, Any]) -> Release:
    """Make a new release with the build and config of ``data["version"]`` (default: the previous)."""
    locks.hold(session, app)
    target = _rollback_target(session, app, data)
    config, build = release_records.parts(session, target)
    if build is None:
        raise BadRequest(f"v{target.version} has no build to roll back to; 'deis releases' lists the others")
    return release_and_deploy(session, runtime, app, user, config, build,
                              summaries.rollback_summary(user.username, target.version))
