"""Settings of the store (environment first, then etcd, then defaults)."""

from __future__ import annotations

import os

from deis.ctl.paths import Paths
from deis.settings import Setting, Settings


def default_url(environ=os.environ) -> str:
    """Return ``file://<DEIS_DATA_DIR>/store``, the embedded default."""
    return f"file://{Paths.from_env(environ).data('store')}"


SETTINGS = Settings("store", [
    Setting("url", default=default_url(), help="where objects live: file:///path (later rados://, s3://)"),
])
