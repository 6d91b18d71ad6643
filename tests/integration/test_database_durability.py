"""The database survives losing its disk (T9), never clobbers an intact one (T10),
and keeps taking writes while the store is away (T11) — real PostgreSQL, real Ceph.

Each test runs ``deis-database`` as a subprocess on a free port with its data
under a fresh ``DEIS_DATA_DIR`` and ``archiveTimeout`` 10 s.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from database import backup as backups
from database import prefetch, wal
from database.postgres import Cluster, binary
from deis import keys
from store import open_store
from tests.services import SCRIPTS, free_port, wait_until

ARCHIVE_TIMEOUT = 10


class DatabaseProcess:
    """``deis-database`` on a free port, with its data under ``root``."""

    def __init__(self, etcd, root: Path, store_url: str, extra: dict[str, str] | None = None):
        self.etcd, self.root, self.port = etcd, root, free_port()
        self.environ = dict(os.environ, DEIS_ETCD=etcd.endpoint if hasattr(etcd, "endpoint") else "",
                            DEIS_DATA_DIR=str(root), DEIS_DATABASE_PORT=str(self.port),
                            DEIS_DATABASE_STOREURL=store_url, DEIS_DATABASE_ARCHIVETIMEOUT=str(ARCHIVE_TIMEOUT),
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


class Writer:
    """Commits numbered rows at ~``rate``/s, recording when each commit was acknowledged."""

    def __init__(self, database: DatabaseProcess, rate: float = 20, first: int = 1):
        self.database, self.interval, self.first = database, 1 / rate, first
        self.acked: dict[int, float] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        with database.connect() as conn, conn.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS t9 (id integer PRIMARY KEY, at timestamptz DEFAULT now())")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def _run(self) -> None:
        conn = self.database.connect()
        conn.autocommit = True
        number = self.first - 1
        while not self._stop.wait(self.interval):
            number += 1
            try:
                with conn.cursor() as cursor:
                    cursor.execute("INSERT INTO t9 (id) VALUES (%s)", (number,))
                self.acked[number] = time.monotonic()
            except psycopg2.Error as exc:
                self.errors.append(str(exc))
                return
        conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def root():
    # Not pytest's tmp_path: its 0700 parents would keep the postgres user out.
    folder = Path(tempfile.mkdtemp(prefix="deis-db-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def etcd_with_endpoint(etcd, etcd_endpoint):
    etcd.endpoint = etcd_endpoint
    return etcd


def on_ceph(etcd, ceph, root: Path, name: str, **extra: str):
    """Return a fresh bucket's store and a database archiving to it (not started)."""
    bucket = f"{name}-{int(time.time())}"
    return ceph.s3_store(bucket), DatabaseProcess(etcd, root, ceph.s3_url(bucket), {**ceph.s3_environ, **extra})


def _ids(database: DatabaseProcess) -> list[int]:
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id FROM t9 ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_t9_disk_lost_after_kill_9_is_restored_from_the_store(etcd_with_endpoint, ceph, root):
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t9")
    database.start()
    try:
        wait_until(lambda: backups.backups(store), 60, what="the first base backup")
        writer = Writer(database).start()
        time.sleep(25)
        killed = time.monotonic()
        database.kill_postgres()
        writer.stop()
        shutil.rmtree(database.data)
        seconds = database.start(timeout=300)
        restored = _ids(database)
        must_have = [n for n, at in writer.acked.items() if at < killed - ARCHIVE_TIMEOUT]
        lost_window = killed - writer.acked[restored[-1]] if restored else float("inf")
        print(f"\nT9: {len(writer.acked)} rows acknowledged, {len(restored)} restored, "
              f"restore took {seconds:.1f} s, newest restored row acknowledged {lost_window:.1f} s before the kill")
        assert restored == list(range(1, len(restored) + 1)), "restored ids have holes"
        assert must_have and set(must_have) <= set(restored)
        _check_indexes(database)
        assert "restored" in database.log.read_text()
    finally:
        database.stop()
        store.delete_prefix("")
        store.close()


