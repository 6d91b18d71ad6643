"""Which image a build may deploy: :mod:`deis.images`' rule, with the platform's registry and hosts.

Checked for ``deis pull`` and for the builder's hook alike, before the Docker
engine is asked for anything. One more case is the controller's own: without a
registry the builder leaves ``<app>:git-<sha8>`` on the engine, and ``deis pull
<other app>:git-…`` would find another app's build there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from controller.errors import BadRequest
from controller.models import App, User
from controller.services import images
from controller.services.runtime import Runtime
from deis.images import ImageName, ImageRefused, check_source, platform_hosts, registry_address

#: The tag prefix of the builder's images (``git-<first 8 hex digits of the commit>``).
BUILD_TAG_PREFIX = "git-"


def check(session: Session, runtime: Runtime, app: App, user: User, reference: str) -> ImageName:
    """Return the parsed ``reference`` when ``user`` may deploy it to ``app``; raise 400 otherwise."""
    etcd = images.etcd_of(runtime)
    registry = registry_address(etcd)
    hosts = platform_hosts(etcd) if etcd is not None else set()
    try:
        image = check_source(reference, app.id, registry, hosts, admin=user.is_superuser)
    except ImageRefused as exc:
        raise BadRequest(str(exc)) from None
    if image.on_hub and not user.is_superuser and _local_build_of_another_app(session, app, image):
        raise BadRequest(f"Image {reference!r} is another app's build on this host; "
                         "an app may use only its own builds")
    return image


def _local_build_of_another_app(session: Session, app: App, image: ImageName) -> bool:
    repository = image.repository.removeprefix("library/")
    if not image.tag.startswith(BUILD_TAG_PREFIX) or repository == app.id:
        return False
    return session.scalar(select(App.id).where(App.id == repository)) is not None
