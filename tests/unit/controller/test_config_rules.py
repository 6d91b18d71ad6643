"""Config validation (reference §2.3) and merging."""

import pytest

from controller.config_rules import memory_bytes, merge, validate
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
    ({"memory": {"web": "1T"}}, "memory", "Limit format: <number><unit>, where unit = B, K, M or G"),
    ({"cpu": {"web": "lots"}}, "cpu", "CPU shares must be an integer"),
    ({"cpu": {"web": 2048}}, "cpu", "CPU shares must be between 0 and 1024"),
    ({"tags": {"Env1": "x"}}, "tags", "Tag keys can only contain [a-z]"),
    ({"tags": {"env": "a b"}}, "tags", "Invalid tag value"),
    ({"values": ["A=1"]}, "values", 'values must be a JSON object, e.g. {"KEY": "value"}'),
])
def test_v1_messages(data, field, message):
    assert errors(data) == {field: [message]}


@pytest.mark.parametrize("limit", ["512M", "512mb", "1G", "1024K", "64m"])
def test_memory_limits_accepted(limit):
    assert validate({"memory": {"web": limit}}) == {"memory": {"web": limit}}


def test_memory_bytes():
    assert memory_bytes("64M") == 64 * 1024 ** 2
    assert memory_bytes("1gb") == 1024 ** 3
    assert memory_bytes("10B") == 10


def test_merge_updates_and_deletes():
    assert merge({"A": "1", "B": "2"}, {"B": None, "C": "3", "Z": None}) == {"A": "1", "C": "3"}
    assert merge({"A": "1"}, None) == {"A": "1"}
