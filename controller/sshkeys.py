"""SSH public keys: validation and fingerprints (MD5 as v1 showed, SHA256 as OpenSSH does).

Unlike v1, DSA (``ssh-dss``) keys and RSA keys under 2048 bits are refused:
DSA is fixed at 1024 bits and OpenSSH has disabled it; so are control
characters in a key line, whose comment is shown in ``deis keys:list``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from controller import controlchars
from controller.errors import FieldErrors

KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})
MIN_RSA_BITS = 2048
USE_INSTEAD = f"use an ed25519 key ('ssh-keygen -t ed25519') or RSA of at least {MIN_RSA_BITS} bits"


@dataclass(frozen=True)
class PublicKey:
    """A parsed ``<type> <base64> [comment]`` public key line."""

    type: str
    blob: bytes
    comment: str

    @property
    def md5(self) -> str:
        """Return v1's fingerprint: MD5 of the key as colon-separated hex pairs."""
        hexdigest = hashlib.md5(self.blob, usedforsecurity=False).hexdigest()
        return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2))

    @property
    def sha256(self) -> str:
        """Return OpenSSH's fingerprint: ``SHA256:<unpadded base64>``."""
        encoded = base64.b64encode(hashlib.sha256(self.blob).digest()).decode()
        return "SHA256:" + encoded.rstrip("=")


def _invalid(message: str) -> FieldErrors:
    return FieldErrors({"public": message})


def _fields(blob: bytes) -> list[bytes]:
    """Split a key blob into its length-prefixed fields (a truncated one ends the list)."""
    fields, offset = [], 0
    while offset + 4 <= len(blob):
        (length,) = struct.unpack(">I", blob[offset:offset + 4])
        if offset + 4 + length > len(blob):
            break
        fields.append(blob[offset + 4:offset + 4 + length])
        offset += 4 + length
    return fields


def _embedded_type(blob: bytes) -> str:
    """Return the key type written inside the blob (a length-prefixed string)."""
    fields = _fields(blob)
    return fields[0].decode("ascii", errors="replace") if fields else ""


def rsa_bits(blob: bytes) -> int:
    """Return the modulus size of an ``ssh-rsa`` blob (type, exponent, modulus), 0 if it has none."""
    fields = _fields(blob)
    return int.from_bytes(fields[2], "big").bit_length() if len(fields) >= 3 else 0


def _check_strength(key_type: str, blob: bytes) -> None:
    if key_type == "ssh-rsa" and (bits := rsa_bits(blob)) < MIN_RSA_BITS:
        raise _invalid(f"This RSA key has {bits} bits, too few to be safe: {USE_INSTEAD}.")


def parse_public_key(text: str) -> PublicKey:
    """Parse an OpenSSH public key line; raise :class:`FieldErrors` on ``public`` if invalid."""
    text = (text or "").strip()
    if controlchars.has_control(text.replace("\t", " ")):
        raise _invalid("Key must be one line of printable text: paste one line of your ~/.ssh/id_ed25519.pub")
    fields = text.split(None, 2)
    if len(fields) < 2:
        raise _invalid("Key must look like '<type> <base64 data> [comment]', e.g. a line of ~/.ssh/id_rsa.pub")
    key_type, data = fields[0], fields[1]
    if key_type == "ssh-dss":
        raise _invalid(f"DSA (ssh-dss) keys are no longer accepted, OpenSSH has disabled them: {USE_INSTEAD}.")
    if key_type not in KEY_TYPES:
        raise _invalid(f"Unsupported key type {key_type!r} (use one of {', '.join(sorted(KEY_TYPES))})")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("Key contains invalid base64 chars") from None
    if _embedded_type(blob) != key_type:
        raise _invalid(f"Key data does not hold a {key_type} key")
    _check_strength(key_type, blob)
    return PublicKey(key_type, blob, fields[2] if len(fields) > 2 else "")


def normalize_fingerprint(text: str) -> str:
    """Return ``text`` in the form stored: ``SHA256:…`` as is, MD5 as lower-case ``aa:bb:…``."""
    text = text.strip()
    if text.upper().startswith("SHA256:"):
        return "SHA256:" + text[7:].rstrip("=")
    if text.upper().startswith("MD5:"):
        text = text[4:]
    return text.lower()
