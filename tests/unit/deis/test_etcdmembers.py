"""DEIS_ETCD's member list and the rule that picks the member a client talks to (pure)."""

import re
import threading

import pytest

from deis.errors import ConfigurationError
from deis.etcdmembers import Members, parse

THREE = "http://10.0.0.11:2379,http://10.0.0.12:2379,http://10.0.0.13:2379"


def test_one_url_is_a_list_of_one():
    assert parse("http://127.0.0.1:2379") == ("http://127.0.0.1:2379",)


def test_a_comma_separated_list_keeps_its_order_and_drops_spaces_and_trailing_slashes():
    assert parse(" http://10.0.0.12:2379/, https://etcd-3.example:4001 ,http://[::1]:2379") == (
        "http://10.0.0.12:2379", "https://etcd-3.example:4001", "http://[::1]:2379")


@pytest.mark.parametrize(("text", "says"), [
    ("10.0.0.11:2379", "'10.0.0.11:2379' in DEIS_ETCD='10.0.0.11:2379' must start with http:// or https://"),
    ("ftp://10.0.0.11:2379", "must start with http:// or https://"),
    ("http://10.0.0.11", "'http://10.0.0.11' in DEIS_ETCD='http://10.0.0.11' names no port; "
                         "write it as http://10.0.0.11:2379"),
    ("http://:2379", "names no host"),
    ("http://10.0.0.11:port", "port that is not a number"),
    ("http://10.0.0.11:99999", "port that is not a number"),
    ("http://10.0.0.11:2379/v3", "must be only scheme, host and port, e.g. http://10.0.0.11:2379"),
    ("http://10.0.0.11:2379,,http://10.0.0.12:2379", "empty entry"),
    ("", "DEIS_ETCD is empty"),
])
def test_a_bad_entry_is_named_in_the_error(text, says):
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        parse(text)


def test_a_member_named_twice_counts_once_at_its_first_place():
    assert parse("http://etcd-b:2379,http://etcd-a:2379,http://etcd-b:2379/,http://etcd-c:2379") == (
        "http://etcd-b:2379", "http://etcd-a:2379", "http://etcd-c:2379")


def test_only_the_bad_entry_of_a_list_is_named():
    with pytest.raises(ConfigurationError, match=r"^etcd member 'http://10\.0\.0\.12' in DEIS_ETCD="):
        parse("http://10.0.0.11:2379,http://10.0.0.12")


@pytest.fixture
def members():
    return Members(parse(THREE))


def test_the_first_member_is_tried_first_and_every_member_once(members):
    assert members.current == "http://10.0.0.11:2379"
    assert members.attempts() == parse(THREE)


def test_a_failed_member_hands_over_to_the_next_wrapping_round(members):
    members.failed("http://10.0.0.11:2379")
    assert members.attempts() == ("http://10.0.0.12:2379", "http://10.0.0.13:2379", "http://10.0.0.11:2379")
    members.failed("http://10.0.0.12:2379")
    members.failed("http://10.0.0.13:2379")
    assert members.current == "http://10.0.0.11:2379"


def test_the_member_that_answers_stays_current(members):
    members.answered("http://10.0.0.13:2379")
    assert members.current == "http://10.0.0.13:2379"
    assert members.attempts()[0] == "http://10.0.0.13:2379"


def test_a_failure_already_handled_by_another_thread_does_not_skip_a_member(members):
    members.failed("http://10.0.0.11:2379")
    members.failed("http://10.0.0.11:2379")  # a second request saw the same member fail
    assert members.current == "http://10.0.0.12:2379"


def test_concurrent_failures_of_one_member_move_on_once(members):
    threads = [threading.Thread(target=members.failed, args=("http://10.0.0.11:2379",)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert members.current == "http://10.0.0.12:2379"


def test_one_member_stays_current_whatever_happens():
    members = Members(parse("http://127.0.0.1:2379"))
    members.failed("http://127.0.0.1:2379")
    assert members.attempts() == ("http://127.0.0.1:2379",)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_first_member_is_tried_first_again_after_a_while_and_kept_if_it_answers():
    clock = Clock()
    members = Members(parse(THREE), return_after=30, clock=clock)
    members.failed("http://10.0.0.11:2379")
    members.failed("http://10.0.0.12:2379")
    clock.now += 29
    assert members.attempts()[0] == "http://10.0.0.13:2379"
    clock.now += 1
    assert members.attempts() == ("http://10.0.0.11:2379", "http://10.0.0.13:2379", "http://10.0.0.12:2379")
    members.answered("http://10.0.0.11:2379")
    assert members.current == "http://10.0.0.11:2379"


def test_a_first_member_still_down_is_tried_again_only_a_period_later():
    clock = Clock()
    members = Members(parse(THREE), return_after=30, clock=clock)
    members.failed("http://10.0.0.11:2379")
    clock.now += 30
    assert members.attempts()[0] == "http://10.0.0.11:2379"
    members.failed("http://10.0.0.11:2379")  # still down: not current, so nothing moves
    assert members.current == "http://10.0.0.12:2379"
    assert members.attempts()[0] == "http://10.0.0.12:2379"
    clock.now += 30
    assert members.attempts()[0] == "http://10.0.0.11:2379"

