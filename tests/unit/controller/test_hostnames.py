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
    ("app.xip.io", "app.xip.io"),
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


@pytest.mark.parametrize("text", ["bad_name!.xip.io", "xip.io/../etc", "a b.xip.io", "1.2.3.4.xip.io",
                                  "x.xip.io.evil_", "xip.io\x00", "example.com\n.", "a.example.com\n\n."])
def test_xip_io_names_are_checked_like_any_other(text):
    assert error_of(text) == "Hostname does not look valid."


def test_wildcard_is_refused():
    assert error_of("*.example.com") == "Adding a wildcard subdomain is currently not supported."


def test_too_long_and_empty():
    assert error_of("a." * 127 + "com") == "Hostname must be 255 characters or less."
    assert error_of("") == "This field is required."
    assert error_of(None) == "This field is required."


def test_in_use_message_is_v1s():
    assert hostnames.in_use("example.com") == "The domain example.com is already in use by another app"


# names under the platform domain (issue 12, hostname takeover)


def platform_error(domain, admin=False, app_id="mine", apps=("mine", "theirs")):
    with pytest.raises(FieldErrors) as caught:
        hostnames.check_platform_name(domain, "example.com", app_id, admin, set(apps).__contains__)
    return caught.value.errors["domain"][0]


@pytest.mark.parametrize("domain", ["example.com", "mine.example.com", "new.example.com", "a.b.example.com"])
def test_users_may_not_add_names_under_the_platform_domain(domain):
    message = platform_error(domain)
    assert "only an administrator may assign" in message
    assert "mine is already served at mine.example.com" in message


@pytest.mark.parametrize("admin", [False, True])
def test_nobody_may_take_the_controller_or_another_apps_hostname(admin):
    assert platform_error("deis.example.com", admin) == (
        "deis.example.com is the controller's own hostname; no app may have it.")
    assert platform_error("theirs.example.com", admin) == (
        "theirs.example.com is the platform hostname of the app theirs; add a domain you own instead.")


@pytest.mark.parametrize("domain", ["example.com", "mine.example.com", "new.example.com", "www.mine.example.com"])
def test_admins_may_add_other_names_under_the_platform_domain(domain):
    hostnames.check_platform_name(domain, "example.com", "mine", True, {"mine", "theirs"}.__contains__)


@pytest.mark.parametrize("domain", ["www.example.org", "example.com.example.org", "deis.example.org"])
def test_names_outside_the_platform_domain_are_anyones(domain):
    hostnames.check_platform_name(domain, "example.com", "mine", False, {"mine", "theirs"}.__contains__)
    hostnames.check_platform_name(domain, "", "mine", False, {"mine", "theirs"}.__contains__)
