"""``deis-store`` with ``backend=ceph`` brings up Ceph, announces it in etcd and stops it (real daemons)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psutil

from deis import keys
from store import open_store
from tests.services import SCRIPTS, free_port, wait_until


def test_store_with_backend_ceph_runs_the_cluster_and_announces_s3(etcd, etcd_endpoint):
    root = Path(tempfile.mkdtemp(prefix="deis-store-"))
    environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATA_DIR=str(root), DEIS_STORE_BACKEND="ceph",
                   DEIS_STORE_MONPORT=str(free_port()), DEIS_STORE_GATEWAYPORT=str(free_port()))
    log = root / "store.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([str(SCRIPTS / "deis-store")], env=environ, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        url = wait_until(lambda: process.poll() is None and etcd.get(keys.component("store", "url")), 90,
                         what=f"deis-store announcing Ceph (log: {log})")
        assert etcd.get(keys.store_gateway("port")) == environ["DEIS_STORE_GATEWAYPORT"]
        assert etcd.get(keys.store_cluster("fsid")) and etcd.get(keys.store_gateway("secretKey"))
        os.environ["DEIS_ETCD"], saved = etcd_endpoint, os.environ.get("DEIS_ETCD")
        try:
            store = open_store(url)  # credentials from etcd, as any platform client finds them
            store.put("hello", b"world")
            assert store.get("hello") == b"world"
            store.close()
        finally:
            os.environ.pop("DEIS_ETCD") if saved is None else os.environ.update(DEIS_ETCD=saved)
        health = wait_until(lambda: etcd.get(keys.store_health()), 30, what="health in etcd")
        assert health.startswith("HEALTH_")
        daemons = [p for p in psutil.Process(process.pid).children(recursive=True)]
        assert len(daemons) == 4
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        shutil.rmtree(root, ignore_errors=True)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in daemons)
