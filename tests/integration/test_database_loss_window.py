"""The database's loss window holds in every state, with the database run as deisctl runs it.

The README promises that a lost data directory comes back by itself from the
store, with at most ``archiveTimeout`` (plus the upload) of commits lost. Two
holes hid behind tests that ran ``deis-database`` directly (the database
issue): after a restart PostgreSQL's ``archive_timeout`` was not in force for
up to 5 minutes, and under the supervisor a deleted data directory stopped the
database for good (the program's working directory was that directory).

So here deisctl installs and starts etcd and the database under its
supervisor, and the same cycle runs in each state the database can be in —
fresh, restored, restarted, after ``deisctl database restore``, after a crash:
commit numbered rows, wait ``archiveTimeout`` + a margin, then take the disk
away (delete the data directory, ``kill -9`` the postmaster) and wait for the
supervisor to bring it back with no hand work. Every row committed before the
wait must be there. An :class:`~tests.databases.ArchiveWatch` checks the store
throughout, and the platform's own watch must never have had to force a
segment switch (PostgreSQL's ``archive_timeout`` did the work).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import pytest

from database import walstore
from deis import keys
from store import open_store
from tests.databases import ArchiveWatch, insert, numbers, stored_backups, superuser
from tests.platform import isolated_platform
from tests.services import wait_until

ARCHIVE_TIMEOUT = 5
#: Upload of one segment to the file store, and the watcher's 2 s tick.
MARGIN = 5
#: What the database's journal says when its own watch had to switch a segment.
FORCED = "switching the segment so that it is archived now"


@pytest.fixture
def deisctl():
    with isolated_platform("deis-loss-", DEIS_DATABASE_ARCHIVETIMEOUT=str(ARCHIVE_TIMEOUT)) as ctl:
        ctl("install", "etcd", "database")
        ctl("start", "etcd", "database")
        wait_until(lambda: stored_backups(ctl), 60, what="the first base backup")
        yield ctl


def database_pid(ctl) -> int | None:
    """Return the pid of deis-database while the supervisor reports it running."""
    state, pid = ctl.status()["database"][:2]
    return int(pid) if state == "running" else None


def serving(ctl) -> bool:
    try:
        superuser(ctl, "SELECT 1")
        return ctl.etcd.get(keys.port("database")) == ctl.environ["DEIS_DATABASE_PORT"]
    except Exception:  # noqa: BLE001 - restarting: any failure means "not yet"
        return False


def lose_disk(ctl, watch: ArchiveWatch) -> float:
    """Delete the data directory and ``kill -9`` PostgreSQL; return the seconds until it serves again."""
    data = ctl.root / "database"
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    before = database_pid(ctl)
    watch.lost_disk()
    shutil.rmtree(data)
    os.kill(postmaster, signal.SIGKILL)
    lost = time.monotonic()
    wait_until(lambda: not serving(ctl), 30, interval=0.2, what="the database to notice")
    wait_until(lambda: serving(ctl) and database_pid(ctl) != before, 240, interval=0.5,
               what="the supervisor to bring the database back by itself")
    return time.monotonic() - lost


def archive_status(ctl) -> dict:
    return json.loads(ctl.etcd.get(keys.database_archive("status")) or "{}")


def archived_after(ctl, segment: str, limit: float) -> float:
    """Return the seconds until ``segment`` is in the store (``limit`` + 1 if it is not by then)."""
    started = time.monotonic()
    store = open_store(f"file://{ctl.root / 'store'}")
    try:
        while not store.exists(walstore.key_of(segment)):
            if time.monotonic() - started > limit:
                return limit + 1
            time.sleep(0.2)
    finally:
        store.close()
    return time.monotonic() - started


def commit_then_lose_the_disk(ctl, watch: ArchiveWatch, state: str, first: int) -> int:
    """Commit 10 rows, time their archiving, lose the disk; assert they all came back. Return the next row."""
    insert(ctl, first, first + 9)
    segment = superuser(ctl, "SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
    window = archived_after(ctl, segment, ARCHIVE_TIMEOUT + MARGIN)
    restore = lose_disk(ctl, watch)
    print(f"\n{state}: commit archived {window:.1f} s after it was made (archiveTimeout {ARCHIVE_TIMEOUT} s), "
          f"lost disk restored in {restore:.1f} s")
    assert window <= ARCHIVE_TIMEOUT + MARGIN, f"{state}: the commit was not archived within archiveTimeout"
    assert numbers(ctl) == list(range(1, first + 10)), f"{state}: rows lost with the disk"
    return first + 10


def test_every_state_archives_within_archive_timeout_and_a_lost_disk_comes_back_by_itself(deisctl):
    with ArchiveWatch.of(deisctl, ARCHIVE_TIMEOUT) as watch:  # its own margin: a net, not the figure
        # Fresh (initdb); the restore it comes back from makes the next state.
        row = commit_then_lose_the_disk(deisctl, watch, "fresh", 1)
        row = commit_then_lose_the_disk(deisctl, watch, "restored", row)

        deisctl("restart", "database")
        wait_until(lambda: serving(deisctl), 120, what="the database after its restart")
        row = commit_then_lose_the_disk(deisctl, watch, "restarted", row)

        deisctl("database", "restore", "--yes")
        wait_until(lambda: serving(deisctl), 120, what="the database after deisctl database restore")
        row = commit_then_lose_the_disk(deisctl, watch, "after deisctl database restore", row)

        before = database_pid(deisctl)
        os.kill(int((deisctl.root / "database" / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        wait_until(lambda: serving(deisctl) and database_pid(deisctl) != before, 120,
                   what="the database after a crash")
        commit_then_lose_the_disk(deisctl, watch, "after a crash", row)

        wait_until(lambda: "unarchivedAge" in archive_status(deisctl), 30, what="the archive status")
        assert "oldest unarchived write" in deisctl("status").stdout
        journal = (deisctl.root / "logs" / "database.log").read_text()
        assert FORCED not in journal, "PostgreSQL's archive_timeout was not honoured: the watch had to switch"
    watch.assert_no_hole()
