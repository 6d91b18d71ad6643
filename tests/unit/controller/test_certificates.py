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
    pem, key = tlscerts.pair("a.example.com")
    assert certificates.parse(pem, key, "b.example.com").common_name == "b.example.com"


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
    assert certificates.parse(pem, key, "example.com").common_name == "example.com"


def test_expired_certificates_still_parse_with_their_expiry():
    key = tlscerts.new_key()
    past = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
    parsed = certificates.parse(tlscerts.certificate_pem("old.example.com", key, past), tlscerts.key_pem(key))
    assert parsed.expires == past
