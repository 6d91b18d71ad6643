"""logger.logbook: per-app storage, stored once, platform log, follow."""

import pytest

from deis import syslog
from logger.logbook import PLATFORM, Logbook, storage_name
from store import StoreUnavailable, open_store


@pytest.fixture
def logbook(tmp_path):
    return Logbook(open_store(f"file://{tmp_path}"), segment_bytes=4096, keep=3)


def lines_of(logbook, app, count=1000):
    return [syslog.parse_line(line.decode("utf-8", syslog.ERRORS)).text for line in logbook.tail(app, count)]


def test_lines_go_to_their_apps(logbook):
    logbook.record([syslog.Message("a", "web.1", "one"), syslog.Message("b", "web.1", "two")])
    assert lines_of(logbook, "a") == ["one"] and lines_of(logbook, "b") == ["two"]


def test_a_resent_line_is_stored_once_even_after_a_restart(logbook, tmp_path):
    batch = [syslog.Message("a", "web.1", f"n{i}", source="c1", seq=i) for i in range(5)]
    assert logbook.record(batch) == 5
    assert logbook.record(batch[3:]) == 0
    reopened = Logbook(open_store(f"file://{tmp_path}"))
    assert reopened.record(batch + [syslog.Message("a", "web.1", "n5", source="c1", seq=5)]) == 1
    assert lines_of(reopened, "a") == [f"n{i}" for i in range(6)]


class FlakyStore:
    """A file store whose next append fails, after writing (``lands=True``) or not."""

    def __init__(self, store, lands: bool):
        self.store, self.lands, self.failing = store, lands, False

    def append(self, key, data):
        if self.failing:
            self.failing = False
            if self.lands:
                self.store.append(key, data)
            raise StoreUnavailable("the store timed out")
        return self.store.append(key, data)

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.mark.parametrize("lands", [False, True], ids=["append lost", "append landed after all"])
def test_a_batch_whose_append_failed_is_stored_exactly_once_when_resent(tmp_path, lands):
    store = FlakyStore(open_store(f"file://{tmp_path}"), lands)
    logbook = Logbook(store, segment_bytes=4096, keep=3)
    batch = [syslog.Message("a", "web.1", f"n{i}", source="c1", seq=i) for i in range(6)]
    logbook.record(batch[:2])
    store.failing = True
    with pytest.raises(StoreUnavailable):
        logbook.record(batch[2:4])
    logbook.record(batch[2:])  # the sender had no receipt for 2 and 3: it sends them again
    assert lines_of(logbook, "a") == [f"n{i}" for i in range(6)]


def test_odd_names_go_to_the_platform_log(logbook):
    assert storage_name("../etc") == PLATFORM and storage_name("my-app") == "my-app"
    logbook.record([syslog.Message("../etc", "1", "sneaky")])
    assert lines_of(logbook, PLATFORM) == ["sneaky"]


def test_multi_line_messages_become_lines(logbook):
    logbook.record([syslog.Message("a", "web.1", "first\nsecond")])
    assert lines_of(logbook, "a") == ["first", "second"]


def test_follow_gets_recent_then_new_lines(logbook):
    logbook.record([syslog.Message("a", "web.1", "old")])
    recent, follower = logbook.follow("a", 5)
    logbook.record([syslog.Message("a", "web.1", "new")])
    assert [line.endswith(b"old") for line in recent] == [True]
    assert follower.take(0.1)[0].endswith(b"new")
    logbook.unfollow("a", follower)


def test_delete_and_rotation(logbook):
    for i in range(200):
        logbook.record([syslog.Message("a", "web.1", f"line {i} " + "x" * 50)])
    assert lines_of(logbook, "a", 1)[0].startswith("line 199")
    assert len(logbook.tail("a", 1000)) < 200  # old segments were retired
    assert logbook.delete("a") >= 1
    assert logbook.tail("a", 10) == []
