"""The wait a throttled login is told: until its oldest counted failure leaves the window."""

import datetime

from controller.services.logins import Throttle, wait_seconds

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def ago(seconds):
    return NOW - datetime.timedelta(seconds=seconds)


def test_under_the_limit_there_is_no_wait():
    assert wait_seconds(ago(10), 9, Throttle(10, 300), NOW) == 0
    assert wait_seconds(None, 0, Throttle(10, 300), NOW) == 0


def test_at_the_limit_the_wait_ends_when_the_oldest_failure_is_a_window_old():
    assert wait_seconds(ago(10), 10, Throttle(10, 300), NOW) == 290
    assert wait_seconds(ago(299.5), 12, Throttle(10, 300), NOW) == 1
