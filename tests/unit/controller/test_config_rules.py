"""Config validation (reference §2.3) and merging."""

import pytest

from controller.config_rules import STOP_GRACE, healthcheck_seconds, memory_bytes, merge, stop_grace, validate
from controller.errors import FieldErrors


def errors(data):
    with pytest.raises(FieldErrors) as caught:
        validate(data)
    return caught.value.body()


def test_values_are_strings_and_null_survives_to_unset():
    assert validate({"values": {"PORT": 8080, "_X": None}}) == {"values": {"PORT": "8080", "_X": None}}


@pytest.mark.parametrize("data, field, message", [
    ({"values": {"1ABC": "x"}}, "values",
     "Config keys must start with a letter or underscore and only contain [A-z0-9_]"),
    ({"values": {"A-B": "x"}}, "values",
     "Config keys must start with a letter or underscore and only contain [A-z0-9_]"),
    ({"memory": {"9web": "1G"}}, "memory", "Process types can only contain [a-z]"),
    ({"memory": {"web;touch /tmp/x": "1G"}}, "memory", "Process types can only contain [a-z]"),
    ({"cpu": {"web\n": 512}}, "cpu", "Process types can only contain [a-z]"),
    ({"memory": {"web": "1T"}}, "memory", "Limit format: <number><unit>, where unit = B, K, M or G"),
    ({"cpu": {"web": "lots"}}, "cpu", "CPU shares must be an integer"),
    ({"cpu": {"web": 2048}}, "cpu", "CPU shares must be between 0 and 1024"),
    ({"tags": {"Env1": "x"}}, "tags", "Tag keys can only contain [a-z]"),
    ({"tags": {"env": "a b"}}, "tags", "Invalid tag value"),
    ({"values": ["A=1"]}, "values", 'values must be a JSON object, e.g. {"KEY": "value"}'),
])
def test_v1_messages(data, field, message):
    assert errors(data) == {field: [message]}


@pytest.mark.parametrize("limit", ["512M", "512mb", "1G", "8192K", "64m"])
def test_memory_limits_accepted(limit):
    assert validate({"memory": {"web": limit}}) == {"memory": {"web": limit}}


def test_memory_bytes():
    assert memory_bytes("64M") == 64 * 1024 ** 2
    assert memory_bytes("1gb") == 1024 ** 3
    assert memory_bytes("10B") == 10


def test_merge_updates_and_deletes():
    assert merge({"A": "1", "B": "2"}, {"B": None, "C": "3", "Z": None}) == {"A": "1", "C": "3"}
    assert merge({"A": "1"}, None) == {"A": "1"}


@pytest.mark.parametrize("data, field, message", [
    ({"memory": {"web": "99999999999999999999G"}}, "memory", "Memory limits must be between 6M and 1024G"),
    ({"memory": {"web": "9" * 5000 + "M"}}, "memory", "Memory limits must be between 6M and 1024G"),
    ({"memory": {"web": "1025G"}}, "memory", "Memory limits must be between 6M and 1024G"),
    ({"memory": {"web": "5M"}}, "memory", "Memory limits must be between 6M and 1024G"),
    ({"cpu": {"web": "9" * 5000}}, "cpu", "CPU shares must be between 0 and 1024"),
    ({"cpu": {"web": "²"}}, "cpu", "CPU shares must be an integer"),
    ({"values": {"HEALTHCHECK_TIMEOUT": "1e9"}}, "values",
     "HEALTHCHECK_TIMEOUT must be a number of seconds from 0 to 60"),
    ({"values": {"HEALTHCHECK_TIMEOUT": "nan"}}, "values",
     "HEALTHCHECK_TIMEOUT must be a number of seconds from 0 to 60"),
    ({"values": {"HEALTHCHECK_INITIAL_DELAY": "inf"}}, "values",
     "HEALTHCHECK_INITIAL_DELAY must be a number of seconds from 0 to 300"),
    ({"values": {"HEALTHCHECK_INITIAL_DELAY": "-1"}}, "values",
     "HEALTHCHECK_INITIAL_DELAY must be a number of seconds from 0 to 300"),
    ({"values": {"HEALTHCHECK_TIMEOUT": "soon"}}, "values",
     "HEALTHCHECK_TIMEOUT must be a number of seconds from 0 to 60"),
])
def test_numbers_that_reach_an_allocation_or_a_sleep_are_bounded(data, field, message):
    assert errors(data) == {field: [message]}


def test_bounded_numbers_within_their_bounds_are_accepted():
    data = {"memory": {"web": "1024G", "worker": "6M"}, "cpu": {"web": "1024"},
            "values": {"HEALTHCHECK_TIMEOUT": "2.5", "HEALTHCHECK_INITIAL_DELAY": "300"}}
    assert validate(data)["values"] == {"HEALTHCHECK_TIMEOUT": "2.5", "HEALTHCHECK_INITIAL_DELAY": "300"}


def test_healthcheck_seconds_read_the_default_when_empty():
    assert healthcheck_seconds("HEALTHCHECK_TIMEOUT", None) == 1.0
    assert healthcheck_seconds("HEALTHCHECK_INITIAL_DELAY", "") == 0.0
    assert healthcheck_seconds("HEALTHCHECK_INITIAL_DELAY", "1e9") is None


@pytest.mark.parametrize("value", ["0", "301", "1.5", "-5", "thirty", "", " "])
def test_a_stop_grace_outside_whole_seconds_from_1_to_300_is_refused_with_a_sentence(value):
    message = errors({"values": {STOP_GRACE: value}})["values"][0]
    assert message.startswith(f"{STOP_GRACE} must be a whole number of seconds from 1 to 300")
    assert repr(value) in message


def test_the_stop_grace_is_the_apps_value_or_the_platforms_default():
    assert validate({"values": {STOP_GRACE: "120"}})["values"] == {STOP_GRACE: "120"}
    assert stop_grace({STOP_GRACE: "120"}, 30.0) == 120.0
    assert stop_grace({}, 30.0) == 30.0
    # A value stored before validation bounded it reads as the default.
    assert stop_grace({STOP_GRACE: "99999"}, 30.0) == 30.0
