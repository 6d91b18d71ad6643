"""Image hygiene: keep the images of an app's newest releases, delete the rest (v1 filled disks).

After every release the controller keeps, per app, the images of its newest
releases (``imageRetention`` distinct images, default 5; see
:mod:`registry.retention` for the policy) and deletes older ones from the
registry (manifests through the API, then asks the registry to collect
garbage; it does so once idle) and from the Docker engine (unused tags). When
an app is destroyed, all of its images go.

Only images of the platform's registry, named after the app, are touched.
Hygiene never fails a release or a destroy: what cannot be deleted now is
logged and deleted after a later release.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import docker
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from controller.models import App, Build, Release
from controller.services.runtime import Runtime
from controller.settings import SETTINGS
from deis import keys
from deis.errors import DeisError
from deis.etcd import Etcd
from deis.images import registry_address, registry_api_address
from registry import retention
from registry.client import RegistryClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """What one hygiene pass deleted."""

    manifests: int = 0
    engine_images: int = 0


def release_images(session: Session, app: App) -> list[str | None]:
    """Return the image of each release of ``app``, newest first (``None`` before a build)."""
    rows = session.execute(select(Build.image).select_from(Release)
                           .outerjoin(Build, Build.uuid == Release.build_uuid)
                           .where(Release.app_uuid == app.uuid).order_by(Release.version.desc()))
    return [image for (image,) in rows]


def after_release(session: Session, runtime: Runtime, app: App) -> Pruned:
    """Delete ``app``'s images beyond its newest ``imageRetention``; log, never raise."""
    etcd = etcd_of(runtime)
    try:
        address = registry_address(etcd)
        if address is None:
            return Pruned()
        keep = SETTINGS.bind(etcd).get("imageRetention")
        kept = retention.kept_tags(release_images(session, app), address, app.id, keep)
        return prune(runtime, etcd, address, app.id, kept)
    except DeisError as exc:
        log.warning("image hygiene of %s skipped: %s", app.id, exc)
        return Pruned()


def forget_app(runtime: Runtime, etcd: Etcd | None, app_id: str) -> Pruned:
    """Delete every image of the destroyed app ``app_id``; log, never raise."""
    try:
        address = registry_address(etcd)
        return prune(runtime, etcd, address, app_id, set()) if address else Pruned()
    except DeisError as exc:
        log.warning("images of destroyed app %s not deleted: %s", app_id, exc)
        return Pruned()


def prune(runtime: Runtime, etcd: Etcd, address: str, app_id: str, kept: set[str]) -> Pruned:
    """Delete the tags of ``<address>/<app_id>`` not in ``kept``: registry first, then engine.

    ``address`` is the one images are named with; the registry's API is asked where an instance announced
    itself (:func:`deis.images.registry_api_address`: on a cluster images are named ``127.0.0.1:5000/…``).
    """
    manifests = _prune_registry(registry_api_address(etcd) or address, app_id, kept)
    if manifests:
        request_collection(etcd)
    pruned = Pruned(manifests, _prune_engine(_engine_of(runtime), address, app_id, kept))
    if pruned != Pruned():
        log.info("image hygiene of %s: %d manifests deleted from the registry, %d images from the engine "
                 "(kept %s)", app_id, pruned.manifests, pruned.engine_images, ", ".join(sorted(kept)) or "none")
    return pruned


def request_collection(etcd: Etcd) -> None:
    """Ask the registry to collect garbage once it is idle (it deletes the key when done)."""
    try:
        etcd.put(keys.registry_gc_request(), datetime.datetime.now(datetime.UTC).isoformat())
    except DeisError as exc:  # the next pass that deletes something asks again
        log.warning("could not ask the registry to collect garbage: %s", exc)


def _prune_registry(address: str, app_id: str, kept: set[str]) -> int:
    client = RegistryClient(address)
    try:
        doomed = retention.manifests_to_delete(client.tag_digests(app_id), kept)
        return sum(client.delete_manifest(app_id, digest) for digest in sorted(doomed))
    except DeisError as exc:
        log.warning("registry hygiene of %s skipped: %s", app_id, exc)
        return 0
    finally:
        client.close()


def _prune_engine(client: docker.DockerClient | None, address: str, app_id: str, kept: set[str]) -> int:
    if client is None:
        return 0
    try:
        found = client.images.list(name=f"{address}/{app_id}")
    except (docker.errors.DockerException, requests.RequestException) as exc:
        log.warning("engine hygiene of %s skipped: %s", app_id, exc)
        return 0
    names = retention.engine_tags_to_remove([t for image in found for t in image.tags], address, app_id, kept)
    return sum(_remove_image(client, name) for name in names)


def _remove_image(client: docker.DockerClient, name: str) -> bool:
    """Untag ``name`` (Docker deletes the image with its last tag); False when in use or gone."""
    try:
        client.images.remove(name)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        log.info("image %s stays on the engine for now: %s", name, getattr(exc, "explanation", None) or exc)
        return False
    return True


def etcd_of(runtime: Runtime) -> Etcd | None:
    """The etcd the runtime routes through (``None`` when the controller runs without etcd)."""
    etcd = getattr(runtime.deployer.routes, "etcd", None)
    return etcd if isinstance(etcd, Etcd) else None


def _engine_of(runtime: Runtime) -> docker.DockerClient | None:
    """The Docker client of a Docker-backed scheduler (``None`` for the fake one)."""
    client = getattr(runtime.scheduler, "client", None)
    return client if isinstance(client, docker.DockerClient) else None
