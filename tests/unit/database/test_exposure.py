"""The loss-window watch: which WAL is unarchived, since when, and when to switch a segment."""

from database.exposure import ExposureWatch
from database.segments import parse_lsn, segment_start, start_of_segment_holding

MB16 = 16 * 1024 * 1024


def test_lsn_and_segment_arithmetic_is_postgresqls():
    assert parse_lsn("0/3000060") == 0x3000060
    assert parse_lsn("1/A0") == (1 << 32) + 0xA0
    assert segment_start("000000010000000000000003", MB16) == 3 * MB16
    assert segment_start("0000000200000001000000FF", MB16) == (1 << 32) + 0xFF * MB16
    assert start_of_segment_holding(0x3000060, MB16) == 0x3000000


def test_an_idle_segment_boundary_is_not_exposure():
    watch = ExposureWatch(MB16)
    assert watch.tick(100.0, 4 * MB16, []) == 0.0
    assert not watch.overdue(500.0, 4 * MB16, [], 60)


def test_the_age_counts_from_the_first_look_that_saw_wal_in_the_open_segment():
    watch = ExposureWatch(MB16)
    assert watch.tick(100.0, 3 * MB16 + 0x60, []) == 0.0
    assert watch.tick(130.0, 3 * MB16 + 0x9000, []) == 30.0
    assert not watch.overdue(130.0, 3 * MB16 + 0x9000, [], 60)
    assert watch.overdue(166.0, 3 * MB16 + 0x9000, [], 60)


def test_a_finished_segment_waiting_for_the_store_keeps_its_age_and_is_not_switched_again():
    watch = ExposureWatch(MB16)
    watch.tick(100.0, 3 * MB16 + 0x60, [])
    # The segment was switched at 170 s but the store is down: it waits as a .ready file.
    assert watch.tick(200.0, 4 * MB16 + 0x28, ["000000010000000000000003"]) == 100.0
    assert not watch.overdue(300.0, 4 * MB16 + 0x28, ["000000010000000000000003"], 60)
    # Once archived, only the open segment counts, from when it was first seen holding WAL.
    assert watch.tick(210.0, 4 * MB16 + 0x90, []) == 10.0


def test_wal_without_a_commit_is_not_exposure_until_a_commit_lands_in_that_segment():
    watch = ExposureWatch(MB16)
    assert watch.tick(100.0, 3 * MB16 + 0x60, [], committed=False) == 0.0  # a background snapshot
    assert not watch.overdue(200.0, 3 * MB16 + 0x60, [], 60)
    assert watch.tick(210.0, 3 * MB16 + 0x90, [], committed=True) == 0.0
    assert watch.tick(240.0, 3 * MB16 + 0x90, [], committed=False) == 30.0
