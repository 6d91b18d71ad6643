import datetime

import pytest

from controller import certificates
from controller.errors import FieldErrors
from tests import tlscerts


def field_error(*args, **kwargs):
    with pytest.raises(FieldErrors) as caught:
        certificates.parse(*args, **kwargs)
    return caught.value.errors


def test_common_name_and_expiry_come_from_the_certificate():
    pem, key = tlscerts.pair("Secure.Example.com")
    parsed = certificates.parse(pem, key)
    assert parsed.common_name == "secure.example.com"
    assert parsed.expires == tlscerts.EXPIRES
    assert parsed.expires.tzinfo is not None


def test_given_common_name_overrides_the_subject():
    pem, key = tlscerts.pair("a.example.com", ["a.example.com", "B.example.com"])
    assert certificates.parse(pem, key, "b.example.com").common_name == "b.example.com"


# the common name must be a name of the certificate (issue 12, certificate squatting)


def test_given_common_name_not_in_the_certificate_is_refused():
    pem, key = tlscerts.pair("a.example.com", ["a.example.com", "b.example.com"])
    assert field_error(pem, key, "victim.example.org") == {"common_name": [
        "victim.example.org is not a name in the certificate (it holds a.example.com, b.example.com); "
        "pass one of those as common_name, or get a certificate for it."]}


@pytest.mark.parametrize("name, certified", [
    ("www.example.com", True), ("shop.example.com", True), ("example.com", False),
    ("a.www.example.com", False), ("www.example.org", False), ("wwwexample.com", False),
])
def test_a_wildcard_alternative_name_covers_one_label(name, certified):
    pem, key = tlscerts.pair("example.net", ["*.example.com"])
    if certified:
        assert certificates.parse(pem, key, name).common_name == name
    else:
        assert "is not a name in the certificate" in field_error(pem, key, name)["common_name"][0]


@pytest.mark.parametrize("name, pattern, matches", [
    ("a.example.com", "a.example.com", True), ("a.example.com", "*.example.com", True),
    ("*.example.com", "*.example.com", False), (".example.com", "*.example.com", False),
    ("example.com", "*.example.com", False), ("a.example.com", "b.example.com", False),
])
def test_name_matches_as_tls_clients_do(name, pattern, matches):
    assert certificates.name_matches(name, pattern) is matches


def test_certificate_that_does_not_load():
    _, key = tlscerts.pair("example.com")
    errors = field_error("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", key)
    assert errors["certificate"][0].startswith("Could not load certificate: ")
    assert field_error("hello", key)["certificate"][0].startswith("Could not load certificate: ")


def test_key_that_does_not_load():
    pem, _ = tlscerts.pair("example.com")
    assert field_error(pem, "not a key")["key"][0].startswith("Could not load key: ")


def test_key_of_another_certificate_is_refused():
    pem, _ = tlscerts.pair("example.com")
    _, other_key = tlscerts.pair("example.com")
    assert field_error(pem, other_key) == {"key": [certificates.MISMATCH]}


@pytest.mark.parametrize("subject, given", [("*.example.com", None), ("example.com", "*.example.com")])
def test_wildcards_are_refused_with_v1s_message(subject, given):
    pem, key = tlscerts.pair(subject)
    assert field_error(pem, key, given) == {"common_name": ["Wildcard certificates are not supported"]}


def test_certificate_without_common_name_needs_one_given():
    pem, key = tlscerts.pair(None)
    assert field_error(pem, key) == {"common_name": [certificates.NO_COMMON_NAME]}
    assert "is not a name in the certificate" in field_error(pem, key, "example.com")["common_name"][0]
    pem, key = tlscerts.pair(None, ["example.com"])
    assert certificates.parse(pem, key, "example.com").common_name == "example.com"


def test_expired_certificates_still_parse_with_their_expiry():
    key = tlscerts.new_key()
    past = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
    parsed = certificates.parse(tlscerts.certificate_pem("old.example.com", key, past), tlscerts.key_pem(key))
    assert parsed.expires == past
