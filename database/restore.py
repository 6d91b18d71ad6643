"""What happens to the data directory on start: keep it, create it, or restore it (v1's initId rule).

The data directory holds a file ``initialized`` with an id, and etcd keeps
the same id at ``/deis/database/initId``. On start:

* an existing cluster (``PG_VERSION`` present) is **always** used as it is,
  whatever etcd says and whether the store answers — a mismatched or missing
  id is logged and re-recorded, never a reason to wipe (Deis v1 wiped here
  and lost databases, #3276/#4421);
* a missing or empty directory is restored from the newest good base backup
  when the store has one (a corrupt one is reported and the one before it
  used), then WAL is replayed from the store before connections are
  accepted; with no backup at all it is created with ``initdb``;
* when the store cannot be asked, an empty directory is not initialized
  (that would start a second history beside the archived one): start fails
  with a sentence and the supervisor retries.

Either way a new id is written to the file and to etcd.

A data directory that still holds ``recovery.signal`` is a restore whose WAL
replay has not finished (a crash mid-replay, or ``deisctl database restore``
which unpacks a chosen backup and leaves the replay to the next start): it
counts as ``restored``, so replay runs with connections refused and a new base
backup follows. A chosen recovery target (time, LSN or restore point) waits
beside it in ``recovery-target.json`` until the replay ends.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from database import backup as backups
from database import prefetch, timelines
from database.postgres import Cluster
from deis import keys
from store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

ID_FILE = "initialized"
RECOVERY_SIGNAL = "recovery.signal"
TARGET_FILE = "recovery-target.json"


@dataclass(frozen=True)
class Target:
    """Where WAL replay stops: a time, an LSN or a named restore point (``None``: the end of WAL)."""

    kind: str
    value: str

    KINDS = {"time": "recovery_target_time", "lsn": "recovery_target_lsn", "name": "recovery_target_name"}

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown recovery target {self.kind!r}; use time, lsn or name")
        check = {"time": _check_time, "lsn": _check_lsn, "name": _check_name}[self.kind]
        check(self.value)

    def options(self) -> tuple[tuple[str, str], ...]:
        """Return the server settings that stop replay here and promote (pure)."""
        return ((self.KINDS[self.kind], self.value), ("recovery_target_action", "promote"))

    def describe(self) -> str:
        return f"{self.kind} {self.value}"


def _check_time(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time; use ISO 8601 with a zone, e.g. 2026-11-22T10:30:00+00:00") \
            from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; add one (e.g. +00:00) so the target is unambiguous")


def _check_lsn(value: str) -> None:
    high, slash, low = value.partition("/")
    try:
        int(high, 16), int(low, 16)
    except ValueError:
        raise ValueError(f"{value!r} is not an LSN; use PostgreSQL's form, e.g. 0/3000060") from None
    if not slash or len(high) > 8 or len(low) > 8:
        raise ValueError(f"{value!r} is not an LSN; use PostgreSQL's form, e.g. 0/3000060")


def _check_name(value: str) -> None:
    if not value or len(value.encode()) > 63 or "\0" in value:
        raise ValueError("a restore point name is 1 to 63 bytes (what pg_create_restore_point accepted)")


def recovering(cluster: Cluster) -> bool:
    """True when the data directory is a restore whose WAL replay has not finished."""
    return (cluster.data / RECOVERY_SIGNAL).is_file()


def pending_target(cluster: Cluster) -> Target | None:
    """Return the recovery target waiting beside an unfinished restore, if any."""
    path = cluster.data / TARGET_FILE
    if not recovering(cluster) or not path.is_file():
        return None
    return Target(**json.loads(path.read_text()))


def recovery_finished(cluster: Cluster) -> None:
    """Forget the recovery target (so no later backup carries it) and the WAL read ahead, once promoted."""
    (cluster.data / TARGET_FILE).unlink(missing_ok=True)
    shutil.rmtree(cluster.data / "pg_wal" / prefetch.FOLDER, ignore_errors=True)


def recorded_id(cluster: Cluster) -> str | None:
    """Return the id in the data directory, if any."""
    path = cluster.data / ID_FILE
    return path.read_text().strip() if path.is_file() else None


def record_new_id(cluster: Cluster, etcd) -> str:
    """Write a fresh id to the data directory and etcd; return it."""
    new = str(uuid.uuid4())
    path = cluster.data / ID_FILE
    path.write_text(new + "\n")
    cluster.own(path)
    etcd.put(keys.database_init_id(), new)
    return new


def prepare(cluster: Cluster, store, etcd) -> str:
    """Make ``cluster.data`` ready to start; return ``existing``, ``created`` or ``restored``."""
    if cluster.initialized():
        _adopt(cluster, etcd)
        return "restored" if recovering(cluster) else "existing"
    try:
        found = timelines.restorable(store, backups.backups(store))
    except StoreError as exc:
        raise StoreUnavailable(f"the store does not answer ({exc}); an empty database folder is not "
                               "initialized while backups may exist — start again once the store is up") from exc
    if found and restore_newest(cluster, store, found):
        record_new_id(cluster, etcd)
        return "restored"
    cluster.ensure_initialized()
    record_new_id(cluster, etcd)
    return "created"


def _adopt(cluster: Cluster, etcd) -> None:
    mine, platform = recorded_id(cluster), etcd.get(keys.database_init_id())
    if mine and mine == platform:
        return
    log.warning("the data directory %s has id %s but etcd records %s; keeping the directory as it is "
                "(an intact cluster is never replaced) and recording a new id", cluster.data, mine, platform)
    record_new_id(cluster, etcd)


def restore_newest(cluster: Cluster, store, found: list) -> bool:
    """Restore the newest backup that verifies; return False when none does."""
    for candidate in reversed(found):
        try:
            restore(cluster, store, candidate)
            return True
        except backups.CorruptBackup as exc:
            log.error("!!! BASE BACKUP %s IS UNUSABLE: %s — trying the one before it", candidate.name, exc)
    log.error("!!! no base backup in the store verifies; creating an empty database instead")
    return False


def restore(cluster: Cluster, store, backup, target: Target | None = None) -> None:
    """Unpack ``backup`` into the (empty) data directory and ask PostgreSQL to replay WAL (up to ``target``)."""
    staging = unpack(cluster, store, backup, target)
    try:
        if cluster.data.exists():
            cluster.data.rmdir()  # empty: checked by the caller's rule; rmdir refuses anything else
        os.replace(staging, cluster.data)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("restored base backup %s (%d bytes); WAL replay from the store follows", backup.name, backup.size)


def staging_of(cluster: Cluster) -> Path:
    """Return the folder beside the data directory where a backup is unpacked before it replaces it."""
    return cluster.data.with_name(cluster.data.name + ".restoring")


def unpack(cluster: Cluster, store, backup, target: Target | None = None) -> Path:
    """Fetch, verify and unpack ``backup`` into :func:`staging_of`, ready to replay WAL; return that folder.

    Nothing else is touched, so this can run while the database still serves;
    raises :class:`~database.backup.CorruptBackup` when the backup does not verify.
    """
    staging = staging_of(cluster)
    archive = cluster.data.with_name(cluster.data.name + ".restore.tar.gz")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        backups.fetch(store, backup, archive)
        staging.mkdir(mode=0o700)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, members=_safe_members(tar, backup.name))
        (staging / RECOVERY_SIGNAL).touch()
        if target is not None:
            (staging / TARGET_FILE).write_text(json.dumps({"kind": target.kind, "value": target.value}))
        _chown_tree(cluster, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        archive.unlink(missing_ok=True)
    return staging


def _safe_members(tar: tarfile.TarFile, name: str):
    """Yield the members of a backup, refusing any that would land outside the data directory."""
    for member in tar:
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir() or member.issym()):
            raise backups.CorruptBackup(f"backup {name}: member {member.name!r} would leave the data directory")
        if member.issym() and (member.linkname.startswith("/") or ".." in Path(member.linkname).parts):
            raise backups.CorruptBackup(f"backup {name}: link {member.name!r} points outside")
        yield member


def _chown_tree(cluster: Cluster, root: Path) -> None:
    for folder, _, files in os.walk(root):
        cluster.own(Path(folder))
        for name in files:
            cluster.own(Path(folder) / name, mode=0o600)
