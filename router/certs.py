"""Checking certificate and key pairs before nginx sees them.

``nginx -t`` would reject the whole configuration for one bad certificate and
take every app's new routes with it; checking each pair with ``cryptography``
first lets the router skip just that one (and say why).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def problem(cert_pem: str, key_pem: str) -> str | None:
    """Return why a PEM certificate/key pair is unusable, or None when it is fine."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError as exc:
        return f"certificate does not parse ({exc})"
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"key does not parse ({exc})"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.PEM
    if cert.public_key().public_bytes(encoding, public) != key.public_key().public_bytes(encoding, public):
        return "key does not match the certificate"
    return None
