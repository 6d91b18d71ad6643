"""Base backups on a timer and archive status in etcd, beside a running PostgreSQL.

One thread: a base backup right away when asked (after initdb or a
restore: the new timeline needs one), then every ``interval`` seconds, each
followed by pruning to the newest ``keep``; every ``WATCH_INTERVAL`` seconds
the loss window is watched (:mod:`database.exposure`: the age of the oldest
unarchived write, and a segment switch when ``archive_timeout`` was not
honoured); every ``STATUS_INTERVAL`` seconds the archiver's counters and that
age go to ``/deis/database/archive/status`` for ``deisctl status``. A store
that does not answer only delays a backup: it is retried on the next tick and
the failure is counted in that status.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from database import archiving, exposure
from database import backup as backups
from database.postgres import PostgresError
from deis import keys
from deis.errors import EtcdUnavailable
from store import StoreError, open_store

log = logging.getLogger(__name__)

STATUS_INTERVAL = 10.0
#: Seconds between two looks at the unarchived WAL (the precision of the reported age).
WATCH_INTERVAL = 2.0
#: Seconds between attempts after a failed backup.
RETRY_INTERVAL = 60.0


def take_backup(cluster, store_url: str, environ: dict[str, str], keep: int) -> backups.Backup:
    """Push a base backup of the running ``cluster`` to the store, then keep only the newest ``keep``."""
    store = open_store(store_url)
    try:
        start_wal = cluster.query("SELECT pg_walfile_name(pg_current_wal_lsn())")
        backup = backups.push(store, cluster.basebackup_argv(), start_wal, cluster.run_as(),
                              {"PATH": "/usr/bin:/bin", **environ},
                              wal_position=lambda: cluster.query("SELECT pg_current_wal_lsn()"))
        backups.prune(store, keep)
        return backup
    finally:
        store.close()


class Maintenance:
    """Periodic base backups and status publishing for one cluster."""

    def __init__(self, cluster, store_url: str, etcd, interval: float, keep: int, environ: dict[str, str],
                 archive_timeout: float = 60.0):
        self.cluster = cluster
        self.archive_timeout = archive_timeout
        self.watch: exposure.ExposureWatch | None = None
        self.unarchived_age = 0.0
        self.forced_switches = 0
        self.commits: int | None = None
        self.store_url = store_url
        self.etcd = etcd
        self.interval = interval
        self.keep = keep
        self.environ = environ
        self.failed_backups = 0
        self.next_backup = time.monotonic() + interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="database-maintenance", daemon=True)

    def start(self, backup_now: bool) -> Maintenance:
        """Start the thread; with ``backup_now`` the first base backup is taken at once."""
        if backup_now:
            self.next_backup = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (a backup in progress finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def backup(self) -> bool:
        """Push a base backup and prune old ones; True when it worked."""
        try:
            take_backup(self.cluster, self.store_url, self.environ, self.keep)
        except (StoreError, PostgresError, OSError) as exc:
            self.failed_backups += 1
            log.error("base backup failed (will retry): %s", exc)
            return False
        return True

    def publish_status(self) -> dict | None:
        """Write the archiver's counters to etcd; return them."""
        try:
            status = {**archiving.status(self.cluster), "failedBackups": self.failed_backups,
                      "unarchivedAge": round(self.unarchived_age, 1), "forcedSwitches": self.forced_switches}
            self.etcd.put(keys.database_archive("status"), json.dumps(status, sort_keys=True))
        except (PostgresError, EtcdUnavailable, ValueError) as exc:
            log.warning("could not publish the archive status: %s", exc)
            return None
        if status.get("waiting", 0) > 1:
            log.warning("%d WAL segments wait to be archived (failed attempts: %s)",
                        status["waiting"], status["failed"])
        return status

    def watch_exposure(self) -> float:
        """Note the unarchived WAL, switch a segment held past ``archive_timeout``; return the age."""
        try:
            if self.watch is None:
                self.watch = exposure.ExposureWatch(archiving.segment_size(self.cluster))
            commits = archiving.commit_count(self.cluster)
            now, lsn = time.monotonic(), archiving.insert_lsn(self.cluster)
            waiting = archiving.waiting_segments(self.cluster)
            # A restart resets the count: any change means commits we have not seen.
            self.unarchived_age = self.watch.tick(now, lsn, waiting, committed=commits != self.commits)
            self.commits = commits
            if self.watch.overdue(now, lsn, waiting, self.archive_timeout):
                self.forced_switches += 1
                log.warning("a commit made %.0f s ago is still in the open segment although archive_timeout is "
                            "%.0f s; switching the segment so that it is archived now", self.unarchived_age,
                            self.archive_timeout)
                archiving.switch_segment(self.cluster)
        except (PostgresError, OSError, ValueError) as exc:
            log.warning("could not watch the unarchived WAL: %s", exc)
        return self.unarchived_age

    def _loop(self) -> None:
        published = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= self.next_backup:
                ok = self.backup()
                self.next_backup = time.monotonic() + (self.interval if ok else min(RETRY_INTERVAL, self.interval))
            self.watch_exposure()
            if time.monotonic() - published >= STATUS_INTERVAL:
                self.publish_status()
                published = time.monotonic()
            self._stop.wait(min(WATCH_INTERVAL, max(self.next_backup - time.monotonic(), 0.1)))
