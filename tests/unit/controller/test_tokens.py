"""API tokens and the Authorization header."""

import re

import pytest

from controller.tokens import digest, new_token, parse_authorization, same


def test_new_token_is_40_hex_and_fresh():
    token = new_token()
    assert re.fullmatch(r"[0-9a-f]{40}", token) and token != new_token()


def test_digest_is_sha256_hex():
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("header, key", [
    (None, None), ("", None), ("Basic dXNlcg==", None), ("token abc", "abc"), ("Token abc", "abc"),
])
def test_parse_authorization(header, key):
    assert parse_authorization(header) == key


@pytest.mark.parametrize("header", ["token", "token a b"])
def test_parse_authorization_refuses_malformed_token_headers(header):
    with pytest.raises(ValueError):
        parse_authorization(header)


def test_same_compares_secrets():
    assert same("a", "a") and not same("a", "b")
