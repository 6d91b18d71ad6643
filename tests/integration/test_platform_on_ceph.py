"""A platform configured with ``backend=ceph`` keeps its logs, database backups and images in Ceph.

deisctl runs etcd, Redis, the store (which brings up mon, mgr, OSD and
radosgw), the logger, the database and the registry from a fresh data
directory on free ports, as an operator would after
``deisctl config store set backend=ceph``; nothing is pointed at Ceph by
hand: every component finds the store where deis-store announces it.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest
import requests

from deis import keys, syslog
from store import open_store
from tests.platform import isolated_platform
from tests.services import free_port, wait_until

COMPONENTS = ("etcd", "redis", "store", "logger", "database", "registry")


@pytest.fixture
def platform():
    with isolated_platform("deis-ceph-platform-", DEIS_STORE_MONPORT=str(free_port()),
                           DEIS_STORE_GATEWAYPORT=str(free_port()), DEIS_DATABASE_ARCHIVETIMEOUT="5") as ctl:
        yield ctl


def keys_under(store, prefix: str) -> list[str]:
    return [info.key for info in store.list(prefix)]


def test_logs_backups_and_images_land_in_ceph(platform, docker_client, base_image):
    platform("install", *COMPONENTS)
    platform("config", "store", "set", "backend=ceph")
    platform("start", *COMPONENTS)
    etcd = platform.etcd
    url = etcd.get(keys.component("store", "url"))
    assert url.startswith("s3://") and etcd.get(keys.component("store", "backend")) == "ceph"
    os.environ["DEIS_ETCD"], saved = platform.environ["DEIS_ETCD"], os.environ.get("DEIS_ETCD")
    try:
        store = open_store(url)  # credentials from etcd, as every component finds them
    finally:
        os.environ.pop("DEIS_ETCD") if saved is None else os.environ.update(DEIS_ETCD=saved)

    # The database: its first base backup and archived WAL.
    wait_until(lambda: keys_under(store, "database/base/"), 90, what="a base backup in Ceph")
    wait_until(lambda: keys_under(store, "database/wal/"), 60, what="archived WAL in Ceph")

    # The logger: lines sent over syslog are stored as segments in the RADOS pool and read back.
    app = f"ceph{uuid.uuid4().hex[:6]}"
    frames = b"".join(syslog.frame(syslog.Message(app, "web.1", f"line {n}")) for n in range(100))
    with socket.create_connection(("127.0.0.1", int(platform.environ["DEIS_LOGGER_PORT"]))) as connection:
        connection.sendall(frames)
        logs = f"http://127.0.0.1:{platform.environ['DEIS_LOGGER_HTTPPORT']}/{app}"
        wait_until(lambda: requests.get(logs, params={"log_lines": 1000}, timeout=10).text.count("\n") == 100, 30,
                   what="100 lines read back from the logger")
    append_url = etcd.get(keys.component("store", "appendUrl"))
    assert append_url.startswith("rados://"), "logs go where appends are native, not through S3"
    assert keys_under(open_store(append_url), f"logs/{app}/")
    assert not keys_under(store, "logs/")

    # The registry: a pushed image's blobs are objects in the bucket, not files on this host.
    name = f"127.0.0.1:{platform.environ['DEIS_REGISTRY_PORT']}/{app}:v1"
    docker_client.images.get(base_image).tag(name)
    try:
        for line in docker_client.images.push(name.rsplit(":", 1)[0], tag="v1", stream=True, decode=True):
            assert "error" not in line, line
        assert any("/blobs/" in key for key in keys_under(store, "registry/"))
        assert not (platform.root / "registry" / "docker").exists()
    finally:
        docker_client.images.remove(name, force=True)

    status = wait_until(lambda: "ceph: HEALTH_" in (text := platform("status").stdout) and text, 30,
                        what="Ceph's health in deisctl status")
    assert "WAL archived" in status
    platform("stop", "platform")
    assert platform.supervised_pids() == []
    store.close()
