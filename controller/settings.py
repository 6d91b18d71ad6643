"""The controller's settings: environment first, then etcd, then default.

``databaseUrl`` is read from ``DEIS_DATABASE_URL``; ``builderKey`` from
``DEIS_BUILDER_KEY``; ``platformDomain`` from ``/deis/platform/domain``. Every
other setting ``x`` comes from ``DEIS_CONTROLLER_X`` or ``/deis/controller/x``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from deis import keys
from deis.settings import KeyReader, Setting, Settings

REGISTRATION_MODES = ("enabled", "disabled", "admin_only")


def _registration_mode(text: str) -> str:
    mode = text.strip()
    if mode not in REGISTRATION_MODES:
        raise ValueError(f"{text!r} is not one of {', '.join(REGISTRATION_MODES)}")
    return mode


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"{text!r} is not a positive integer")
    return value


SETTINGS = Settings("controller", [
    Setting("port", default=8000, parse=int, help="HTTP port of the API"),
    Setting("databaseUrl", env="DEIS_DATABASE_URL",
            default="postgresql://deis:deis@127.0.0.1:5432/deis",
            help="SQLAlchemy URL of the PostgreSQL database"),
    Setting("registrationMode", default="enabled", parse=_registration_mode,
            help="who may register: enabled, disabled or admin_only"),
    Setting("builderKey", env="DEIS_BUILDER_KEY",
            help="shared secret the builder sends in X-Deis-Builder-Auth"),
    Setting("secretKey", env="DEIS_SECRET_KEY", help="secret for signing (Flask SECRET_KEY)"),
    Setting("platformDomain", key=keys.platform("domain"), env="DEIS_PLATFORM_DOMAIN",
            default="", help="domain apps are served under: <app>.<domain>"),
    Setting("subdomain", default="deis",
            help="name reserved for the platform's own routes; no app may take it"),
    Setting("pageSize", default=100, parse=_positive_int, help="default page size of lists"),
    Setting("maxBodyBytes", default=4 * 1024 * 1024, parse=_positive_int,
            help="largest request body accepted (larger answers 413)"),
])


def load(overrides: Mapping[str, Any] | None = None, etcd: KeyReader | None = None) -> Settings:
    """Return the controller settings, with ``overrides`` (by setting name) winning.

    Overrides are applied as environment variables, so they win over etcd just
    as a real environment does.
    """
    environ = dict(os.environ)
    for name, value in (overrides or {}).items():
        environ[SETTINGS.env_name(name)] = str(value)
    return SETTINGS.bind(etcd=etcd, environ=environ)
