"""``deis-store`` with ``backend=ceph``: run this host's Ceph and keep etcd in step with it.

The cluster's identity (fsid, keyrings, the gateway's S3 keys) is kept
under ``/deis/store/*`` with v1's names, so another host could join with
the same secrets; the copy in the data folder wins when the two disagree,
because that copy is what the existing monitor and OSD were made with.
It announces ``/deis/store/url`` (the gateway's S3 bucket: the registry and
the database's backups) and ``/deis/store/appendUrl`` (the RADOS pool, whose
native append the logger's segments need). While running, dead daemons are
started again and ``ceph health`` is written to ``/deis/store/health`` for
``deisctl status``.
"""

from __future__ import annotations

import logging
import threading

from deis import keys
from deis.etcd import Etcd
from deis.paths import Paths
from store.ceph.cluster import BUCKET, POOL, CephError, Cluster
from store.ceph.layout import Identity, Layout

log = logging.getLogger(__name__)

#: etcd name under ``/deis/store/`` → identity field (v1 names where v1 had one).
IDENTITY_KEYS = {
    "fsid": "fsid", "monKeyring": "mon_key", "adminKeyring": "admin_key", "gatewayKeyring": "rgw_key",
    "mgrKeyring": "mgr_key", "osdKeyring": "osd_key", "osdUuid": "osd_uuid",
    "gateway/accessKey": "access_key", "gateway/secretKey": "secret_key",
}


def identity_of(layout: Layout, etcd: Etcd) -> Identity:
    """Return the local identity, else the one in etcd, else a new one; store it in etcd."""
    stored = {field: etcd.get(keys.store_cluster(name)) for name, field in IDENTITY_KEYS.items()}
    if layout.identity_file.is_file():
        identity = Identity.from_json(layout.identity_file.read_text())
        if stored["fsid"] not in (None, identity.fsid):
            log.warning("etcd names Ceph cluster %s but this host's is %s; keeping this host's", stored["fsid"],
                        identity.fsid)
    elif all(stored.values()):
        identity = Identity(**stored)
    else:
        identity = Identity.generate()
    for name, field in IDENTITY_KEYS.items():
        if stored[field] != getattr(identity, field):
            etcd.put(keys.store_cluster(name), getattr(identity, field))
    return identity


def store_url(layout: Layout) -> str:
    """Return the URL clients use: the platform bucket on this host's gateway."""
    return f"s3://{BUCKET}?endpoint={layout.gateway_url}"


def append_url(layout: Layout) -> str:
    """Return the URL for append-heavy clients (the logger): the RADOS pool, which appends natively."""
    return f"rados://{POOL}?conf={layout.conf}"


def run(etcd: Etcd, settings, stop: threading.Event, interval: float) -> None:
    """Bring the cluster up, announce it, keep it running until ``stop``; then stop it."""
    layout = Layout(Paths.from_env().data("ceph"), mon_port=settings.get("monPort"),
                    rgw_port=settings.get("gatewayPort"))
    cluster = Cluster(layout, identity_of(layout, etcd))
    try:
        cluster.start() if cluster.bootstrapped() else cluster.bootstrap()
        _ensure_bucket(cluster)
        with etcd.lease() as lease:
            lease.put(keys.store_gateway("host"), layout.host)
            lease.put(keys.store_gateway("port"), str(layout.rgw_port))
            lease.put(keys.component("store", "backend"), "ceph")
            lease.put(keys.component("store", "url"), store_url(layout))
            lease.put(keys.component("store", "appendUrl"), append_url(layout))
            log.info("Ceph serves S3 at %s (fsid %s)", layout.gateway_url, cluster.identity.fsid)
            _check(cluster, lease)  # health shows in 'deisctl status' from the start
            while not stop.wait(interval):
                _check(cluster, lease)
    finally:
        cluster.stop()


def _ensure_bucket(cluster: Cluster) -> None:
    from store.s3 import S3Store

    identity = cluster.identity
    S3Store(BUCKET, cluster.layout.gateway_url, identity.access_key, identity.secret_key).close()


def _check(cluster: Cluster, lease) -> None:
    restarted = cluster.restart_dead()
    try:
        health = cluster.health()
    except CephError as exc:
        health = f"HEALTH_UNKNOWN {exc}"
    if restarted:
        health += f" (restarted {', '.join(restarted)})"
    lease.put(keys.store_health(), health)
