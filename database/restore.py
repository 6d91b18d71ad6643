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
"""

from __future__ import annotations

import logging
import os
import shutil
import tarfile
import uuid
from pathlib import Path

from database import backup as backups
from database.postgres import Cluster
from deis import keys
from store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

ID_FILE = "initialized"


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
        return "existing"
    try:
        found = backups.backups(store)
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


def restore(cluster: Cluster, store, backup) -> None:
    """Unpack ``backup`` into the (empty) data directory and ask PostgreSQL to replay WAL."""
    staging = cluster.data.with_name(cluster.data.name + ".restoring")
    archive = cluster.data.with_name(cluster.data.name + ".restore.tar.gz")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        backups.fetch(store, backup, archive)
        staging.mkdir(mode=0o700)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, members=_safe_members(tar, backup.name))
        (staging / "recovery.signal").touch()
        _chown_tree(cluster, staging)
        if cluster.data.exists():
            cluster.data.rmdir()  # empty: checked by the caller's rule; rmdir refuses anything else
        os.replace(staging, cluster.data)
        log.info("restored base backup %s (%d bytes); WAL replay from the store follows", backup.name, backup.size)
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


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
