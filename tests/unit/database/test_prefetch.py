"""The WAL read-ahead: which segments come next, and a fetch served from the spool (file store, no PostgreSQL)."""

import os
import subprocess
import sys
import time

import pytest

from database import prefetch, segments, walstore
from store import open_store


@pytest.fixture
def store(tmp_path):
    return open_store(f"file://{tmp_path}/store")


@pytest.fixture
def data(tmp_path):
    """A data directory in recovery, as restore_command sees it."""
    folder = tmp_path / "data"
    (folder / "pg_wal").mkdir(parents=True)
    (folder / "recovery.signal").touch()
    return folder


def archive(store, tmp_path, names):
    for name in names:
        path = tmp_path / name
        path.write_bytes(name.encode() * 100)
        walstore.push(store, path, name)


def test_following_segments_cross_log_ids_and_keep_the_timeline():
    assert segments.following("0000000200000000000000FE", 3) == [
        "0000000200000000000000FF", "000000020000000100000000", "000000020000000100000001"]


def test_only_segment_names_are_read_ahead():
    assert segments.is_segment("000000010000000000000003")
    assert not segments.is_segment("00000002.history")
    assert not segments.is_segment("000000010000000000000003.00000028.backup")


def test_run_fetches_up_to_the_first_missing_segment_and_drops_consumed_ones(store, tmp_path, data):
    names = segments.following("000000010000000000000000", 4)
    archive(store, tmp_path, names[:3])
    destination = data / "pg_wal" / "RECOVERYXLOG"
    spool = prefetch.spool_of(destination)
    spool.mkdir()
    (spool / "000000010000000000000000").write_bytes(b"consumed")
    assert prefetch.run(destination, "000000010000000000000000", store) == 3
    assert sorted(p.name for p in spool.iterdir()) == names[:3]
    assert prefetch.take(names[0], destination) and destination.read_bytes() == names[0].encode() * 100
    assert not prefetch.take(names[3], destination)


def test_run_stops_once_recovery_has_ended(store, tmp_path, data):
    archive(store, tmp_path, segments.following("000000010000000000000000", 2))
    (data / "recovery.signal").unlink()
    destination = data / "pg_wal" / "RECOVERYXLOG"
    prefetch.spool_of(destination).mkdir()
    assert prefetch.run(destination, "000000010000000000000000", store) == 0


def test_restore_command_reads_ahead_then_serves_from_the_spool_without_the_store(store, tmp_path, data):
    names = segments.following("000000010000000000000000", 3)
    archive(store, tmp_path, names)
    environ = dict(os.environ, DEIS_DATABASE_STOREURL=f"file://{tmp_path}/store")
    fetch = [sys.executable, "-m", "database.wal", "fetch"]
    assert subprocess.run([*fetch, names[0], "pg_wal/RECOVERYXLOG"], cwd=data, env=environ).returncode == 0
    spool = data / "pg_wal" / prefetch.FOLDER
    deadline = time.monotonic() + 10
    while not (spool / names[2]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    environ["DEIS_DATABASE_STOREURL"] = "file:///nonexistent/store"  # the spool alone must serve it
    assert subprocess.run([*fetch, names[2], "pg_wal/RECOVERYXLOG"], cwd=data, env=environ).returncode == 0
    assert (data / "pg_wal" / "RECOVERYXLOG").read_bytes() == names[2].encode() * 100
