"""Database restore time for a ~100 MB database, next to the raw cost of moving its bytes.

``python -m bench.database_restore [--store file|s3|both] [--megabytes 100]
[--extra-megabytes 10]`` starts a throwaway etcd (and, for ``s3``, a
throwaway single-node Ceph), runs ``deis-database`` with its WAL and base
backups in that store, loads ~``megabytes`` of rows, stops it cleanly (the
stop pushes a base backup holding them), starts it again, writes
``extra-megabytes`` more and switches WAL so they are archived (replay is
measured too), kills PostgreSQL with ``kill -9``, deletes the data folder and
times the next start until the database is announced again — then checks that
every row is back.

The baseline, measured in the same run on the same objects, is the raw cost
of moving those bytes: for ``s3`` a plain boto3 download of the backup's parts
to one file, ``tar -xzf`` of it, and boto3 + gunzip of the WAL segments after
it; for ``file`` the same with ``cat``/``gunzip`` straight from the store
folder. It is measured once before the restore and once after (caches warm);
the ratio is against the faster of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from database import archiving, walstore
from database import backup as backups
from deis import keys
from deis.etcd import Etcd
from store import open_store
from tests.databases import DatabaseProcess
from tests.services import running_ceph, running_etcd, wait_until

#: On-disk bytes of one row (tuple header, bigint, 96-character text, line pointer).
ROW_BYTES = 140
#: Bytes of an empty ``deis`` database, so that ``--megabytes`` is the database's size.
EMPTY_DATABASE_BYTES = 7_600_000
ARCHIVE_TIMEOUT = 5
ROWS_SQL = ("INSERT INTO restore_bench (id, payload) SELECT g, md5(g::text) || md5((g * 7)::text) || "
            "md5((g * 13)::text) FROM generate_series(%s, %s) AS g")


class LogWatch:
    """Notes when each new line of ``path`` appears, and when ``paths`` first exist."""

    def __init__(self, path: Path, paths: dict[str, Path]):
        self.path, self.paths = path, paths
        self.offset = path.stat().st_size if path.exists() else 0
        self.lines: list[tuple[float, str]] = []
        self.appeared: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LogWatch:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        pending = b""
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            while not self._stop.is_set():
                chunk = log.read()
                now = time.monotonic()
                if chunk:
                    *complete, pending = (pending + chunk).split(b"\n")
                    self.lines += [(now, line.decode(errors="replace")) for line in complete]
                for name, path in self.paths.items():
                    if name not in self.appeared and path.exists():
                        self.appeared[name] = now
                if not chunk:
                    time.sleep(0.01)

    def first(self, text: str) -> float | None:
        return next((at for at, line in self.lines if text in line), None)

    def count(self, text: str) -> int:
        return sum(1 for _, line in self.lines if text in line)


@dataclass
class Baseline:
    """Seconds the raw copy took, split in its steps."""

    download: float = 0.0
    untar: float = 0.0
    wal: float = 0.0
    wal_files: int = 0
    wal_bytes: int = 0
    extracted: int = 0

    @property
    def total(self) -> float:
        return self.download + self.untar + self.wal


def wal_after(store, backup: backups.Backup) -> list:
    """Return the stored WAL objects a restore of ``backup`` reads: its timeline from its start, and history."""
    found = []
    for info in store.list(walstore.PREFIX):
        name = info.key[len(walstore.PREFIX):].removesuffix(".gz")
        if name.endswith(".history") or (len(name) == 24 and name[:8] == backup.start_wal[:8]
                                         and name >= backup.start_wal):
            found.append(info)
    return found


def baseline(kind: str, store, backup: backups.Backup, segments: list, folder: Path) -> Baseline:
    """Move ``backup`` and the WAL ``segments`` after it out of ``store`` the plain way, and unpack them."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    (folder / "wal").mkdir()
    archive = folder / "backup.tar.gz"
    result = Baseline()
    result.wal_files, result.wal_bytes = len(segments), sum(info.size for info in segments)
    started = time.perf_counter()
    if kind == "s3":
        with open(archive, "wb") as output:
            for part in backup.parts:
                # One GET per part, streamed (download_fileobj's ranged writes seek from the file's start).
                body = store._client.get_object(Bucket=store.bucket, Key=part["key"])["Body"]
                shutil.copyfileobj(body, output, 1 << 20)
    else:
        with open(archive, "wb") as output:
            subprocess.run(["cat", *[str(store.root / part["key"]) for part in backup.parts]], stdout=output,
                           check=True)
    result.download = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(folder / "data")], check=True)
    result.untar = time.perf_counter() - started
    started = time.perf_counter()
    for info in segments:
        target = folder / "wal" / info.key[len(walstore.PREFIX):].removesuffix(".gz")
        if kind == "s3":
            body = store._client.get_object(Bucket=store.bucket, Key=info.key)["Body"].read()
            target.write_bytes(gzip.decompress(body))
        else:
            with open(target, "wb") as output:
                subprocess.run(["gunzip", "-c", str(store.root / info.key)], stdout=output, check=True)
    result.wal = time.perf_counter() - started
    result.extracted = folder_bytes(folder / "data") + folder_bytes(folder / "wal")
    shutil.rmtree(folder, ignore_errors=True)
    return result


