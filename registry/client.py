"""A small client of the registry's HTTP API v2: tags, manifest digests, deletes.

Used by the registry's own readiness probe, by the controller's image hygiene
and by tests. ``requests`` errors are translated here into::

    RegistryError (PermanentError)          the registry refused (4xx/5xx other than 404)
    RegistryUnavailable (TemporaryError)    it did not answer
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import requests

from deis.errors import PermanentError, TemporaryError

#: Manifest media types a digest lookup accepts; Docker pushes schema 2, others push OCI.
MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


class RegistryError(PermanentError):
    """The registry answered with an error."""


class RegistryUnavailable(TemporaryError):
    """The registry did not answer."""


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except requests.RequestException as exc:
        raise RegistryUnavailable(f"the registry did not answer while {action}: {exc}") from exc


class RegistryClient:
    """The registry at ``address`` (``host:port``), e.g. ``RegistryClient("127.0.0.1:5000")``."""

    def __init__(self, address: str, timeout: float = 10.0):
        self.address = address
        self.base = f"http://{address}/v2"
        self.timeout = timeout
        self.session = requests.Session()

    def ping(self) -> bool:
        """True when ``GET /v2/`` answers 200."""
        try:
            return self.session.get(f"{self.base}/", timeout=self.timeout).status_code == 200
        except requests.RequestException:
            return False

    def tags(self, repository: str) -> list[str]:
        """Return the tags of ``repository`` (``[]`` when it does not exist)."""
        response = self._call("GET", f"{repository}/tags/list", f"listing tags of {repository}")
        return sorted(response.json().get("tags") or []) if response.status_code != 404 else []

    def digest(self, repository: str, tag: str) -> str | None:
        """Return the manifest digest ``repository:tag`` points to, or ``None`` when absent."""
        response = self._call("HEAD", f"{repository}/manifests/{tag}", f"looking up {repository}:{tag}",
                              headers={"Accept": MANIFEST_TYPES})
        return response.headers.get("Docker-Content-Digest") if response.status_code != 404 else None

    def tag_digests(self, repository: str) -> dict[str, str]:
        """Return ``{tag: manifest digest}`` of every tag of ``repository``."""
        found = {tag: self.digest(repository, tag) for tag in self.tags(repository)}
        return {tag: digest for tag, digest in found.items() if digest}

    def delete_manifest(self, repository: str, digest: str) -> bool:
        """Delete the manifest ``digest`` (and every tag on it); return whether it existed."""
        response = self._call("DELETE", f"{repository}/manifests/{digest}", f"deleting {repository}@{digest}")
        return response.status_code != 404

    def _call(self, method: str, path: str, action: str, **kwargs) -> requests.Response:
        with _translated(action):
            response = self.session.request(method, f"{self.base}/{path}", timeout=self.timeout, **kwargs)
        if response.status_code >= 400 and response.status_code != 404:
            raise RegistryError(f"the registry refused {action}: {response.status_code} {response.text[:200]}")
        return response

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()
