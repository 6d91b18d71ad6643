from deisctl.cli import format_status
from deisctl.platform import Status
from deisctl.restarts import count


def test_status_table_shows_state_pid_uptime_restarts():
    table = format_status([
        Status("etcd", "running", 1234, 3723.9, 2),
        Status("controller", "not built", note="arrives with issue #3"),
    ]).splitlines()
    assert table[0].split() == ["COMPONENT", "STATE", "PID", "UPTIME", "RESTARTS", "NOTE"]
    assert table[1].split() == ["etcd", "running", "1234", "1:02:03", "2"]
    assert table[2].split()[:2] == ["controller", "not"]
    assert table[2].endswith("arrives with issue #3")


def test_automatic_restarts_count_up_and_a_manual_start_resets():
    counts = count({}, "etcd", "STOPPED")
    assert counts == {"etcd": 0}
    counts = count(counts, "etcd", "EXITED")
    counts = count(counts, "etcd", "BACKOFF")
    assert counts == {"etcd": 2}
    assert count(counts, "etcd", "STOPPED") == {"etcd": 0}
    assert count(counts, "redis", "EXITED") == {"etcd": 2, "redis": 1}


def test_archive_report_says_what_waits_and_hints_at_the_store():
    from deisctl.components import archive_report

    assert archive_report({"archived": 12, "waiting": 0, "failed": 0}) == "WAL archived 12, waiting 0"
    assert archive_report({"archived": 12, "waiting": 7, "failed": 3}) == (
        "WAL archived 12, waiting 7, failed attempts 3 (is the store reachable?)"
    )


def test_archive_report_shows_the_age_of_the_oldest_unarchived_write():
    from deisctl.components import archive_report

    assert archive_report({"archived": 3, "waiting": 1, "failed": 0, "unarchivedAge": 41.6}) == (
        "WAL archived 3, waiting 1, oldest unarchived write 42 s ago"
    )
