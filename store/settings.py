"""Settings of the store (environment first, then etcd, then defaults)."""

from __future__ import annotations

import os

from deis.paths import Paths
from deis.settings import Setting, Settings


def default_url(environ=os.environ) -> str:
    """Return ``file://<DEIS_DATA_DIR>/store``, the embedded default."""
    return f"file://{Paths.from_env(environ).data('store')}"


def backend(text: str) -> str:
    """Parse the ``backend`` setting: ``file`` or ``ceph``."""
    if text not in {"file", "ceph"}:
        raise ValueError(f"{text!r} is not a store backend (use file or ceph)")
    return text


SETTINGS = Settings("store", [
    Setting("backend", default="file", parse=backend,
            help="file (a folder on this host) or ceph (run mon, mgr, OSD and radosgw here)"),
    Setting("url", default=default_url(), help="with backend=file: where objects live (file:///path)"),
    Setting("monPort", default=3300, parse=int, help="with backend=ceph: the monitor's port (msgr2, loopback)"),
    Setting("gatewayPort", default=7480, parse=int, help="with backend=ceph: the S3 gateway's port (loopback)"),
])
