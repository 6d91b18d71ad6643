"""The platform database as tests see it: rows to count, a watch on its loss window, and
``deis-database`` run on its own (:class:`DatabaseProcess`).

:class:`ArchiveWatch` is the suite's independent check of the README's promise
that a commit reaches the store at most ``archiveTimeout`` after it is made.
It trusts neither PostgreSQL's archiver counters nor the platform's own watch
(:mod:`database.exposure`): once a second it notes where the server is writing
(the segment file holding ``pg_current_wal_insert_lsn()``) whenever the
databases' commit count has grown, and, once that moment is
``archiveTimeout`` + ``margin`` old, it looks in the store for the segment's
object. A segment holding a commit that is not there by then is a hole in the
promise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg2

from database import backup as backups
from database import walstore
from database.postgres import Cluster, PostgresError
from deis import keys
from deis.errors import EtcdUnavailable
from store import open_store
from tests.services import SCRIPTS, free_port, wait_until


def connect(ctl):
    """Return an autocommit connection to the controller's database of the platform ``ctl`` runs."""
    # The password does not change; etcd under a heavy fsync load may miss one 5 s read, so retry.
    password = wait_until(lambda: _read_quietly(ctl.etcd, keys.component("database", "password")), 30,
                          what="the database password from etcd")
    conn = psycopg2.connect(host="127.0.0.1", port=ctl.environ["DEIS_DATABASE_PORT"], user="deis",
                            password=password, dbname="deis", connect_timeout=5)
    conn.autocommit = True
    return conn


def _read_quietly(etcd, key: str) -> str | None:
    """``etcd.get(key)``, or None when etcd did not answer in time."""
    try:
        return etcd.get(key)
    except EtcdUnavailable:
        return None


def insert(ctl, first: int, last: int) -> None:
    """Commit the rows ``first``..``last`` of table ``numbers``."""
    with connect(ctl) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS numbers (n integer PRIMARY KEY)")
        cursor.execute("INSERT INTO numbers SELECT generate_series(%s, %s)", (first, last))


def numbers(ctl) -> list[int]:
    """Return the rows of table ``numbers``, in order."""
    with connect(ctl) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT n FROM numbers ORDER BY n")
        return [row[0] for row in cursor.fetchall()]


def stored_backups(ctl) -> list[backups.Backup]:
    """Return the base backups in the platform's (file) store."""
    store = open_store(f"file://{ctl.root / 'store'}")
    try:
        return backups.backups(store)
    finally:
        store.close()


def cluster(ctl) -> Cluster:
    """Return the platform's PostgreSQL cluster (for superuser queries)."""
    return Cluster(ctl.root / "database", port=int(ctl.environ["DEIS_DATABASE_PORT"]))


def superuser(ctl, sql: str) -> str:
    """Run ``sql`` as the cluster's superuser; return its output."""
    return cluster(ctl).query(sql)


#: Seconds past archive_timeout a commit's segment may take to reach the store (the upload,
#: the 1 s sampling, and a loaded CI machine).
MARGIN = 10.0


