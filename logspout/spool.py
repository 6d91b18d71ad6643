"""The queue between container readers and the shipper: memory, then disk, then drops.

While the logger is away lines pile up here: first in memory up to
``memory_bytes``, then appended to a spill file up to ``disk_bytes``. Only
past both bounds is a line dropped; drops are counted per container and,
as soon as there is room again, a notice line takes their place saying
exactly how many lines of that container were dropped (Heroku's L10). Lines
leave in the order they came: memory holds the oldest, and once anything is
on disk every newer line goes to disk behind it.
"""

from __future__ import annotations

import collections
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deis import syslog


@dataclass(frozen=True, slots=True)
class Item:
    """One framed line on its way, and where it came from."""

    frame: bytes
    container: str
    seq: int
    app: str
    proc: str

    def to_record(self) -> bytes:
        """Serialise for the spill file."""
        head = f"{self.container} {self.seq} {self.app} {self.proc} {len(self.frame)}\n"
        return head.encode("utf-8", syslog.ERRORS) + self.frame


def drop_notice(container: str, seq: int, app: str, proc: str, count: int) -> Item:
    """Return the line that stands for ``count`` dropped lines of ``container``."""
    text = f"logspout dropped {count} lines of this container: the logger was unreachable and the spool full"
    message = syslog.Message(app, proc, text, datetime.now(UTC), severity=syslog.ERR,
                             source=container, seq=seq)
    return Item(syslog.frame(message), container, seq, app, proc)


class Spool:
    """A bounded, ordered, memory-then-disk queue of :class:`Item`."""

    def __init__(self, folder: Path, memory_bytes: int, disk_bytes: int):
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes
        self.stats = collections.Counter()
        self._memory: collections.deque[Item] = collections.deque()
        self._memory_used = 0
        self._drops: dict[str, list] = {}
        self._ready = threading.Condition()
        folder.mkdir(parents=True, exist_ok=True)
        self._disk_path = folder / "spool.bin"
        # Lines of a previous run are read again from Docker from their checkpoints.
        self._disk = open(self._disk_path, "w+b")  # noqa: SIM115 - lives as long as the spool
        self._disk_read = 0
        self._disk_written = 0

    def __len__(self) -> int:
        return self.stats["held"]

    def put(self, item: Item) -> bool:
        """Queue ``item``; False when it was dropped (both bounds reached)."""
        with self._ready:
            self._queue_drop_notices()
            if not self._accept(item):
                self._count_drop(item)
                return False
            self._ready.notify()
            return True

    def take(self, limit: int, timeout: float) -> list[Item]:
        """Remove and return up to ``limit`` items, oldest first, waiting up to ``timeout``."""
        with self._ready:
            self._queue_drop_notices()
            if not self.stats["held"]:
                self._ready.wait(timeout)
            items = self._take_memory(limit)
            if not items and self._disk_written > self._disk_read:
                items = self._take_disk(limit)
            self.stats["held"] -= len(items)
            return items

    def _accept(self, item: Item) -> bool:
        size = len(item.frame)
        if self._disk_written == self._disk_read and self._memory_used + size <= self.memory_bytes:
            self._memory.append(item)
            self._memory_used += size
        elif self._disk_written - self._disk_read + size <= self.disk_bytes:
            self._spill(item)
        else:
            return False
        self.stats["held"] += 1
        return True

    def _spill(self, item: Item) -> None:
        self._disk.seek(self._disk_written)
        self._disk.write(item.to_record())
        self._disk_written = self._disk.tell()
        self.stats["spilled"] += 1

    def _take_memory(self, limit: int) -> list[Item]:
        items = []
        while self._memory and len(items) < limit:
            item = self._memory.popleft()
            self._memory_used -= len(item.frame)
            items.append(item)
        return items

    def _take_disk(self, limit: int) -> list[Item]:
        self._disk.seek(self._disk_read)
        items = []
        while len(items) < limit and self._disk.tell() < self._disk_written:
            container, seq, app, proc, size = self._disk.readline().decode("utf-8", syslog.ERRORS).split()
            items.append(Item(self._disk.read(int(size)), container, int(seq), app, proc))
        self._disk_read = self._disk.tell()
        if self._disk_read >= self._disk_written:  # empty again: reuse the file from its start
            self._disk.truncate(0)
            self._disk_read = self._disk_written = 0
        return items

    def _count_drop(self, item: Item) -> None:
        self.stats["dropped"] += 1
        entry = self._drops.setdefault(item.container, [0, item.seq, item.app, item.proc])
        entry[0] += 1
        entry[1] = item.seq

    def _queue_drop_notices(self) -> None:
        for container, (count, seq, app, proc) in list(self._drops.items()):
            if not self._accept(drop_notice(container, seq, app, proc, count)):
                return
            del self._drops[container]
            self.stats["notices"] += 1

    def close(self) -> None:
        """Close and remove the spill file."""
        with self._ready:
            self._disk.close()
            os.unlink(self._disk_path)
