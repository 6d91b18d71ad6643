"""Which base backups can be replayed onto the newest timeline."""

from database.timelines import newest_timeline, parse_history, reaches

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


def test_an_old_timelines_backup_in_the_forks_own_segment_is_judged_by_where_it_ended():
    forks = parse_history(HISTORY_3)  # timeline 1 forked at 0/3002068
    # The clean-stop backup before a restore --to-lsn: same segment as the fork, but it ended after it (CI).
    assert not reaches("000000010000000000000003", 3, forks, end_lsn="0/3004100")
    assert reaches("000000010000000000000003", 3, forks, end_lsn="0/3002000")
    # A manifest from before end_lsn was recorded: only a first segment wholly before the fork counts.
    assert not reaches("000000010000000000000003", 3, forks)


def test_the_running_data_directorys_history_counts_before_the_store_has_it(tmp_path):
    class Store:  # holds no history file yet: PostgreSQL archives it asynchronously
        def list(self, prefix):
            return []

    assert newest_timeline(Store(), tmp_path) == (1, {})
    (tmp_path / "00000002.history").write_text("1\t0/3002068\tbefore 2026-12-01 07:56:48+00\n")
    (tmp_path / "000000020000000000000003").write_text("")
    (tmp_path / "garbage.history").write_text("x")
    assert newest_timeline(Store(), tmp_path) == (2, {1: 0x3002068})
    assert newest_timeline(Store(), None) == (1, {})
