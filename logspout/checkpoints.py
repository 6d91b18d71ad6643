"""Per-container checkpoints: the sequence of the last line the logger confirmed.

A sequence is ``<docker timestamp in ns> * 1000 + <index among lines with that
same timestamp>``: it grows with every line of a container and can be
recomputed from Docker's log, so after a restart logspout asks Docker for the
log from the checkpoint's second and skips what it already shipped. Saved as
one JSON file, replaced atomically.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

#: Lines with one timestamp a sequence can tell apart.
SAME_TIME = 1000


def sequence(timestamp_ns: int, index: int) -> int:
    """Return the sequence of the ``index``-th line with timestamp ``timestamp_ns``."""
    return timestamp_ns * SAME_TIME + index


def seconds_of(seq: int) -> int:
    """Return the whole second a sequence falls in (Docker's ``since`` granularity we trust)."""
    return seq // SAME_TIME // 1_000_000_000


class Checkpoints:
    """The checkpoint file of one logspout."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._dirty = not self.path.exists()
        data = json.loads(self.path.read_text()) if self.path.exists() else {}
        #: Containers created before this (epoch seconds) predate logspout: not read back.
        self.since: float = data.get("since", time.time())
        self._containers: dict[str, dict] = data.get("containers", {})

    def seq(self, container: str) -> int | None:
        """Return the last confirmed sequence of ``container`` (None when never)."""
        with self._lock:
            return self._containers.get(container, {}).get("seq")

    def known(self, container: str) -> bool:
        """True when ``container`` has an entry."""
        with self._lock:
            return container in self._containers

    def complete(self, container: str) -> bool:
        """True when a stopped container's every line was confirmed."""
        with self._lock:
            entry = self._containers.get(container, {})
            final = entry.get("final")
            return final is not None and entry.get("seq", -1) >= final

    def advance(self, container: str, seq: int) -> None:
        """Record that the logger confirmed ``container``'s lines up to ``seq``."""
        with self._lock:
            entry = self._containers.setdefault(container, {})
            if seq > entry.get("seq", -1):
                entry["seq"] = seq
                self._dirty = True

    def start(self, container: str) -> None:
        """Note that ``container`` is being followed (and not finished)."""
        with self._lock:
            self._containers.setdefault(container, {}).pop("final", None)
            self._dirty = True

    def finish(self, container: str, final: int) -> None:
        """Note that ``container`` stopped with ``final`` as its last sequence."""
        with self._lock:
            self._containers.setdefault(container, {})["final"] = final
            self._dirty = True

    def prune(self, existing: set[str]) -> None:
        """Forget containers that no longer exist."""
        with self._lock:
            for container in set(self._containers) - existing:
                del self._containers[container]
                self._dirty = True

    def save(self) -> None:
        """Write the file if anything changed (atomically: temporary file, rename)."""
        with self._lock:
            if not self._dirty:
                return
            text = json.dumps({"since": self.since, "containers": self._containers})
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text)
        os.replace(temporary, self.path)
