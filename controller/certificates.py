"""TLS certificates: parse and check a PEM pair (reference §2.9); pure, no I/O.

v1 loaded the certificate with pyOpenSSL and took its subject CN and notAfter.
We use ``cryptography`` and check more than v1 did, because a broken pair only
showed up later as an nginx that would not reload: the key must load and must
belong to the certificate. And the common name, which binds the certificate to
a domain, must be a name the certificate is for (its subject CN or a DNS
subject alternative name, a ``*.`` wildcard matching one label as TLS
clients do): v1 took any ``common_name`` and so let a user reserve a domain
with a certificate that had nothing to do with it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from controller.errors import FieldErrors

WILDCARD = "Wildcard certificates are not supported"
MISMATCH = "The key does not match the certificate: give the private key the certificate was issued for."
NO_COMMON_NAME = "The certificate has no subject common name (CN); pass common_name."


@dataclass(frozen=True)
class ParsedCertificate:
    """What the controller stores of a valid certificate."""

    common_name: str
    expires: datetime.datetime


def _load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise FieldErrors({"certificate": f"Could not load certificate: {exc}"}) from None


def _load_key(pem: str):
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise FieldErrors({"key": f"Could not load key: {exc}"}) from None


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def subject_common_name(certificate: x509.Certificate) -> str | None:
    """Return the subject CN of ``certificate`` (``None`` when it has none)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def dns_names(certificate: x509.Certificate) -> list[str]:
    """Return the names ``certificate`` is for: its subject CN, then its DNS SANs, lower-cased."""
    names = [subject_common_name(certificate) or ""]
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += extension.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return list(dict.fromkeys(name.strip().lower().rstrip(".") for name in names if name.strip()))


def name_matches(hostname: str, pattern: str) -> bool:
    """True if ``hostname`` is ``pattern``, or ``pattern`` is ``*.<parent>`` and ``hostname`` one label under it."""
    if not pattern.startswith("*."):
        return hostname == pattern
    label, _, parent = hostname.partition(".")
    return bool(label) and label != "*" and parent == pattern[2:]


def check_certified(name: str, certificate: x509.Certificate) -> str:
    """Return ``name`` if ``certificate`` is for it, else raise :class:`FieldErrors` on ``common_name``."""
    names = dns_names(certificate)
    if not any(name_matches(name, pattern) for pattern in names):
        held = ", ".join(names) or "no DNS name"
        raise FieldErrors({"common_name": f"{name} is not a name in the certificate (it holds {held}); "
                                          "pass one of those as common_name, or get a certificate for it."})
    return name


def not_after(certificate: x509.Certificate) -> datetime.datetime:
    """Return the expiry of ``certificate``, timezone-aware in UTC."""
    moment = getattr(certificate, "not_valid_after_utc", None)  # cryptography >= 42
    return moment or certificate.not_valid_after.replace(tzinfo=datetime.UTC)


def check_common_name(name: str | None) -> str:
    """Return ``name`` if it may be a certificate's common name, else raise."""
    if not name:
        raise FieldErrors({"common_name": NO_COMMON_NAME})
    if "*" in name:
        raise FieldErrors({"common_name": WILDCARD})
    return name.strip().lower()


def parse(certificate_pem: str, key_pem: str, common_name: str | None = None) -> ParsedCertificate:
    """Check a certificate and its key; return its common name and expiry.

    ``common_name`` overrides the subject CN, as in v1, but must be one of
    the certificate's names. Raises :class:`FieldErrors` naming the field at fault.
    """
    certificate = _load_certificate(certificate_pem)
    key = _load_key(key_pem)
    if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
        raise FieldErrors({"key": MISMATCH})
    name = check_common_name(common_name or subject_common_name(certificate))
    return ParsedCertificate(check_certified(name, certificate), not_after(certificate))
