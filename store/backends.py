"""Backends by URL scheme: ``file:///var/lib/deis/store``, ``rados://<pool>``, ``s3://<bucket>``.

The table names modules, not classes, so a backend's library (``rados``,
``boto3``) is imported only when that backend is chosen.
"""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from deis.errors import ConfigurationError
from store.base import Backend

#: URL scheme → ``module:Class``.
BACKENDS = {
    "file": "store.file:FileStore",
    "rados": "store.rados:RadosStore",
    "s3": "store.s3:S3Store",
}


def open_store(url: str) -> Backend:
    """Return the backend for ``url`` (``file:///path``), e.g. ``open_store(settings.url)``."""
    scheme = urlsplit(url).scheme
    try:
        dotted = BACKENDS[scheme]
    except KeyError:
        known = ", ".join(f"{name}://" for name in BACKENDS)
        raise ConfigurationError(f"store URL {url!r} has no backend; use one of {known}") from None
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name).from_url(url)
