"""Model objects to Deis v1 JSON objects (reference §1.4); pure functions.

Write-only fields (passwords, token digests, certificate keys) never appear.
"""

from __future__ import annotations

import datetime
from typing import Any

from controller import models

#: v1's ``%Y-%m-%dT%H:%M:%S%Z``: ``2014-01-01T00:00:00UTC``.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def timestamp(moment: datetime.datetime | None) -> str | None:
    """Format a moment as v1 did: UTC, no offset, ``UTC`` appended."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime(DATETIME_FORMAT) + "UTC"


def _username(user: models.User | None) -> str | None:
    return user.username if user is not None else None


def _audit(obj: Any) -> dict[str, Any]:
    return {"created": timestamp(obj.created), "updated": timestamp(obj.updated)}


def user(obj: models.User) -> dict[str, Any]:
    """Return the v1 user object (no password)."""
    return {
        "id": obj.id,
        "username": obj.username,
        "email": obj.email,
        "first_name": obj.first_name,
        "last_name": obj.last_name,
        "is_superuser": obj.is_superuser,
        "is_staff": obj.is_staff,
        "is_active": obj.is_active,
        "last_login": timestamp(obj.last_login),
        "date_joined": timestamp(obj.date_joined),
        "groups": [],
        "user_permissions": [],
    }


def app_url(app_id: str, platform_domain: str) -> str:
    """Return the host an app answers on: ``<id>.<platform domain>``."""
    return f"{app_id}.{platform_domain}" if platform_domain else app_id


def app(obj: models.App, platform_domain: str = "") -> dict[str, Any]:
    """Return the v1 app object."""
    return {
        "uuid": str(obj.uuid),
        "id": obj.id,
        "owner": _username(obj.owner),
        "url": app_url(obj.id, platform_domain),
        "structure": dict(obj.structure or {}),
        **_audit(obj),
    }


def key(obj: models.Key) -> dict[str, Any]:
    """Return the v1 key object (plus the SHA-256 fingerprint)."""
    return {
        "uuid": str(obj.uuid),
        "id": obj.id,
        "owner": _username(obj.owner),
        "public": obj.public,
        "fingerprint": obj.fingerprint,
        "fingerprint_sha256": obj.fingerprint_sha256,
        **_audit(obj),
    }


def config(obj: models.Config) -> dict[str, Any]:
    """Return the v1 config object."""
    return {
        "uuid": str(obj.uuid),
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "values": dict(obj.values or {}),
        "memory": dict(obj.memory or {}),
        "cpu": dict(obj.cpu or {}),
        "tags": dict(obj.tags or {}),
        **_audit(obj),
    }


def release(obj: models.Release) -> dict[str, Any]:
    """Return the v1 release object."""
    return {
        "uuid": str(obj.uuid),
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "version": obj.version,
        "summary": obj.summary,
        "build": str(obj.build_uuid) if obj.build_uuid else None,
        "config": str(obj.config_uuid),
        **_audit(obj),
    }


def build(obj: models.Build) -> dict[str, Any]:
    """Return the v1 build object."""
    return {
        "uuid": str(obj.uuid),
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "image": obj.image,
        "sha": obj.sha,
        "procfile": dict(obj.procfile or {}),
        "dockerfile": obj.dockerfile,
        **_audit(obj),
    }


def container(obj: models.Container, state: str, exit_code: int | None = None,
              host: str | None = None) -> dict[str, Any]:
    """Return the v1 container object; ``state`` comes from the scheduler.

    ``exit_code`` (not in v1) is the last exit code of a crashed or stopped
    container, so ``deis ps`` can say why it is down; ``host`` (not in v1) is
    the cluster node it runs on (``None`` on one host).
    """
    return {
        "uuid": str(obj.uuid),
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "release": f"v{obj.release.version}",
        "type": obj.type,
        "num": obj.num,
        "state": state,
        "exit_code": exit_code,
        "host": host,
        **_audit(obj),
    }


def admin(obj: models.User) -> dict[str, Any]:
    """Return an entry of ``GET /v1/admin/perms/``."""
    return {"username": obj.username, "is_superuser": obj.is_superuser}


def domain(obj: models.Domain) -> dict[str, Any]:
    """Return the v1 domain object."""
    return {
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "domain": obj.domain,
        **_audit(obj),
    }


def certificate(obj: models.Certificate) -> dict[str, Any]:
    """Return the v1 certificate object (the PEM texts are write-only)."""
    return {
        "id": obj.id,
        "owner": _username(obj.owner),
        "common_name": obj.common_name,
        "expires": timestamp(obj.expires),
        **_audit(obj),
    }


def push(obj: models.Push) -> dict[str, Any]:
    """Return the v1 push object."""
    return {
        "uuid": str(obj.uuid),
        "owner": _username(obj.owner),
        "app": obj.app.id,
        "sha": obj.sha,
        "fingerprint": obj.fingerprint,
        "receive_user": obj.receive_user,
        "receive_repo": obj.receive_repo,
        "ssh_connection": obj.ssh_connection,
        "ssh_original_command": obj.ssh_original_command,
        **_audit(obj),
    }
