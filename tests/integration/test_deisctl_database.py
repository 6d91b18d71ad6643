"""``deisctl database backups|backup|restore`` on a real platform database (file store).

deisctl runs etcd and the database from a fresh data directory with free
ports; rows are numbered so that what a restore brings back can be counted
exactly (PostgreSQL's own PITR tests check row counts per target the same way).
"""

from __future__ import annotations

import pytest

from store import open_store
from tests.databases import ArchiveWatch, insert, numbers, stored_backups, superuser
from tests.platform import isolated_platform
from tests.services import wait_until

COMPONENTS = ("etcd", "database")
ARCHIVE_TIMEOUT = 5


@pytest.fixture
def deisctl():
    """The platform's etcd and database under deisctl, its loss window watched throughout the test."""
    with isolated_platform("deis-ctl-db-", DEIS_DATABASE_ARCHIVETIMEOUT=str(ARCHIVE_TIMEOUT)) as ctl:
        ctl("install", *COMPONENTS)
        ctl("start", *COMPONENTS)
        with ArchiveWatch.of(ctl, ARCHIVE_TIMEOUT) as watch:
            yield ctl
        watch.assert_no_hole()


def test_backups_lists_take_one_and_restore_to_a_named_point(deisctl):
    first = wait_until(lambda: stored_backups(deisctl), 60, what="the backup taken after initdb")
    insert(deisctl, 1, 10)
    taken = deisctl("database", "backup").stdout
    assert "database: base backup" in taken and "stored" in taken
    listed = deisctl("database", "backups").stdout
    names = [backup.name for backup in stored_backups(deisctl)]
    assert len(names) == len(first) + 1 and all(name in listed for name in names)

    insert(deisctl, 11, 20)
    superuser(deisctl, "SELECT pg_create_restore_point('after-twenty')")
    insert(deisctl, 21, 30)

    restored = deisctl("database", "restore", "--to-name", "after-twenty", "--yes").stdout
    assert f"Restoring base backup {names[-1]}" in restored  # the newest one at the time of asking
    assert numbers(deisctl) == list(range(1, 21))
    aside = next(deisctl.root.glob("database.before-restore-*"))
    assert (aside / "PG_VERSION").is_file(), "the replaced data directory is kept"
    assert str(aside) in restored
    # The restored database is writable (promoted) and a new backup of its timeline follows.
    insert(deisctl, 21, 22)
    wait_until(lambda: any(b.start_wal.startswith("00000002") for b in stored_backups(deisctl)), 60,
               what="a base backup of the new timeline")
    store = open_store(f"file://{deisctl.root / 'store'}")
    assert store.get("database/wal/00000002.history.gz"), "the new timeline's history is archived"
    assert "running" in deisctl.status()["database"][0]


def test_restore_to_an_lsn_then_to_a_time_on_the_new_timeline_bring_back_exact_rows(deisctl):
    wait_until(lambda: stored_backups(deisctl), 60, what="the backup taken after initdb")
    insert(deisctl, 1, 5)
    lsn = superuser(deisctl, "SELECT pg_current_wal_lsn()")
    insert(deisctl, 6, 9)
    deisctl("database", "restore", "--to-lsn", lsn, "--yes")
    assert numbers(deisctl) == list(range(1, 6))

    # Replay follows the newest timeline (PostgreSQL's default): a time after the first restore.
    insert(deisctl, 100, 102)
    moment = superuser(deisctl, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00')")
    insert(deisctl, 103, 105)
    deisctl("database", "restore", "--to-time", moment, "--yes")
    assert numbers(deisctl) == [1, 2, 3, 4, 5, 100, 101, 102]


def test_bad_requests_change_nothing(deisctl):
    wait_until(lambda: stored_backups(deisctl), 60, what="the backup taken after initdb")
    insert(deisctl, 1, 3)
    pid = deisctl.status()["database"][1]
    for args, message in [
        (("nosuch",), "no backup named 'nosuch'"),
        (("--to-time", "yesterday"), "is not a time"),
        (("--to-time", "2026-01-01T00:00:00"), "has no time zone"),
        (("--to-lsn", "0/ZZ"), "is not an LSN"),
        (("--to-time", "2001-01-01T00:00:00+00:00"), "every backup was taken after"),
        (("--to-name", "a", "--to-lsn", "0/1"), "choose at most one"),
    ]:
        result = deisctl("database", "restore", *args, "--yes", check=False)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
    assert deisctl.status()["database"][1] == pid, "the database was not stopped"
    assert numbers(deisctl) == [1, 2, 3]
    assert not list(deisctl.root.glob("database.*-restore-*"))


def test_a_corrupt_chosen_backup_is_refused_before_the_database_stops(deisctl):
    chosen = wait_until(lambda: stored_backups(deisctl), 60, what="the backup taken after initdb")[-1]
    insert(deisctl, 1, 3)
    part = deisctl.root / "store" / chosen.parts[0]["key"]
    part.write_bytes(part.read_bytes()[:-10] + b"0123456789")
    pid = deisctl.status()["database"][1]
    result = deisctl("database", "restore", chosen.name, "--yes", check=False)
    assert result.returncode == 1 and "does not match its checksum" in result.stderr
    assert deisctl.status()["database"][1] == pid
    assert numbers(deisctl) == [1, 2, 3]
    assert not (deisctl.root / "database.restoring").exists()


def test_backup_of_a_stopped_database_says_how_to_start_it(deisctl):
    deisctl("stop", "database")
    result = deisctl("database", "backup", check=False)
    assert result.returncode == 1 and "deisctl start database" in result.stderr


def test_a_restore_that_cannot_reach_its_target_puts_the_previous_data_back(deisctl):
    wait_until(lambda: stored_backups(deisctl), 60, what="the backup taken after initdb")
    insert(deisctl, 1, 3)
    result = deisctl("database", "restore", "--to-name", "never-made", "--yes", check=False)
    assert result.returncode == 1 and "the previous data is back in place and running" in result.stderr
    assert numbers(deisctl) == [1, 2, 3]
    assert list(deisctl.root.glob("database.failed-restore-*")), "the failed attempt is kept to look at"
    assert not list(deisctl.root.glob("database.before-restore-*"))
