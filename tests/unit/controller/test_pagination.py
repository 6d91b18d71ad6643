"""DRF-style page-number pagination."""

import pytest

from controller.errors import NotFound
from controller.pagination import Page, envelope, requested_page, resolve_last

BASE = "http://deis.example.com/v1/apps/"


def test_requested_page_defaults_to_the_first_page_of_100():
    assert requested_page({}) == Page(1, 100)


@pytest.mark.parametrize("size", ["0", "-3", "many", ""])
def test_requested_page_with_invalid_page_size_uses_the_default(size):
    assert requested_page({"page_size": size}, default_size=7).size == 7


def test_requested_page_with_invalid_page_is_404():
    with pytest.raises(NotFound):
        requested_page({"page": "zero"})


def test_page_last_resolves_to_the_last_page():
    assert resolve_last(requested_page({"page": "last", "page_size": "2"}), count=5) == Page(3, 2)


def test_page_past_the_end_is_404_but_page_one_of_nothing_is_fine():
    assert resolve_last(Page(1, 10), count=0) == Page(1, 10)
    with pytest.raises(NotFound):
        resolve_last(Page(2, 10), count=10)


def test_envelope_of_a_middle_page_links_both_ways():
    body = envelope(["c", "d"], count=5, page=Page(2, 2), base_url=BASE, args={"page_size": "2", "page": "2"})
    assert body == {
        "count": 5,
        "next": f"{BASE}?page_size=2&page=3",
        "previous": f"{BASE}?page_size=2",
        "results": ["c", "d"],
    }


def test_envelope_of_the_only_page_has_no_links():
    body = envelope(["a"], count=1, page=Page(1, 100), base_url=BASE, args={})
    assert body["next"] is None and body["previous"] is None


def test_page_offset():
    assert Page(3, 20).offset == 40


@pytest.mark.parametrize("size", ["1001", "99999999999999999999999", "9" * 5000])
def test_requested_page_size_is_at_most_a_thousand(size):
    assert requested_page({"page_size": size}).size == 1000


@pytest.mark.parametrize("number", ["²", "9" * 5000])
def test_requested_page_that_is_not_ascii_digits_is_404_or_past_the_end(number):
    with pytest.raises(NotFound):
        resolve_last(requested_page({"page": number}), count=5)
