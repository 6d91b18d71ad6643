"""The ``file://`` backend: one file per object under a root folder.

The embedded default (``<DEIS_DATA_DIR>/store``). Puts are atomic (write a
temporary file, then rename); appends go through a small cache of open files
because the logger appends many times a second to the same few segments.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import unquote, urlsplit

from store.base import Backend, NotFound, ObjectInfo, StoreUnavailable, check_key

#: Open append handles kept; more are closed least-recently-used first.
OPEN_FILES = 64


class FileStore(Backend):
    """Objects as files under ``root``."""

    scheme = "file"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._handles: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the store folder {str(self.root)!r}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> FileStore:
        """Open ``file:///path``."""
        return cls(unquote(urlsplit(url).path))

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` durably; readers see the old or the new object, never half."""
        path = self._path(key, create=True)
        self._forget(key)
        temporary = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        with open(temporary, "wb") as target:
            target.write(data)
            # Durable before it is visible: the WAL archiver reports success on return.
            os.fsync(target.fileno())
        os.replace(temporary, path)
        _fsync_folder(path.parent)

    def append(self, key: str, data: bytes) -> int:
        """Append ``data`` to ``key``; return its new size."""
        with self._lock:
            handle = self._handle(key)
            handle.write(data)
            handle.flush()  # into the page cache: a killed process loses nothing
            return handle.tell()

    def get_range(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """Return bytes ``[start, end)`` of ``key``."""
        try:
            with open(self._path(key), "rb") as source:
                source.seek(start)
                return source.read(-1 if end is None else max(end - start, 0))
        except FileNotFoundError:
            raise NotFound(key) from None

    def stat(self, key: str) -> ObjectInfo:
        """Return size and modification time of ``key``."""
        try:
            status = self._path(key).stat()
        except FileNotFoundError:
            raise NotFound(key) from None
        return ObjectInfo(key, status.st_size, status.st_mtime)

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Return the objects under ``prefix`` (a string prefix of keys), sorted."""
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return []
        found = []
        for path in folder.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix) and not path.name.startswith("."):
                status = path.stat()
                found.append(ObjectInfo(key, status.st_size, status.st_mtime))
        return sorted(found)

    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed."""
        self._forget(key)
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        """Close every cached handle."""
        with self._lock:
            while self._handles:
                self._handles.popitem()[1].close()

    def _path(self, key: str, create: bool = False) -> Path:
        path = self.root / check_key(key)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _handle(self, key: str):
        handle = self._handles.pop(key, None)
        if handle is None:
            handle = open(self._path(key, create=True), "ab")  # noqa: SIM115 - kept open on purpose
            while len(self._handles) >= OPEN_FILES:
                self._handles.popitem(last=False)[1].close()
        self._handles[key] = handle
        return handle

    def _forget(self, key: str) -> None:
        with self._lock:
            handle = self._handles.pop(key, None)
            if handle is not None:
                handle.close()


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power loss."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
