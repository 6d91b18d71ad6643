"""WAL archiving rules and base-backup bookkeeping against a ``file://`` store (no PostgreSQL)."""

import gzip
import io
import logging
import sys
import tarfile

import pytest

from database import archiving, restore, walstore
from database import backup as backups
from database.postgres import Cluster
from store import StoreError, open_store


@pytest.fixture
def store(tmp_path):
    return open_store(f"file://{tmp_path}/store")


def test_commands_are_the_interpreter_and_postgres_placeholders_only():
    options = dict(archiving.server_options(10, restoring=True))
    assert options["archive_command"] == f"{sys.executable} -m database.wal push %p %f"
    assert options["restore_command"].endswith("-m database.wal fetch %f %p")
    assert options["archive_timeout"] == "10" and options["hot_standby"] == "off"
    assert "hot_standby" not in dict(archiving.server_options(60, restoring=False))


def test_push_is_idempotent_and_refuses_different_bytes(store, tmp_path):
    segment = tmp_path / "000000010000000000000001"
    segment.write_bytes(b"\0" * 1000 + b"wal")
    walstore.push(store, segment, segment.name)
    walstore.push(store, segment, segment.name)  # PostgreSQL may push twice after a crash
    segment.write_bytes(b"other history")
    with pytest.raises(StoreError, match="different bytes"):
        walstore.push(store, segment, segment.name)


def test_fetch_round_trip_missing_and_corrupt(store, tmp_path):
    segment = tmp_path / "src"
    segment.write_bytes(b"x" * 5000)
    walstore.push(store, segment, "000000010000000000000002")
    target = tmp_path / "RECOVERYXLOG"
    assert walstore.fetch(store, "000000010000000000000002", target) and target.read_bytes() == b"x" * 5000
    assert walstore.fetch(store, "00000002.history", target) is False
    damaged = bytearray(store.get(walstore.key_of("000000010000000000000002")))
    damaged[-5] ^= 0xFF
    store.put(walstore.key_of("000000010000000000000003"), bytes(damaged))
    with pytest.raises((gzip.BadGzipFile, EOFError, OSError)):
        walstore.fetch(store, "000000010000000000000003", target)


def _tarball(tmp_path, marker: str):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("PG_VERSION", "15\n"), ("marker", marker)):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    path = tmp_path / f"{marker}.tar.gz"
    path.write_bytes(buffer.getvalue())
    return ["cat", str(path)]


def test_corrupt_newest_backup_is_reported_and_the_previous_one_restored(store, tmp_path, caplog, monkeypatch):
    older = backups.push(store, _tarball(tmp_path, "older"), "000000010000000000000002")
    monkeypatch.setattr(backups, "_new_name", lambda store: "29990101T000000.000Z")
    newer = backups.push(store, _tarball(tmp_path, "newer"), "000000010000000000000004")
    store.put(newer.parts[0]["key"], b"garbage")
    cluster = Cluster(tmp_path / "database")
    with caplog.at_level(logging.ERROR):
        assert restore.restore_newest(cluster, store, backups.backups(store))
    assert "BASE BACKUP 29990101T000000.000Z IS UNUSABLE" in caplog.text
    assert (cluster.data / "marker").read_text() == "older" and (cluster.data / "recovery.signal").exists()
    assert [b.name for b in backups.backups(store)] == [older.name, newer.name]


def test_prune_keeps_the_newest_and_the_wal_they_need(store, tmp_path, monkeypatch):
    for number, stamp in enumerate(("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"), start=1):
        monkeypatch.setattr(backups, "_new_name", lambda store, s=stamp: s)
        backups.push(store, _tarball(tmp_path, stamp), f"0000000100000000000000{number * 2:02X}")
    for number in range(1, 7):
        store.put(walstore.key_of(f"0000000100000000000000{number:02X}"), b"x")
    store.put(walstore.key_of("00000002.history"), b"h")
    assert backups.prune(store, keep=2) == ["20260101T000000Z"]
    left = [info.key.split("/")[-1] for info in store.list(walstore.PREFIX)]
    assert left[0] == "000000010000000000000004.gz" and "00000002.history.gz" in left


def test_failed_pg_basebackup_leaves_no_parts(store):
    with pytest.raises(StoreError, match="pg_basebackup failed"):
        backups.push(store, ["sh", "-c", "echo partial; exit 3"], "000000010000000000000001")
    assert store.list(backups.PREFIX) == []


def test_backups_taken_in_the_same_second_keep_apart(store, tmp_path):
    first = backups.push(store, _tarball(tmp_path, "first"), "000000010000000000000002")
    second = backups.push(store, _tarball(tmp_path, "second"), "000000010000000000000002")
    assert first.name != second.name
    assert [b.name for b in backups.backups(store)] == [first.name, second.name]