def test_t9b_clean_stop_then_wipe_loses_nothing_and_the_dump_is_identical(etcd_with_endpoint, ceph, root):
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t9b")
    database.start()
    try:
        # Quiesced: the dump before the stop equals the dump after the restore.
        writer = Writer(database).start()
        time.sleep(5)
        writer.stop()
        before = _dumpall(database)
        assert database.stop() == 0
        shutil.rmtree(database.data)
        seconds = database.start(timeout=300)
        after = _dumpall(database)
        assert after == before, "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True)))
        # Under load: the stop shuts clients out before its last backup, so every acknowledged row is in it.
        loaded = Writer(database, first=len(writer.acked) + 1).start()
        time.sleep(5)
        assert database.stop() == 0
        loaded.stop()
        shutil.rmtree(database.data)
        database.start(timeout=300)
        restored = set(_ids(database))
        acked = set(writer.acked) | set(loaded.acked)
        print(f"\nT9b: restore after a clean stop took {seconds:.1f} s; dump identical; "
              f"{len(loaded.acked)} rows acknowledged during the stop's load, {len(acked - restored)} lost")
        assert acked <= restored
        assert loaded.errors, "the stop ended the writer's session"
    finally:
        database.stop()
        store.delete_prefix("")
        store.close()


def _check_indexes(database: DatabaseProcess) -> None:
    """Run amcheck over every B-tree index of the restored database (raises on corruption)."""
    cluster = Cluster(database.data, port=database.port)
    sql = ("CREATE EXTENSION IF NOT EXISTS amcheck; SELECT bt_index_check(c.oid, true) FROM pg_index i "
           "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree'")
    subprocess.run([binary("psql"), "-h", str(database.data), "-p", str(database.port), "-U", cluster.owner,
                    "-d", "deis", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True,
                   timeout=60, cwd=database.data, **cluster.run_as())


def _dumpall(database: DatabaseProcess) -> str:
    cluster = Cluster(database.data, port=database.port)
    result = subprocess.run([binary("pg_dumpall"), "-h", str(database.data), "-p", str(database.port),
                             "-U", cluster.owner, "--restrict-key=t9b"],  # else a random key differs per dump
                            capture_output=True, text=True, check=True, timeout=60, cwd=database.data,
                            **cluster.run_as())
    # Each start sets the role's password again (so a changed setting applies): same password, new salt.
    return re.sub(r"PASSWORD 'SCRAM-SHA-256\$[^']*'", "PASSWORD '<verifier>'", result.stdout)


def test_t10_intact_data_dir_is_kept_with_etcd_wiped_and_the_store_unreachable(etcd_with_endpoint, root):
    good = DatabaseProcess(etcd_with_endpoint, root, f"file://{root}/store", {"DEIS_DATABASE_BACKUPONSTOP": "false"})
    good.start()
    with good.connect() as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me')")
    assert good.stop() == 0
    before = {p.name: p.stat().st_ino for p in good.data.iterdir()}
    etcd_with_endpoint.delete_prefix(keys.ROOT)
    unreachable = f"s3://nowhere?endpoint=http://127.0.0.1:{free_port()}"
    again = DatabaseProcess(etcd_with_endpoint, root, unreachable, {"DEIS_DATABASE_BACKUPONSTOP": "false"})
    again.start()
    try:
        with again.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT v FROM precious")
            assert cursor.fetchall() == [("keep me",)]
        assert before["PG_VERSION"] == (again.data / "PG_VERSION").stat().st_ino
        assert before["base"] == (again.data / "base").stat().st_ino
        init_id = (again.data / "initialized").read_text().strip()
        assert etcd_with_endpoint.get(keys.database_init_id()) == init_id
        assert "never replaced" in again.log.read_text()
    finally:
        again.stop()


def test_a_store_without_backups_gets_one_at_start_so_a_lost_disk_still_comes_back(etcd_with_endpoint, root):
    quiet = {"DEIS_DATABASE_BACKUPONSTOP": "false"}
    first = DatabaseProcess(etcd_with_endpoint, root, f"file://{root}/old-store", quiet)
    first.start()
    with first.connect() as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me')")
    assert first.stop() == 0
    # The operator switches the platform's store (say, to Ceph): the new one holds no backup of this cluster.
    switched = DatabaseProcess(etcd_with_endpoint, root, f"file://{root}/new-store", quiet)
    switched.start()
    new_store = open_store(f"file://{root}/new-store")
    wait_until(lambda: backups.backups(new_store), 60, what="a base backup in the new store")
    switched.kill_postgres()
    shutil.rmtree(switched.data)
    switched.start(timeout=300)
    try:
        with switched.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT v FROM precious")
            assert cursor.fetchall() == [("keep me",)]
    finally:
        switched.stop()


def test_t10_empty_data_dir_with_the_store_unreachable_is_not_initialized(etcd_with_endpoint, root):
    unreachable = f"s3://nowhere?endpoint=http://127.0.0.1:{free_port()}"
    database = DatabaseProcess(etcd_with_endpoint, root, unreachable,
                               {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
    with open(database.log, "wb") as output:
        result = subprocess.run([str(SCRIPTS / "deis-database")], env=database.environ, stdout=output,
                                stderr=subprocess.STDOUT, timeout=120)
    assert result.returncode != 0
    assert "does not answer" in database.log.read_text()
    assert not (database.data / "PG_VERSION").exists()


def test_t11_writes_continue_while_the_gateway_is_down_and_archiving_catches_up(etcd_with_endpoint, ceph, root):
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t11", DEIS_DATABASE_BACKUPONSTOP="false")
    database.start()
    gateway = ceph.cluster.processes["radosgw"]
    try:
        wait_until(lambda: backups.backups(store), 60, what="the first base backup")
        writer = Writer(database).start()
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(30)
        _switch_wal(database)
        wait_until(lambda: _archive_status(etcd_with_endpoint).get("failed", 0) > 0, 30,
                   what="a failed archive attempt counted in etcd")
        time.sleep(5)
        ceph.cluster.restart_dead()
        last = _switch_wal(database)
        wait_until(lambda: _archived(database, last), 120, what=f"{last} archived after the gateway returned")
        writer.stop()
        status = _archive_status(etcd_with_endpoint)
        print(f"\nT11: {len(writer.acked)} rows written, 0 errors; archive status {status}")
        assert writer.errors == []
        assert _gaps(store, backups.backups(store)[0].start_wal, last) == []
    finally:
        ceph.cluster.restart_dead()
        database.stop()
        store.delete_prefix("")
        store.close()


def test_t12_osd_killed_during_wal_upload_archiving_resumes_with_no_gap_or_damage(etcd_with_endpoint, ceph, root,
                                                                                   tmp_path):
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t12", DEIS_DATABASE_BACKUPONSTOP="false")
    database.start()
    osd = ceph.cluster.processes["osd"]
    try:
        first = wait_until(lambda: backups.backups(store), 60, what="the first base backup")[0].start_wal
        writer = Writer(database).start()
        _switch_wal(database)
        osd.send_signal(signal.SIGKILL)  # while the segment just switched is being uploaded
        osd.wait(10)
        time.sleep(5)
        _switch_wal(database)
        killed_for = time.monotonic()
        ceph.cluster.restart_dead()
        ceph.cluster.wait_for_osd(60)
        revived = time.monotonic() - killed_for
        last = _switch_wal(database)
        caught_up = time.monotonic()
        wait_until(lambda: _archived(database, last), 120, what=f"{last} archived after the OSD returned")
        writer.stop()
        print(f"\nT12 (WAL): OSD back in {revived:.1f} s, archive caught up {time.monotonic() - caught_up:.1f} s "
              f"later; {len(writer.acked)} rows written, {len(writer.errors)} errors")
        assert writer.errors == []
        assert _gaps(store, first, last) == []
        for name in _segments_between(first, last):
            assert wal.fetch(store, name, tmp_path / name), name  # gzip CRC and length checked on the way
    finally:
        ceph.cluster.restart_dead()
        database.stop()
        store.delete_prefix("")
        store.close()


def _switch_wal(database: DatabaseProcess) -> str:
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_walfile_name(pg_current_wal_lsn())")
        name = cursor.fetchone()[0]
        cursor.execute("INSERT INTO t9 (id) VALUES (-1) ON CONFLICT DO NOTHING")
    # Switching needs superuser rights: as the cluster's owner over the socket.
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-h", str(database.data), "-p", str(database.port),
                    "-d", "postgres", "-Atc", "SELECT pg_switch_wal()"], check=True, capture_output=True)
    return name


def _archive_status(etcd) -> dict:
    return json.loads(etcd.get(keys.database_archive("status")) or "{}")


def _archived(database: DatabaseProcess, name: str) -> bool:
    ready = database.data / "pg_wal" / "archive_status" / f"{name}.done"
    return ready.exists()


def _gaps(store, first: str, last: str) -> list[str]:
    """Return segment names between ``first`` and ``last`` (same timeline) missing from the store."""
    stored = {info.key[len(wal.PREFIX):].removesuffix(".gz") for info in store.list(wal.PREFIX)}
    return [name for name in _segments_between(first, last) if name not in stored]


def _segments_between(first: str, last: str) -> list[str]:
    def position(name: str) -> int:
        return int(name[8:16], 16) * prefetch.SEGMENTS_PER_ID + int(name[16:24], 16)

    count = position(last) - position(first)
    return [first, *prefetch.following(first, count)] if count >= 0 else []
