"""SSH public keys: validation and fingerprints (MD5 as v1 showed, SHA256 as OpenSSH does)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from controller.errors import FieldErrors

KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})


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


def _embedded_type(blob: bytes) -> str:
    """Return the key type written inside the blob (a length-prefixed string)."""
    if len(blob) < 4:
        return ""
    (length,) = struct.unpack(">I", blob[:4])
    return blob[4:4 + length].decode("ascii", errors="replace")


def parse_public_key(text: str) -> PublicKey:
    """Parse an OpenSSH public key line; raise :class:`FieldErrors` on ``public`` if invalid."""
    fields = (text or "").strip().split(None, 2)
    if len(fields) < 2:
        raise _invalid("Key must look like '<type> <base64 data> [comment]', e.g. a line of ~/.ssh/id_rsa.pub")
    key_type, data = fields[0], fields[1]
    if key_type not in KEY_TYPES:
        raise _invalid(f"Unsupported key type {key_type!r} (use one of {', '.join(sorted(KEY_TYPES))})")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("Key contains invalid base64 chars") from None
    if _embedded_type(blob) != key_type:
        raise _invalid(f"Key data does not hold a {key_type} key")
    return PublicKey(key_type, blob, fields[2] if len(fields) > 2 else "")


def normalize_fingerprint(text: str) -> str:
    """Return ``text`` in the form stored: ``SHA256:…`` as is, MD5 as lower-case ``aa:bb:…``."""
    text = text.strip()
    if text.upper().startswith("SHA256:"):
        return "SHA256:" + text[7:].rstrip("=")
    if text.upper().startswith("MD5:"):
        text = text[4:]
    return text.lower()
