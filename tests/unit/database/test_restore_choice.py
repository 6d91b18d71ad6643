"""Choosing what a restore brings back: recovery targets and the backup they start from (pure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from database.admin import choose
from database.backup import Backup
from database.restore import Target
from deis.errors import ValidationError


def backup(name: str, created: str) -> Backup:
    return Backup(name, [], "000000010000000000000002", datetime.fromisoformat(created).timestamp())


FOUND = [backup("A", "2026-11-22T08:00:00+00:00"), backup("B", "2026-11-22T10:00:00+00:00")]


@pytest.mark.parametrize("kind, value, setting", [
    ("time", "2026-11-22T09:30:00+00:00", "recovery_target_time"),
    ("lsn", "0/3000060", "recovery_target_lsn"),
    ("name", "before-upgrade", "recovery_target_name"),
])
def test_a_target_stops_replay_there_and_promotes(kind, value, setting):
    assert Target(kind, value).options() == ((setting, value), ("recovery_target_action", "promote"))


@pytest.mark.parametrize("kind, value, message", [
    ("time", "yesterday", "is not a time"),
    ("time", "2026-11-22T09:30:00", "has no time zone"),
    ("lsn", "3000060", "is not an LSN"),
    ("lsn", "0/G", "is not an LSN"),
    ("name", "", "1 to 63 bytes"),
    ("name", "x" * 64, "1 to 63 bytes"),
    ("xid", "12", "unknown recovery target"),
])
def test_bad_targets_say_what_form_is_expected(kind, value, message):
    with pytest.raises(ValueError, match=message):
        Target(kind, value)


def test_without_a_name_the_newest_backup_is_chosen():
    assert choose(FOUND, None, None).name == "B"
    assert choose(FOUND, None, Target("lsn", "0/1")).name == "B"


def test_a_time_target_picks_the_newest_backup_before_it():
    assert choose(FOUND, None, Target("time", "2026-11-22T09:30:00+00:00")).name == "A"


def test_a_named_backup_after_the_target_time_is_refused():
    with pytest.raises(ValidationError, match="WAL replay only goes forward"):
        choose(FOUND, "B", Target("time", "2026-11-22T09:30:00+00:00"))


def test_no_backup_before_the_target_time_is_refused():
    with pytest.raises(ValidationError, match="every backup was taken after"):
        choose(FOUND, None, Target("time", "2026-11-22T07:00:00+00:00"))


def test_an_unknown_name_lists_the_ones_there_are():
    with pytest.raises(ValidationError, match="the store holds: A, B"):
        choose(FOUND, "C", None)


def test_an_empty_store_says_how_to_take_a_backup():
    with pytest.raises(ValidationError, match="deisctl database backup"):
        choose([], None, None)
