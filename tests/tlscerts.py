"""Self-signed certificates made on the fly with ``cryptography``, for tests."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EXPIRES = datetime.datetime(2031, 5, 4, 3, 2, 1, tzinfo=datetime.UTC)


def new_key() -> ec.EllipticCurvePrivateKey:
    """Return a fresh P-256 private key (fast to make, unlike RSA)."""
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """Return ``key`` as unencrypted PKCS#8 PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def certificate_pem(common_name: str | None, key: ec.EllipticCurvePrivateKey, expires=EXPIRES,
                    alt_names: Sequence[str] = ()) -> str:
    """Return a self-signed certificate for ``common_name`` (none when ``None``) and ``alt_names`` as PEM."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else
                        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Deis tests")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(expires)
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in alt_names]), False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def pair(common_name: str | None, alt_names: Sequence[str] = ()) -> tuple[str, str]:
    """Return ``(certificate PEM, key PEM)`` for ``common_name`` and the DNS names ``alt_names``."""
    key = new_key()
    return certificate_pem(common_name, key, alt_names=alt_names), key_pem(key)
