"""The database survives losing its disk (T9), never clobbers an intact one (T10),
and keeps taking writes while the store is away (T11) — real PostgreSQL, real Ceph.

Each test runs ``deis-database`` as a subprocess on a free port with its data
under a fresh ``DEIS_DATA_DIR`` and ``archiveTimeout`` 10 s.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg2
import pytest

from database import backup as backups
from database import segments, walstore
from database.postgres import Cluster, binary
from deis import keys
from deisctl.components import archive_report
from store import open_store
from tests.databases import ARCHIVE_TIMEOUT, DatabaseProcess
from tests.services import SCRIPTS, free_port, wait_until


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


#: How long the store stays away in T11's CI variant: several archive_timeout segments queue up.
STORE_OUTAGE = 45


def test_t11_writes_continue_while_the_gateway_is_down_and_archiving_catches_up(etcd_with_endpoint, ceph, root):
    """The store away for 45 s (CI; the plan's soak is 5 min) under 20 tx/s: archive_timeout alone switches."""
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t11", DEIS_DATABASE_BACKUPONSTOP="false")
    database.start()
    gateway = ceph.cluster.processes["radosgw"]
    try:
        first = wait_until(lambda: backups.backups(store), 60, what="the first base backup")[0].start_wal
        writer = Writer(database).start()
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(30)
        down = time.monotonic()
        queued = wait_until(lambda: _waiting(database) >= 3 and _waiting(database), STORE_OUTAGE + 30,
                            interval=1, what="three archive_timeout segments queued while the store is away")
        status = wait_until(lambda: _failed_in_status(etcd_with_endpoint), 30,
                            what="the failed attempts counted in deisctl status")
        time.sleep(max(STORE_OUTAGE - (time.monotonic() - down), 0))
        exposed = wait_until(lambda: _archive_status(etcd_with_endpoint).get("unarchivedAge", 0) >= 3 * ARCHIVE_TIMEOUT
                             and _archive_status(etcd_with_endpoint)["unarchivedAge"], 20, interval=1,
                             what="the exposure shown in deisctl status")
        ceph.cluster.restart_dead()
        back = time.monotonic()
        wait_until(lambda: _waiting(database) == 0, 120, interval=1, what="every queued segment archived")
        caught_up = time.monotonic() - back
        writer.stop()
        last = _archived_last(database)
        print(f"\nT11: store away {back - down:.0f} s; {queued} segments queued, status said '{status}', "
              f"then an unarchived write {exposed:.0f} s old; "
              f"all archived {caught_up:.1f} s after it returned; {len(writer.acked)} rows written, "
              f"{len(writer.errors)} write errors")
        assert writer.errors == []
        assert caught_up <= 120
        assert _gaps(store, first, last) == []
    finally:
        ceph.cluster.restart_dead()
        database.stop()
        store.delete_prefix("")
        store.close()


def test_t12_osd_killed_during_wal_upload_archiving_resumes_with_no_gap_or_damage(etcd_with_endpoint, ceph, root,
                                                                                   tmp_path):
    """kill -9 the OSD while archive_timeout's segment is being uploaded (seen in flight), then revive it."""
    store, database = on_ceph(etcd_with_endpoint, ceph, root, "t12", DEIS_DATABASE_BACKUPONSTOP="false")
    database.start()
    osd = ceph.cluster.processes["osd"]
    try:
        first = wait_until(lambda: backups.backups(store), 60, what="the first base backup")[0].start_wal
        writer = Writer(database).start()
        upload = wait_until(lambda: _wal_upload(database), ARCHIVE_TIMEOUT * 3, interval=0.02,
                            what="a WAL upload in flight")
        osd.send_signal(signal.SIGKILL)
        osd.wait(10)
        killed = time.monotonic()
        time.sleep(1)
        hit = upload.is_running() or _archive_status(etcd_with_endpoint).get("failed", 0) > 0
        wait_until(lambda: _waiting(database) >= 1, ARCHIVE_TIMEOUT * 3, interval=0.5,
                   what="a segment waiting while the OSD is dead")
        ceph.cluster.restart_dead()
        ceph.cluster.wait_for_osd(60)
        revived = time.monotonic() - killed
        back = time.monotonic()
        wait_until(lambda: _waiting(database) == 0, 120, interval=0.5, what="archiving caught up")
        caught_up = time.monotonic() - back
        writer.stop()
        last = _archived_last(database)
        failed = _archive_status(etcd_with_endpoint).get("failed", 0)
        print(f"\nT12 (WAL): upload in flight at the kill: {hit}; OSD back in {revived:.1f} s, archive caught up "
              f"{caught_up:.1f} s later; {failed} failed attempts counted; {len(writer.acked)} rows written, "
              f"{len(writer.errors)} errors")
        assert hit, "the kill did not hit an upload"
        assert writer.errors == []
        assert _gaps(store, first, last) == []
        for name in _segments_between(first, last):
            assert walstore.fetch(store, name, tmp_path / name), name  # gzip CRC and length checked on the way
    finally:
        ceph.cluster.restart_dead()
        database.stop()
        store.delete_prefix("")
        store.close()


def _waiting(database: DatabaseProcess) -> int:
    """Return how many finished WAL segments wait for the archiver (``.ready`` files)."""
    ready = database.data / "pg_wal" / "archive_status"
    return sum(1 for path in ready.glob("*.ready") if segments.is_segment(path.name.removesuffix(".ready")))


def _failed_in_status(etcd) -> str:
    """Return the database's line of ``deisctl status`` once it reports failed attempts, else ''."""
    report = archive_report(_archive_status(etcd))
    return report if "failed attempts" in report else ""


def _wal_upload(database: DatabaseProcess):
    """Return a running ``database.wal push`` child of this database's PostgreSQL, if any."""
    try:
        postmaster = psutil.Process(database.postmaster_pid())
        children = postmaster.children(recursive=True)
    except (psutil.Error, OSError, ValueError):
        return None
    for child in children:
        try:
            if "database.wal" in " ".join(child.cmdline()) and "push" in child.cmdline():
                return child
        except psutil.Error:
            continue
    return None


def _archived_last(database: DatabaseProcess) -> str:
    """Return the newest segment PostgreSQL has archived (a backup label names its segment first)."""
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT last_archived_wal FROM pg_stat_archiver")
        return cursor.fetchone()[0][:24]


def _archive_status(etcd) -> dict:
    return json.loads(etcd.get(keys.database_archive("status")) or "{}")


def _gaps(store, first: str, last: str) -> list[str]:
    """Return segment names between ``first`` and ``last`` (same timeline) missing from the store."""
    stored = {info.key[len(walstore.PREFIX):].removesuffix(".gz") for info in store.list(walstore.PREFIX)}
    return [name for name in _segments_between(first, last) if name not in stored]


def _segments_between(first: str, last: str) -> list[str]:
    def position(name: str) -> int:
        return int(name[8:16], 16) * segments.SEGMENTS_PER_ID + int(name[16:24], 16)

    count = position(last) - position(first)
    return [first, *segments.following(first, count)] if count >= 0 else []
