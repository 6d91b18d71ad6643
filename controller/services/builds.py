"""Builds: an image for an app, from ``deis pull <image>`` or the builder's hook."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from controller import summaries
from controller.errors import BadRequest, FieldErrors, NotFound, required
from controller.models import App, Build, Release, User
from controller.scheduler import ImageUnavailable
from controller.services import locks, pulls, release_records
from controller.services.releasing import release_and_deploy
from controller.services.runtime import Runtime
from deis import naming
from deis.errors import ValidationError

SHA_LENGTH = 40
IMAGE_LENGTH = 256


def of_app(app: App) -> Select:
    """Return the query of ``app``'s builds, newest first."""
    return select(Build).where(Build.app_uuid == app.uuid).order_by(Build.created.desc())


def find(session: Session, app: App, build_id: str) -> Build:
    """Return the build ``build_id`` of ``app`` or raise 404."""
    build = session.scalar(of_app(app).where(Build.uuid == _uuid(build_id)))
    if build is None:
        raise NotFound()
    return build


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound() from None


def _procfile(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise FieldErrors({"procfile": 'procfile must be an object such as {"web": "./server"}'})
    try:
        return {naming.validate_process_type(str(kind)): str(line) for kind, line in value.items()}
    except ValidationError as exc:
        raise FieldErrors({"procfile": str(exc)}) from None


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    required(data, "image")
    image, sha = str(data["image"]).strip(), str(data.get("sha") or "")
    errors = {}
    if len(image) > IMAGE_LENGTH or any(c.isspace() for c in image):
        errors["image"] = "Enter an image name such as deis/example-go:latest."
    if len(sha) > SHA_LENGTH:
        errors["sha"] = f"Ensure this field has no more than {SHA_LENGTH} characters."
    if errors:
        raise FieldErrors(errors)
    dockerfile = data.get("dockerfile") or ""
    return {"image": image, "sha": sha, "procfile": _procfile(data.get("procfile")),
            "dockerfile": dockerfile if isinstance(dockerfile, str) else "true"}


def create(session: Session, runtime: Runtime, app: App, user: User, data: dict[str, Any]) -> tuple[Build, Release]:
    """Record a build of ``data["image"]`` and deploy it as the next release."""
    fields = _fields(data)
    pulls.check(session, runtime, app, user, fields["image"])
    locks.hold(session, app)
    try:
        runtime.scheduler.ensure_image(fields["image"])
    except ImageUnavailable as exc:
        raise BadRequest(str(exc)) from None
    build = Build(app_uuid=app.uuid, app=app, owner_id=user.id, owner=user, **fields)
    session.add(build)
    session.flush()
    config, _ = release_records.parts(session, release_records.latest(session, app))
    deployed = summaries.deployed(build.sha, build.image)
    summary = summaries.release_summary(user.username, {}, {}, deployed)
    return build, release_and_deploy(session, runtime, app, user, config, build, summary)
