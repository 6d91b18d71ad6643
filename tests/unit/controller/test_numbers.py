"""Whole numbers from requests: ASCII digits only, over-long ones above every bound."""

import pytest

from controller.numbers import OVERSIZE, quoted, whole_number


@pytest.mark.parametrize("value, number", [(0, 0), (7, 7), ("12", 12), ("007", 7), (10 ** 30, 10 ** 30)])
def test_whole_numbers_are_read(value, number):
    assert whole_number(value) == number


@pytest.mark.parametrize("value", [-1, "-1", True, 1.5, "1.5", "", " 3", "²", "١", "ten", None, [1]])
def test_anything_else_is_none(value):
    assert whole_number(value) is None


def test_a_number_too_long_for_int_reads_as_oversize():
    assert whole_number("9" * 5000) == OVERSIZE
    assert whole_number("9" * 19) == OVERSIZE
    assert whole_number("0" * 40 + "5") == 5


def test_quoted_values_are_short():
    assert quoted("9" * 5000) == "'" + "9" * 35 + "...'"
    assert quoted("web") == "'web'"
