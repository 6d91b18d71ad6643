"""Append-only logs kept as numbered segments, with size-based rotation and retention.

A log named ``logs/myapp`` is the objects ``logs/myapp/0000000001.log``,
``…0002.log`` …; writes go to the newest segment until it would pass
``segment_bytes``, then a new one starts and the oldest beyond ``keep``
segments are deleted. Reading the last lines walks segments backwards with
ranged reads, so it costs what it returns, whatever the log's size. Only the
backend's ``append``, ``get_range``, ``list`` and ``delete`` are used, so it
works on every backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from store.base import Backend, NotFound

SUFFIX = ".log"
#: How much is read per step when looking for the last lines.
TAIL_STEP = 64 * 1024


class SegmentLog:
    """One append-only log in the store."""

    def __init__(self, store: Backend, name: str, segment_bytes: int = 8 << 20, keep: int = 4):
        self.store = store
        self.name = name.rstrip("/")
        self.segment_bytes = segment_bytes
        self.keep = max(keep, 1)
        self.lock = threading.RLock()
        self._current: tuple[int, int] | None = None  # (number, size)

    def segments(self) -> list[str]:
        """Return the keys of this log's segments, oldest first."""
        prefix = f"{self.name}/"
        return [info.key for info in self.store.list(prefix)
                if info.key.endswith(SUFFIX) and "/" not in info.key[len(prefix):]]

    def append(self, data: bytes) -> None:
        """Append ``data`` (whole lines) to the newest segment, rotating first if it is full."""
        with self.lock:
            number, size = self._newest()
            if size and size + len(data) > self.segment_bytes:
                number, size = number + 1, 0
                self._current = (number, 0)
                self._retain(number)
            try:
                size = self.store.append(self._key(number), data)
            except BaseException:
                self._current = None  # it may have landed or not: ask the store next time
                raise
            self._current = (number, size)

    def tail(self, lines: int) -> list[bytes]:
        """Return the last ``lines`` lines (without their newlines), oldest first."""
        found: list[bytes] = []
        with self.lock:
            keys = self.segments()
        for key in reversed(keys):
            try:
                found[:0] = _tail_of(self.store, key, lines - len(found))
            except NotFound:  # rotated away while we read
                continue
            if len(found) >= lines:
                break
        return found[-lines:] if lines > 0 else []

    def read(self) -> Iterator[bytes]:
        """Yield every line, oldest first."""
        rest = b""
        for key in self.segments():
            for chunk in self.store.stream(key):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                yield from lines
        if rest:
            yield rest

    def delete(self) -> int:
        """Delete every segment; return how many."""
        with self.lock:
            self._current = None
            return sum(self.store.delete(key) for key in self.segments())

    def _newest(self) -> tuple[int, int]:
        if self._current is None:
            keys = self.segments()
            if not keys:
                self._current = (1, 0)
            else:
                number = int(keys[-1].rsplit("/", 1)[1][: -len(SUFFIX)])
                self._current = (number, self.store.stat(keys[-1]).size)
        return self._current

    def _retain(self, newest: int) -> None:
        for key in self.segments():
            if int(key.rsplit("/", 1)[1][: -len(SUFFIX)]) <= newest - self.keep:
                self.store.delete(key)

    def _key(self, number: int) -> str:
        return f"{self.name}/{number:010d}{SUFFIX}"


def _tail_of(store: Backend, key: str, lines: int) -> list[bytes]:
    """Return up to ``lines`` last lines of one object, reading backwards."""
    start = store.stat(key).size
    data = b""
    while start > 0 and data.count(b"\n") <= lines:
        earlier = max(start - TAIL_STEP, 0)
        data = store.get_range(key, earlier, start) + data
        start = earlier
    found = data.split(b"\n")
    if found and found[-1] == b"":
        found.pop()
    if start > 0:
        found = found[1:]  # the first piece may be the end of an earlier line
    return found[-lines:] if lines > 0 else []
