"""Which base backups can be replayed onto the newest timeline."""

from database.timelines import parse_history, reaches

HISTORY_3 = "1\t0/3002068\tbefore 2026-12-01 07:56:48+00\n2\t0/50000A0\tno recovery target specified\n"


def test_a_history_file_names_each_ancestor_and_where_its_child_forked():
    assert parse_history("# comment\n" + HISTORY_3) == {1: 0x3002068, 2: 0x50000A0}


def test_backups_on_the_newest_timeline_or_before_a_fork_reach_it():
    forks = parse_history(HISTORY_3)
    assert reaches("000000030000000000000009", 3, forks)
    assert reaches("000000010000000000000002", 3, forks)  # timeline 1, before its fork at 0/3002068


def test_a_backup_taken_on_an_old_timeline_after_the_fork_does_not():
    forks = parse_history(HISTORY_3)
    assert not reaches("000000010000000000000004", 3, forks)  # the stop backup before a restore --to-lsn
    assert not reaches("000000040000000000000001", 3, forks)  # not an ancestor at all
    assert reaches("000000010000000000000004", 1, {})  # with no restore yet, timeline 1 is the newest
