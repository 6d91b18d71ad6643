"""The store's loop: make the platform's object storage available and say where it is.

With ``backend=ceph`` (``deisctl config store set backend=ceph``) it runs
this host's Ceph daemons and announces the S3 gateway (see
:mod:`store.ceph.service`); on a cluster, where ``daemon`` names one of
them, it runs that daemon for its Swarm task (:mod:`store.ceph.node`). For the ``file://`` backend, the default, there
is no daemon to run: the store is a folder on this host. :func:`run` checks
it can write there, announces ``/deis/store/url`` and ``/deis/store/backend``
under a lease (so clients such as the logger find it, and a dead store
vanishes from etcd), re-checks the folder every ``CHECK_INTERVAL`` seconds
and logs when it is not writable. It refuses to start when the folder is not
writable at all.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from deis import keys
from deis.etcd import Etcd
from deis.settings import Settings
from store.backends import open_store
from store.base import StoreError

log = logging.getLogger(__name__)

CHECK_INTERVAL = 10.0
PROBE_KEY = "deis-store/probe"


def check(store) -> bool:
    """Write, read back and delete a probe object; True when all worked."""
    try:
        store.put(PROBE_KEY, b"ok")
        ok = store.get(PROBE_KEY) == b"ok"
        store.delete(PROBE_KEY)
        return ok
    except (StoreError, OSError) as exc:
        log.error("store is not usable: %s", exc)
        return False


def run(etcd: Etcd, settings: Settings, stop: threading.Event) -> None:
    """Announce the store until ``stop`` is set; SystemExit when the store cannot be written."""
    if settings.get("backend") == "ceph" and settings.get("daemon"):
        from store.ceph import node

        node.run(etcd, settings, stop, CHECK_INTERVAL)
        return
    if settings.get("backend") == "ceph":
        from store.ceph import service

        service.run(etcd, settings, stop, CHECK_INTERVAL)
        return
    url = settings.get("url")
    store = open_store(url)
    if not check(store):
        raise SystemExit(f"deis-store: cannot write to {url}; fix the folder's permissions or DEIS_STORE_URL")
    with etcd.lease() as lease:
        lease.put(keys.component("store", "backend"), urlsplit(url).scheme)
        lease.put(keys.component("store", "url"), url)
        log.info("store %s announced", url)
        while not stop.wait(CHECK_INTERVAL):
            check(store)
    store.close()
