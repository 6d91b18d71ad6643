"""The store's interface: what every backend (``file``, ``rados``, ``s3``) provides.

Exception tree (callers catch these, never a backend library's own errors); the
root is a :class:`deis.errors.DeisError`, so a caller that handles the platform's
errors handles the store's too::

    DeisError
    └── StoreError            something went wrong in the store
        ├── NotFound          the key does not exist
        ├── InvalidKey        the key is not a relative path of safe parts
        └── StoreUnavailable  the backend did not answer (also a TemporaryError: retryable)
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from dataclasses import dataclass

from deis.errors import DeisError, TemporaryError

#: Parts of a key: letters, digits and ``._-``; never ``.`` or ``..``.
_KEY_PART = re.compile(r"^(?!\.{1,2}\Z)[A-Za-z0-9._@-]+\Z")
CHUNK = 64 * 1024


class StoreError(DeisError):
    """Something went wrong in the store."""


class NotFound(StoreError, KeyError):
    """The key does not exist."""

    def __str__(self) -> str:
        return f"no object {self.args[0]!r} in the store"


class InvalidKey(StoreError, ValueError):
    """The key is not a relative path made of safe parts."""


class StoreUnavailable(StoreError, TemporaryError):
    """The backend did not answer; try again."""


@dataclass(frozen=True, order=True)
class ObjectInfo:
    """A stored object: its key, size in bytes and modification time (epoch seconds)."""

    key: str
    size: int
    modified: float


def check_key(key: str) -> str:
    """Return ``key`` if it is ``part/part/…`` of safe parts, else raise :class:`InvalidKey`."""
    if not key or not all(_KEY_PART.match(part) for part in key.split("/")):
        raise InvalidKey(f"invalid store key {key!r}: use letters, digits, '._-@' and '/' between parts")
    return key


class Backend(abc.ABC):
    """Object storage: flat keys with ``/`` as a convention, bytes as values.

    ``append`` is part of the interface because logs and WAL segments grow;
    a backend without native appends (S3) emulates it, for example by keeping
    the open segment locally and uploading it when it is sealed, so callers
    never change.
    """

    #: The URL scheme this backend answers to.
    scheme: str = ""

    @abc.abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key``, replacing it atomically."""

    @abc.abstractmethod
    def append(self, key: str, data: bytes) -> int:
        """Append ``data`` to ``key`` (created if absent); return the new size."""

    @abc.abstractmethod
    def get_range(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """Return bytes ``[start, end)`` of ``key`` (to its end when ``end`` is None)."""

    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Return the :class:`ObjectInfo` of ``key``."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Return the objects whose key starts with ``prefix``, sorted by key."""

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed."""

    def get(self, key: str) -> bytes:
        """Return the whole object ``key``."""
        return self.get_range(key)

    def stream(self, key: str, offset: int = 0, chunk: int = CHUNK) -> Iterator[bytes]:
        """Yield ``key`` from ``offset`` in chunks, without holding it all in memory."""
        size = self.stat(key).size
        while offset < size:
            data = self.get_range(key, offset, min(offset + chunk, size))
            if not data:
                return
            offset += len(data)
            yield data

    def exists(self, key: str) -> bool:
        """True when ``key`` exists."""
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many."""
        return sum(self.delete(info.key) for info in self.list(prefix))

    def close(self) -> None:  # noqa: B027 - most backends hold nothing open
        """Release open handles."""
