"""Custom domain rules (reference §2.8, v1's ``DomainSerializer.validate_domain``); pure.

Differences from v1, on purpose: names are lower-cased before they are checked
and stored (DNS is case-insensitive, so ``Example.com`` and ``example.com``
are one domain), and surrounding whitespace is ignored; v1 skipped every check
for a name containing ``xip.io`` anywhere, which let any text through, so
such names are checked like all others. A custom domain equal
to or under the platform domain is refused (v1 accepted ``<other app>.<domain>``
and ``deis.<domain>``, and nginx then sent their traffic to the taker):
only an admin may add one, and even an admin never the controller's hostname
or another app's (:func:`check_platform_name`).
"""

from __future__ import annotations

from collections.abc import Callable

from controller.errors import REQUIRED, FieldErrors
from deis import naming

MAX_LENGTH = 255
TOO_LONG = "Hostname must be 255 characters or less."
WILDCARD = "Adding a wildcard subdomain is currently not supported."
INVALID = "Hostname does not look valid."


def _invalid(message: str) -> FieldErrors:
    return FieldErrors({"domain": message})


def _label_ok(label: str, single: bool) -> bool:
    if not naming.is_hostname_label(label) or "--" in label or label.isdigit():
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
    labels = domain.split(".")
    if labels[0] == "*":
        raise _invalid(WILDCARD)
    if not all(_label_ok(label, len(labels) == 1) for label in labels):
        raise _invalid(INVALID)
    return domain


def check_platform_name(domain: str, platform_domain: str, app_id: str, admin: bool,
                        is_app: Callable[[str], bool], controller: str = naming.CONTROLLER_LABEL) -> None:
    """Raise :class:`FieldErrors` on ``domain`` when it is a platform hostname ``app_id`` may not take.

    Anyone but an admin is refused every name equal to or under
    ``platform_domain``; an admin only the controller's and other apps' names.
    """
    if naming.platform_label(domain, platform_domain) is None:
        return
    holder = naming.platform_hostname_holder(domain, platform_domain, is_app, controller)
    if holder == controller:
        raise _invalid(f"{domain} is the controller's own hostname; no app may have it.")
    if holder not in (None, app_id):
        raise _invalid(f"{domain} is the platform hostname of the app {holder}; add a domain you own instead.")
    if not admin:
        raise _invalid(f"{domain} is under the platform domain {platform_domain}, which only an administrator "
                       f"may assign; {app_id} is already served at {app_id}.{platform_domain}, "
                       "or add a domain you own (e.g. www.example.org).")


def in_use(domain: str) -> str:
    """Return v1's message for a domain another app (or this one) already has."""
    return f"The domain {domain} is already in use by another app"