class ArchiveWatch:
    """Fails a test when written WAL is not in the store ``archive_timeout`` + ``margin`` after it was written."""

    def __init__(self, cluster: Cluster, store_url: str, archive_timeout: float, margin: float = MARGIN):
        self.cluster, self.store_url, self.deadline = cluster, store_url, archive_timeout + margin
        self.samples: list[tuple[float, str]] = []  # (when written, segment file holding it)
        self.holes: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="archive-watch", daemon=True)

    @classmethod
    def of(cls, ctl, archive_timeout: float, margin: float = MARGIN) -> ArchiveWatch:
        """Watch the database of the platform ``ctl`` runs, archiving to its file store."""
        return cls(cluster(ctl), f"file://{ctl.root / 'store'}", archive_timeout, margin)

    def __enter__(self) -> ArchiveWatch:
        """Count the commits made so far (every later one is watched), then start sampling."""
        position = self._position()
        self._commits = position[2] if position else None
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """Stop sampling, then give the youngest sample its full deadline and check it too."""
        self._stop.set()
        self._thread.join(10)
        with self._lock:
            youngest = max((at for at, _ in self.samples), default=None)
        if youngest is not None:
            time.sleep(max(youngest + self.deadline - time.monotonic(), 0))
            self._check_due()

    def lost_disk(self) -> None:
        """Forget WAL too young to have been archived: the test is about to destroy it on purpose."""
        with self._lock:
            now = time.monotonic()
            self.samples = [(at, name) for at, name in self.samples if now - at >= self.deadline]

    def assert_no_hole(self) -> None:
        """Fail if any segment missed its deadline; print how much was checked."""
        print(f"\narchive watch: {self.checked} written positions checked against the store, "
              f"{len(self.holes)} late")
        assert not self.holes, "WAL not archived within archiveTimeout + margin:\n" + "\n".join(self.holes)

    def _run(self) -> None:
        commits = self._commits
        while not self._stop.wait(1.0):
            position = self._position()
            if position is not None:
                name, offset, count = position
                # Only WAL that holds commits must reach the store within archive_timeout: a shutdown
                # checkpoint or the background writer's snapshots are not commits (PostgreSQL does
                # not switch a segment for them, and a lost disk loses nothing with them).
                if commits is not None and count > commits and offset != "0":
                    with self._lock:
                        self.samples.append((time.monotonic(), name))
                commits = count  # a restart resets the count: compare with the newest value
            self._check_due()

    def _position(self) -> tuple[str, str, int] | None:
        """Return the segment being written, the offset in it, and the commits counted so far."""
        try:
            name, offset, count = self.cluster.query(
                "SELECT f, o, (SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database WHERE datname <> "
                "'postgres') FROM pg_walfile_name_offset(pg_current_wal_insert_lsn()) AS x(f, o)").split("|")
        except (PostgresError, OSError, ValueError):
            return None  # stopped, restoring, or its disk was just taken away
        return name, offset, int(count)

    def _check_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [(at, name) for at, name in self.samples if now - at >= self.deadline]
            self.samples = [(at, name) for at, name in self.samples if now - at < self.deadline]
        if not due:
            return
        store = open_store(self.store_url)
        try:
            for at, name in due:
                self.checked += 1
                if not store.exists(walstore.key_of(name)):
                    self.holes.append(f"{name}: written {now - at:.0f} s ago, not in the store")
        finally:
            store.close()


#: The ``archiveTimeout`` (seconds) a :class:`DatabaseProcess` runs with unless told otherwise.
ARCHIVE_TIMEOUT = 10


class DatabaseProcess:
    """``deis-database`` on a free port, with its data under ``root``."""

    def __init__(self, etcd, root: Path, store_url: str, extra: dict[str, str] | None = None,
                 archive_timeout: int = ARCHIVE_TIMEOUT):
        self.etcd, self.root, self.port = etcd, root, free_port()
        self.environ = dict(os.environ, DEIS_ETCD=etcd.endpoint if hasattr(etcd, "endpoint") else "",
                            DEIS_DATA_DIR=str(root), DEIS_DATABASE_PORT=str(self.port),
                            DEIS_DATABASE_STOREURL=store_url, DEIS_DATABASE_ARCHIVETIMEOUT=str(archive_timeout),
                            **(extra or {}))
        self.process: subprocess.Popen | None = None
        self.log = root / "database.log"

    @property
    def data(self) -> Path:
        return self.root / "database"

    def start(self, timeout: float = 120) -> float:
        """Start and wait until it is announced; return the seconds that took."""
        started = time.monotonic()
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen([str(SCRIPTS / "deis-database")], env=self.environ,
                                            stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until(self._ready, timeout, interval=0.2, what="deis-database announced")
        except TimeoutError:
            raise AssertionError(f"deis-database did not start:\n{self.log.read_text()[-4000:]}") from None
        return time.monotonic() - started

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"deis-database exited {self.process.returncode}:\n{self.log.read_text()[-4000:]}")
        return self.etcd.get(keys.port("database")) == str(self.port)

    def connect(self):
        password = self.etcd.get(keys.component("database", "password"))
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="deis", password=password, dbname="deis",
                                connect_timeout=5)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(90)
        return self.process.returncode if self.process else 0

    def kill_postgres(self) -> None:
        """``kill -9`` the postmaster; deis-database notices and exits."""
        os.kill(self.postmaster_pid(), signal.SIGKILL)
        self.process.wait(30)
        time.sleep(1)  # the postmaster's children notice it is gone and exit
