import pytest

from controller import hostnames
from controller.errors import FieldErrors


def error_of(text):
    with pytest.raises(FieldErrors) as caught:
        hostnames.validate_domain(text)
    return caught.value.errors["domain"][0]


@pytest.mark.parametrize("text, stored", [
    ("example.com", "example.com"),
    ("www.example.com.", "www.example.com"),
    ("Shop.Example.COM", "shop.example.com"),
    ("a-b.example.com", "a-b.example.com"),
    ("localhost", "localhost"),
    ("1.2.3.4.xip.io", "1.2.3.4.xip.io"),
    ("app.10.0.0.1.xip.io", "app.10.0.0.1.xip.io"),
    ("x" * 63 + ".com", "x" * 63 + ".com"),
])
def test_valid_domains_are_stored_normalised(text, stored):
    assert hostnames.validate_domain(text) == stored


@pytest.mark.parametrize("text", [
    "-example.com", "example-.com", "exa--mple.com", "123.com", "example.123", "host1",
    "exa_mple.com", "example..com", ".example.com", "x" * 64 + ".com", "example.com..", "ex ample.com",
])
def test_invalid_hostnames_get_v1_message(text):
    assert error_of(text) == "Hostname does not look valid."


def test_wildcard_is_refused():
    assert error_of("*.example.com") == "Adding a wildcard subdomain is currently not supported."


def test_too_long_and_empty():
    assert error_of("a." * 127 + "com") == "Hostname must be 255 characters or less."
    assert error_of("") == "This field is required."
    assert error_of(None) == "This field is required."


def test_in_use_message_is_v1s():
    assert hostnames.in_use("example.com") == "The domain example.com is already in use by another app"
