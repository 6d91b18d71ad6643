"""Settings of the store (environment first, then etcd, then defaults)."""

from __future__ import annotations

import os

from deis.paths import Paths
from deis.settings import Setting, Settings


def default_url(environ=os.environ) -> str:
    """Return ``file://<DEIS_DATA_DIR>/store``, the embedded default."""
    return f"file://{Paths.from_env(environ).data('store')}"


def daemon(text: str) -> str:
    """Parse the ``daemon`` setting: empty (one host runs them all) or one daemon of a cluster."""
    if text not in {"", *DAEMONS}:
        raise ValueError(f"{text!r} is not a Ceph daemon of a cluster (use {', '.join(DAEMONS)})")
    return text


def monitors(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``name=address,…`` (every monitor of a cluster) into pairs, in the order given."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, separator, address = item.partition("=")
        if not separator or not name or not address:
            raise ValueError(f"{item!r} is not NAME=ADDRESS (e.g. h1=10.0.0.11)")
        pairs.append((name, address))
    return tuple(pairs)


def backend(text: str) -> str:
    """Parse the ``backend`` setting: ``file`` or ``ceph``."""
    if text not in {"file", "ceph"}:
        raise ValueError(f"{text!r} is not a store backend (use file or ceph)")
    return text


#: The daemons of a Ceph cluster over several hosts, one per Swarm task (:mod:`store.ceph.node`).
DAEMONS = ("mon", "osd", "mgr", "gateway")

SETTINGS = Settings("store", [
    Setting("backend", default="file", parse=backend,
            help="file (a folder on this host) or ceph (run mon, mgr, OSD and radosgw here)"),
    Setting("url", default=default_url(), help="with backend=file: where objects live (file:///path)"),
    Setting("monPort", default=3300, parse=int, help="with backend=ceph: the monitor's port (msgr2, loopback)"),
    Setting("gatewayPort", default=7480, parse=int, help="with backend=ceph: the S3 gateway's port (loopback)"),
    Setting("daemon", default="", parse=daemon,
            help="on a cluster: the one Ceph daemon this process runs (mon, osd, mgr or gateway)"),
    Setting("node", default="", help="on a cluster: this node's name (its monitor's, manager's and gateway's id)"),
    Setting("monitors", default="", parse=monitors,
            help="on a cluster: every monitor as NAME=ADDRESS,...; this node's address is its entry"),
    Setting("identityFile", default="/run/secrets/deis-store-identity",
            help="on a cluster: the file holding the cluster's identity (fsid, keys), a Docker secret"),
    Setting("poolSize", default=3, parse=int, help="on a cluster: copies of every object, on different hosts"),
    Setting("poolMinSize", default=2, parse=int, help="on a cluster: copies that must be up to write"),
])
