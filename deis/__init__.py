"""Deis in Python: a Heroku-style platform re-created from Deis v1.

This package is the shared library every component imports (settings, etcd
access, naming rules, key paths, logging, errors), plus the ``deis`` CLI and
``deisctl``.
"""

#: The platform version reported in ``DEIS_PLATFORM_VERSION`` (Deis v1.13.4's
#: user contract, re-created).
PLATFORM_VERSION = "1.13.4"
#: The REST API version the controller speaks and the CLI expects.
API_VERSION = "1.7"

__all__ = ["API_VERSION", "PLATFORM_VERSION"]
