"""Which images of an app to keep: the retention policy of image hygiene, without IO.

Deis v1 never deleted an image, and hosts filled their disks with old
releases. The platform keeps, per app, the images of its newest releases —
walking releases newest first until ``keep`` distinct images are kept (so at
least the last ``keep`` releases can be rolled back to) — and deletes the rest,
in the registry and on the Docker engine. Only images of the platform's own
registry named after the app (``<registry>/<app>:<tag>``, what the builder
pushes) are ever touched: an image pulled from elsewhere may be shared, and
may not be pullable again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Reference parsing lives with the image rules in deis.images; re-exported for this module's callers.
from deis.images import ImageName as ImageName
from deis.images import parse as parse

#: Images kept per app unless configured otherwise.
DEFAULT_KEEP = 5


def app_tag(reference: str, registry: str, app: str) -> str | None:
    """Return the tag of ``reference`` when it is ``<registry>/<app>:<tag>``, else ``None``."""
    image = parse(reference)
    if image.registry == registry and image.repository == app and image.tag:
        return image.tag
    return None


def kept_tags(release_images: Sequence[str | None], registry: str, app: str, keep: int = DEFAULT_KEEP) -> set[str]:
    """Return the tags to keep, given each release's image newest first (``None``: no build).

    The newest ``keep`` distinct images are kept (never fewer than one); only
    images of ``registry``'s repository ``app`` have tags here.
    """
    distinct: list[str] = []
    for image in release_images:
        if image and image not in distinct:
            distinct.append(image)
    newest = distinct[:max(keep, 1)]
    return {tag for image in newest if (tag := app_tag(image, registry, app))}


def manifests_to_delete(tag_digests: dict[str, str], kept: set[str]) -> set[str]:
    """Return the manifest digests to delete: those of unkept tags that no kept tag shares.

    Deleting a manifest removes every tag on it, so a digest a kept tag points
    to must stay even when an old tag points to it as well.
    """
    protected = {digest for tag, digest in tag_digests.items() if tag in kept}
    return {digest for tag, digest in tag_digests.items() if tag not in kept} - protected


def engine_tags_to_remove(repo_tags: Iterable[str], registry: str, app: str, kept: set[str]) -> list[str]:
    """Return the engine's ``<registry>/<app>:<tag>`` names whose tag is not kept, sorted."""
    return sorted(name for name in set(repo_tags)
                  if (tag := app_tag(name, registry, app)) is not None and tag not in kept)
