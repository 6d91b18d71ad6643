"""Custom domain rules (reference §2.8, v1's ``DomainSerializer.validate_domain``); pure.

Differences from v1, on purpose: names are lower-cased before they are checked
and stored (DNS is case-insensitive, so ``Example.com`` and ``example.com``
are one domain), and surrounding whitespace is ignored.
"""

from __future__ import annotations

import re

from controller.errors import REQUIRED, FieldErrors

MAX_LENGTH = 255
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
TOO_LONG = "Hostname must be 255 characters or less."
WILDCARD = "Adding a wildcard subdomain is currently not supported."
INVALID = "Hostname does not look valid."


def _invalid(message: str) -> FieldErrors:
    return FieldErrors({"domain": message})


def _label_ok(label: str, single: bool) -> bool:
    if not LABEL.match(label) or "--" in label or label.isdigit():
        return False
    return not (single and any(char.isdigit() for char in label))


def validate_domain(text: object) -> str:
    """Return the domain to store for ``text`` or raise :class:`FieldErrors` on ``domain``."""
    domain = ("" if text is None else str(text)).strip().lower()
    if not domain:
        raise _invalid(REQUIRED)
    if len(domain) > MAX_LENGTH:
        raise _invalid(TOO_LONG)
    if domain.endswith("."):
        domain = domain[:-1]  # exactly one trailing dot, as v1
    if "xip.io" in domain:
        return domain
    labels = domain.split(".")
    if labels[0] == "*":
        raise _invalid(WILDCARD)
    if not all(_label_ok(label, len(labels) == 1) for label in labels):
        raise _invalid(INVALID)
    return domain


def in_use(domain: str) -> str:
    """Return v1's message for a domain another app (or this one) already has."""
    return f"The domain {domain} is already in use by another app"
