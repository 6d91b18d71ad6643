"""Image names of builds, and pushing them to the platform's registry.

A build is tagged ``<app>:git-<sha8>``, prefixed with ``<registry host:port>/``
when a registry is announced (:func:`deis.images.registry_address`; then pushed
there, so every host can pull it). Without a registry the image stays on the
engine that built it, which is enough for the docker scheduler on one host.
"""

from __future__ import annotations

import docker

from deis.errors import PermanentError

SHORT_SHA = 8


class PushFailed(PermanentError):
    """The registry refused the image."""


def build_tag(sha: str) -> str:
    """Return the tag of a build: ``git-<first 8 hex digits of the commit>``."""
    return f"git-{sha[:SHORT_SHA]}"


def image_name(app: str, sha: str, registry: str | None = None) -> str:
    """Return ``[<registry>/]<app>:git-<sha8>``."""
    repository = f"{registry}/{app}" if registry else app
    return f"{repository}:{build_tag(sha)}"


def push(api: docker.APIClient, image: str) -> None:
    """Push ``image`` to its registry; raise :class:`PushFailed` with its error."""
    repository, tag = image.rsplit(":", 1)
    for chunk in api.push(repository, tag=tag, stream=True, decode=True):
        if "error" in chunk:
            raise PushFailed(f"pushing {image} failed: {chunk['error']}")
