"""Registration field rules."""

import pytest

from controller.errors import FieldErrors
from controller.validators import password_errors, registration, username_errors


def test_registration_returns_clean_fields():
    fields = registration({"username": "alice", "password": "a password", "email": "a@x.io", "is_superuser": True})
    assert fields == {"username": "alice", "password": "a password", "email": "a@x.io", "first_name": "",
                      "last_name": ""}


@pytest.mark.parametrize("name", ["alice", "a.b-c_d+e@f", "x" * 150])
def test_valid_usernames(name):
    assert username_errors(name) == []


@pytest.mark.parametrize("name", ["", "with space", "semi;colon", "x" * 151, "quote'"])
def test_invalid_usernames(name):
    assert username_errors(name)


def test_registration_reports_every_bad_field():
    with pytest.raises(FieldErrors) as caught:
        registration({"username": "", "email": "nope", "first_name": "x" * 31})
    assert set(caught.value.errors) == {"username", "password", "email", "first_name"}


# password length (issue 12, item 11)


def test_passwords_shorter_than_the_minimum_are_refused():
    with pytest.raises(FieldErrors) as caught:
        registration({"username": "alice", "password": "7 chars"})
    assert caught.value.errors == {"password": ["Passwords must be at least 8 characters long; choose a longer one."]}
    assert registration({"username": "alice", "password": "8 chars!"})["password"] == "8 chars!"
    assert password_errors("short", minimum=4) == []
    assert password_errors("", minimum=1) == ["This field is required."]