def restore_command_seconds(url: str, environ: dict[str, str], folder: Path) -> float:
    """Median seconds of PostgreSQL's ``restore_command`` (run with ``/bin/sh -c``, as it does) for a missing file."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C",
               **archiving.archiver_environment(url, {**os.environ, **environ})}
    command = archiving.command("fetch", "7FFFFFFF.history", str(folder / "missing"))
    times = []
    for _ in range(3):
        started = time.perf_counter()
        status = subprocess.run(["/bin/sh", "-c", command], env=environ, capture_output=True).returncode
        times.append(time.perf_counter() - started)
        assert status == 1, f"restore_command for a missing file exited {status}, not 1"
    return statistics.median(times)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def switch_wal(database: DatabaseProcess) -> str:
    """Close the current WAL segment (superuser, over the socket); return its name."""
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_walfile_name(pg_current_wal_lsn())")
        name = cursor.fetchone()[0]
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-h", str(database.data), "-p", str(database.port),
                    "-d", "postgres", "-Atc", "SELECT pg_switch_wal()"], check=True, capture_output=True)
    return name


def archived(database: DatabaseProcess, name: str) -> bool:
    return (database.data / "pg_wal" / "archive_status" / f"{name}.done").exists()


def insert_rows(database: DatabaseProcess, first: int, last: int) -> float:
    started = time.perf_counter()
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS restore_bench (id bigint, payload text)")
        cursor.execute(ROWS_SQL, (first, last))
    return time.perf_counter() - started


def scalar(database: DatabaseProcess, sql: str):
    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def run_one(kind: str, etcd: Etcd, ceph, megabytes: float, extra_megabytes: float) -> None:
    """Load, back up, add WAL, lose the disk, restore, verify and compare — for one store."""
    rows = max(int((megabytes * 1e6 - EMPTY_DATABASE_BYTES) / ROW_BYTES), 1000)
    extra = max(int(extra_megabytes * 1e6 / ROW_BYTES), 1)
    etcd.delete_prefix(keys.ROOT)
    root = Path(tempfile.mkdtemp(prefix="deis-bench-db-"))
    root.chmod(0o755)  # the postgres user must reach the data folder
    if kind == "s3":
        bucket = f"bench-db-{uuid.uuid4().hex[:8]}"
        url, environ, store = ceph.s3_url(bucket), ceph.s3_environ, ceph.s3_store(bucket)
    else:
        url, environ = f"file://{root}/store", {}
        store = open_store(url)
    database = DatabaseProcess(etcd, root, url, environ, archive_timeout=ARCHIVE_TIMEOUT)
    print(f"--- store {kind} ({url})")
    try:
        database.start()
        wait_until(lambda: backups.backups(store), 60, what="the first base backup")
        load_seconds = insert_rows(database, 1, rows)
        size = scalar(database, "SELECT pg_database_size(current_database())")
        print(f"loaded             {rows:,} rows in {load_seconds:.1f} s; database size {size / 1e6:.1f} MB")
        started = time.perf_counter()
        assert database.stop() == 0, database.log.read_text()[-4000:]
        backup = backups.backups(store)[-1]
        print(f"base backup        {backup.size / 1e6:.1f} MB tar.gz in {len(backup.parts)} parts "
              f"(clean stop with its backup: {time.perf_counter() - started:.1f} s)")

        database.environ["DEIS_DATABASE_BACKUPONSTOP"] = "false"
        database.start()
        insert_rows(database, rows + 1, rows + extra)
        last = switch_wal(database)
        wait_until(lambda: archived(database, last), 120, interval=0.2, what=f"{last} archived")
        expected = rows + extra
        database.kill_postgres()
        shutil.rmtree(database.data)
        segments = wal_after(store, backup)
        print(f"after the backup   {extra:,} rows; {len(segments)} WAL files from {backup.start_wal}, "
              f"{sum(info.size for info in segments) / 1e6:.1f} MB stored")

        before = baseline(kind, store, backup, segments, root / "baseline")
        one_fetch = restore_command_seconds(url, environ, root)
        staging = {"fetching": root / "database.restore.tar.gz", "unpacking": root / "database.restoring"}
        with LogWatch(database.log, staging) as watch:
            launched = time.monotonic()
            seconds = database.start(timeout=300)
            time.sleep(0.05)
        count = scalar(database, "SELECT count(*) FROM restore_bench")
        restored_size = scalar(database, "SELECT pg_database_size(current_database())")
        database.kill_postgres()
        after = baseline(kind, store, backup, segments, root / "baseline")
        assert count == expected, f"restored {count} rows, expected {expected}"
        report(kind, seconds, launched, watch, backup, restored_size, before, after, count, one_fetch)
    finally:
        with contextlib.suppress(Exception):
            if database.process and database.process.poll() is None:
                database.kill_postgres()
        store.delete_prefix("")
        store.close()
        shutil.rmtree(root, ignore_errors=True)


def report(kind, seconds, launched, watch, backup, size, before, after, count, one_fetch) -> None:
    moved = backup.size + before.wal_bytes
    print(f"restore            {seconds:6.2f} s to announced: {size / 1e6:.1f} MB database at "
          f"{size / 1e6 / seconds:.1f} MB/s; {moved / 1e6:.1f} MB from the store at {moved / 1e6 / seconds:.1f} MB/s")
    marks = [("process start → fetch begins", watch.appeared.get("fetching")),
             ("fetch + verify parts", watch.appeared.get("unpacking")),
             ("untar + chown", watch.first("restored base backup")),
             ("postgres start → redo starts", watch.first("redo starts at")),
             (f"WAL replay ({watch.count('from archive')} files from the store)", watch.first("redo done at")),
             ("end of recovery → accepting", watch.first("ready to accept connections")),
             ("pg_isready seen by deis-database", watch.first("WAL replayed in")),
             ("bootstrap + announce", launched + seconds)]
    previous = launched
    for label, at in marks:
        if at is None:
            print(f"  {label:<44} (not seen in the log)")
            continue
        print(f"  {label:<44} {at - previous:6.2f} s")
        previous = at
    print(f"  (one restore_command run, even for a file the store lacks: {one_fetch:.2f} s; "
          "PostgreSQL runs one per WAL file, history file and miss, one after another)")
    best = min(before, after, key=lambda b: b.total)
    tool = "boto3 download" if kind == "s3" else "cat from the store"
    for label, b in (("baseline (before)", before), ("baseline (after)", after)):
        print(f"{label:<18} {b.total:6.2f} s: {tool} {b.download:.2f} s ({backup.size / 1e6 / b.download:.0f} MB/s), "
              f"tar -xzf {b.untar:.2f} s, {b.wal_files} WAL files {b.wal:.2f} s; "
              f"{b.extracted / 1e6:.1f} MB unpacked")
    print(f"ratio              {seconds / best.total:.1f}× restore / baseline ({kind}); "
          f"{count:,} rows restored, exact")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("file", "s3", "both"), default="both")
    parser.add_argument("--megabytes", type=float, default=100.0, help="database size to load (default 100)")
    parser.add_argument("--extra-megabytes", type=float, default=10.0,
                        help="rows written after the base backup, replayed from WAL (default 10)")
    args = parser.parse_args(argv)
    kinds = ("file", "s3") if args.store == "both" else (args.store,)
    with running_etcd() as endpoint, contextlib.ExitStack() as stack:
        ceph = stack.enter_context(running_ceph()) if "s3" in kinds else None
        if ceph:
            print(f"ceph bootstrapped in {ceph.bootstrap_seconds:.1f} s")
        etcd = Etcd(endpoint)
        for kind in kinds:
            run_one(kind, etcd, ceph, args.megabytes, args.extra_megabytes)


if __name__ == "__main__":
    main()
