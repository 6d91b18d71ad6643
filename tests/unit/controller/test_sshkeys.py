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


# weak keys and control characters (issue 12, item 11)


def rsa_line(bits):
    """Return an ssh-rsa line whose modulus has exactly ``bits`` bits."""
    def part(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data
    modulus = (1 << (bits - 1) | 1).to_bytes(bits // 8 + 1, "big")
    return line(part(b"ssh-rsa") + part(b"\x01\x00\x01") + part(modulus), key_type="ssh-rsa")


def public_error(text):
    with pytest.raises(FieldErrors) as caught:
        parse_public_key(text)
    return caught.value.errors["public"][0]


def test_dsa_keys_are_refused_with_what_to_use_instead():
    assert public_error(line(blob(b"ssh-dss", b"\x00" * 40), key_type="ssh-dss")) == (
        "DSA (ssh-dss) keys are no longer accepted, OpenSSH has disabled them: use an ed25519 key "
        "('ssh-keygen -t ed25519') or RSA of at least 2048 bits.")


@pytest.mark.parametrize("bits", [1024, 2040, 2047])
def test_rsa_keys_under_2048_bits_are_refused(bits):
    assert public_error(rsa_line(bits)).startswith(f"This RSA key has {bits} bits, too few to be safe: ")


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_rsa_keys_of_2048_bits_or_more_are_accepted(bits):
    assert parse_public_key(rsa_line(bits)).type == "ssh-rsa"


def test_real_rsa_keys_are_measured_right():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    for bits, accepted in ((1024, False), (2048, True)):
        key = rsa.generate_private_key(65537, bits).public_key()
        text = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        assert (parse_public_key(text + " me@host").type == "ssh-rsa") if accepted else public_error(text)


@pytest.mark.parametrize("comment", ["me\x00@host", "me\x1b[2J@host", "me@host\nssh-ed25519 AAAA x", "a\u2028b"])
def test_control_characters_in_a_key_line_are_refused(comment):
    assert public_error(line(blob(), comment=comment)).startswith("Key must be one line of printable text")
