"""Base backups in the store: push with ``pg_basebackup``, list, keep the newest N, fetch verified.

A backup named ``20260101T120000.250Z`` (its start, UTC, to the millisecond) is the objects
``database/base/<name>/part-0000`` … (the gzip'd tar stream of
``pg_basebackup -Ft -X fetch``, cut in ``PART_BYTES`` pieces) and, written
last, ``database/base/<name>/manifest.json`` with each part's size and
SHA-256. A backup without a manifest is unfinished and ignored; one whose
parts do not match their checksums is corrupt, reported loudly, and skipped
for the one before it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from database import walstore
from store import NotFound, StoreError

log = logging.getLogger(__name__)

PREFIX = "database/base/"
MANIFEST = "manifest.json"
PART_BYTES = 32 << 20


class CorruptBackup(StoreError):
    """A backup's parts are missing or do not match their checksums."""


@dataclass(frozen=True)
class Backup:
    """One finished base backup, as its manifest describes it."""

    name: str
    parts: list[dict]
    #: The first WAL file it needs: older segments are not needed to restore it.
    start_wal: str
    created: float
    #: The WAL position just after the backup ended (``pg_current_wal_lsn()``); None in older manifests.
    end_lsn: str | None = None

    @property
    def size(self) -> int:
        return sum(part["size"] for part in self.parts)


def backups(store) -> list[Backup]:
    """Return the finished backups, oldest first."""
    found = []
    for info in store.list(PREFIX):
        if info.key.endswith("/" + MANIFEST):
            try:
                found.append(Backup(**json.loads(store.get(info.key))))
            except (NotFound, ValueError, TypeError) as exc:
                log.error("backup manifest %s is unreadable (%s); ignoring that backup", info.key, exc)
    return sorted(found, key=lambda backup: (backup.created, backup.name))


def push(store, argv: list[str], start_wal: str, run_as: dict | None = None, environ: dict | None = None,
         wal_position: Callable[[], str] | None = None) -> Backup:
    """Run ``argv`` (``pg_basebackup … -D - -Ft``), store its output in parts, then the manifest.

    ``wal_position`` returns the server's WAL position; asked once the backup ended, it is recorded as
    ``end_lsn`` (which timelines the backup can reach depends on it, see :mod:`database.timelines`).
    """
    name = _new_name(store)
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ, **(run_as or {}))
    try:
        parts = _store_parts(store, name, process.stdout)
    finally:
        process.stdout.close()
        error = process.stderr.read().decode(errors="replace").strip()
        process.wait()
    if process.returncode != 0:
        store.delete_prefix(f"{PREFIX}{name}/")
        raise StoreError(f"pg_basebackup failed (exit {process.returncode}): {error}")
    backup = Backup(name, parts, start_wal, time.time(), wal_position() if wal_position else None)
    store.put(f"{PREFIX}{name}/{MANIFEST}", json.dumps(backup.__dict__, indent=1).encode())
    log.info("base backup %s stored: %d bytes in %.1f s", name, backup.size, time.monotonic() - started)
    return backup


def _new_name(store) -> str:
    """Return a name no backup in ``store`` has: the UTC time to the millisecond, ``20261122T101500.123Z``.

    Whole seconds were not enough: a backup taken with ``deisctl database
    backup`` in the same second as the maintenance thread's replaced it.
    """
    while True:
        now = time.time()
        name = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
        if not store.list(f"{PREFIX}{name}/"):
            return name
        time.sleep(0.001)


def _store_parts(store, name: str, stream) -> list[dict]:
    parts = []
    while chunk := stream.read(PART_BYTES):
        key = f"{PREFIX}{name}/part-{len(parts):04d}"
        store.put(key, chunk)
        parts.append({"key": key, "size": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    return parts


def fetch(store, backup: Backup, target: Path) -> None:
    """Write ``backup``'s tar.gz to ``target``, verifying every part; raise :class:`CorruptBackup`."""
    with open(target, "wb") as output:
        for part in backup.parts:
            try:
                data = store.get(part["key"])
            except NotFound:
                raise CorruptBackup(f"backup {backup.name}: part {part['key']} is missing") from None
            if len(data) != part["size"] or hashlib.sha256(data).hexdigest() != part["sha256"]:
                raise CorruptBackup(f"backup {backup.name}: part {part['key']} does not match its checksum")
            output.write(data)


def prune(store, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups, and WAL older than the oldest kept; return deleted names."""
    found = backups(store)
    doomed = found[:-keep] if keep > 0 else []
    for backup in doomed:
        store.delete_prefix(f"{PREFIX}{backup.name}/")
        log.info("deleted base backup %s (keeping the newest %d)", backup.name, keep)
    kept = found[len(doomed):]
    if kept:
        _prune_wal(store, kept[0].start_wal)
    return [backup.name for backup in doomed]


def _prune_wal(store, oldest_needed: str) -> None:
    for info in store.list(walstore.PREFIX):
        name = info.key[len(walstore.PREFIX):].removesuffix(".gz")
        # Segment names sort by timeline, then position; history files are always kept.
        if len(name) == 24 and name < oldest_needed:
            store.delete(info.key)
