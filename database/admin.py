"""What ``deisctl database …`` does with base backups: list them, take one now, restore a chosen one.

A restore never deletes the current data directory. The chosen backup is
first fetched, verified and unpacked beside it while the database still
serves (a corrupt backup stops everything here, nothing changed); only then
is the database stopped, its directory moved aside to
``database.before-restore-<time>`` and the unpacked one moved in; if that
does not start, the old one is put back. The backup is unpacked with ``recovery.signal``
(and the recovery target, if any) so that the next start of
``deis-database`` replays WAL from the store up to that point, promotes, and
pushes a new base backup of the new timeline (see :mod:`database.restore`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from database import archiving, maintenance, restore, timelines
from database import backup as backups
from database.server import cluster_of, store_url_of
from database.settings import SETTINGS
from deis.errors import DeisError, PermanentError, ValidationError
from deis.etcd import Etcd
from deis.paths import Paths
from store import open_store


class RestoreFailed(PermanentError):
    """The restored data did not start; the previous data is back in place (the message says whether it runs)."""


@dataclass
class Database:
    """The host's database as deisctl sees it: its cluster, settings and store."""

    etcd: Etcd
    environ: dict[str, str]

    def __post_init__(self):
        self.settings = SETTINGS.bind(self.etcd, self.environ)
        self.cluster = cluster_of(self.settings, Paths.from_env(self.environ))
        self.store_url = store_url_of(self.settings, self.etcd)

    def backups(self) -> list[backups.Backup]:
        """Return the finished base backups in the store, oldest first."""
        store = open_store(self.store_url)
        try:
            return backups.backups(store)
        finally:
            store.close()

    def restorable(self) -> list[backups.Backup]:
        """Return the backups that can be replayed onto the newest timeline (see :mod:`database.timelines`)."""
        store = open_store(self.store_url)
        try:
            return timelines.restorable(store, backups.backups(store), self.cluster.data / "pg_wal")
        finally:
            store.close()

    def backup_now(self) -> backups.Backup:
        """Push a base backup of the running database; refuse when it is not running."""
        if not self.cluster.accepting():
            raise ValidationError("the database is not running: start it with 'deisctl start database' "
                                  "(a stopped database pushed its last backup as it stopped)")
        return maintenance.take_backup(self.cluster, self.store_url, archiving.archiver_environment(self.store_url),
                                       self.settings.get("backupsToRetain"))

    def unpack(self, chosen: backups.Backup, target: restore.Target | None) -> Path:
        """Fetch, verify and unpack ``chosen`` beside the data directory (the database may still run)."""
        store = open_store(self.store_url)
        try:
            return restore.unpack(self.cluster, store, chosen, target)
        finally:
            store.close()

    def swap_in(self, staging: Path) -> Path | None:
        """Move the (stopped) database's data directory aside and ``staging`` in; return where the old one went."""
        data = self.cluster.data
        aside = None
        if data.exists():
            aside = data.with_name(f"{data.name}.before-restore-{_stamp()}")
            os.replace(data, aside)
        os.replace(staging, data)
        restore.record_new_id(self.cluster, self.etcd)
        return aside

    def restore(self, chosen: backups.Backup, target: restore.Target | None, *, stop: Callable[[], None],
                start: Callable[[], None], report: Callable[[str], None]) -> Path | None:
        """Unpack ``chosen``, swap it in while the database is stopped, start it; return where the old data went.

        ``stop`` and ``start`` stop and start the database process (whoever supervises it; they raise a
        :class:`~deis.errors.DeisError` on failure); ``report`` receives one line per step. If the restored
        data does not start, the previous data is put back and started, and :class:`RestoreFailed` says so.
        """
        report(f"database: fetching and verifying {chosen.name} from {self.store_url} (the database still serves)")
        staging = self.unpack(chosen, target)
        try:
            stop()
        except DeisError:
            self.discard(staging)
            raise
        aside = self.swap_in(staging)
        report(f"database: backup {chosen.name} unpacked; replaying WAL from {self.store_url}")
        try:
            start()
        except DeisError as exc:
            self._start_previous(aside, start, exc)
        return aside

    def _start_previous(self, aside: Path | None, start: Callable[[], None], exc: DeisError) -> None:
        """Put the previous data back after a restore that did not start, start it, and raise :class:`RestoreFailed`."""
        failed = self.undo(aside)
        try:
            start()
        except DeisError as again:
            raise RestoreFailed(f"the restore did not start ({exc}); the previous data is back in place but did "
                                f"not start either ({again}); the failed attempt is kept in {failed}") from exc
        raise RestoreFailed(f"the restore did not start ({exc}); the previous data is back in place and running; "
                            f"the failed attempt is kept in {failed}") from exc

    def discard(self, staging: Path) -> None:
        """Remove an unpacked backup that will not be used."""
        shutil.rmtree(staging, ignore_errors=True)

    def undo(self, aside: Path | None) -> Path:
        """Put the directory moved aside by :meth:`swap_in` back; return where the failed restore went."""
        data = self.cluster.data
        failed = data.with_name(f"{data.name}.failed-restore-{_stamp()}")
        if data.exists():
            os.replace(data, failed)
        if aside is not None:
            os.replace(aside, data)
        return failed


def choose(found: list[backups.Backup], name: str | None, target: restore.Target | None) -> backups.Backup:
    """Return the backup to restore: ``name``, else the newest one that precedes ``target``, else the newest."""
    if not found:
        raise ValidationError("the store holds no finished base backup; take one with 'deisctl database backup'")
    moment = _target_time(target)
    if name is not None:
        chosen = next((backup for backup in found if backup.name == name), None)
        if chosen is None:
            names = ", ".join(backup.name for backup in found)
            raise ValidationError(f"no backup named {name!r}; the store holds: {names} "
                                  "(see 'deisctl database backups')")
    else:
        usable = [backup for backup in found if moment is None or backup.created < moment]
        if not usable:
            raise ValidationError(f"every backup was taken after {target.value}; no backup can be replayed "
                                  "forward to that time")
        chosen = usable[-1]
    if moment is not None and chosen.created >= moment:
        raise ValidationError(f"backup {chosen.name} was taken after {target.value}: WAL replay only goes "
                              "forward; choose an older backup, or leave the name out to pick one")
    return chosen


def _target_time(target: restore.Target | None) -> float | None:
    return datetime.fromisoformat(target.value).timestamp() if target and target.kind == "time" else None


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
