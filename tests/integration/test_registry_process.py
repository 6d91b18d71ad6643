"""``deis-registry`` as deisctl runs it, against real etcd, Redis and docker-registry.

Also the harness other registry tests use: :func:`running_redis` and
:class:`RegistryProcess` (a ``deis-registry`` subprocess on free ports with
its data in a temporary directory).
"""

from __future__ import annotations

import signal
import stat
import subprocess
import time

import psutil
import requests

from deis import keys
from tests.services import SCRIPTS, RegistryProcess, wait_until


def test_registry_answers_and_announces_itself(registry, etcd):
    assert etcd.get(keys.host("registry")) == "127.0.0.1"
    assert requests.get(f"http://{registry.address}/v2/", timeout=5).status_code == 200
    config = registry.data_dir / "run" / "registry.yml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f'rootdirectory: "{registry.data_dir / "registry"}"' in config.read_text()


def test_registry_child_does_not_see_aws_ca_bundle(etcd, etcd_endpoint, redis_port, tmp_path):
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port)
    process.environ["AWS_CA_BUNDLE"] = "/nonexistent/bundle.pem"
    process.start()
    try:
        assert "AWS_CA_BUNDLE" not in process.child().environ()
    finally:
        process.stop()


def test_registry_restarts_a_child_that_dies(registry):
    first = registry.child()
    first.send_signal(signal.SIGKILL)
    wait_until(lambda: registry.child().pid != first.pid and registry.client().ping(), 15,
               what="a new docker-registry answering")


def test_registry_sigterm_stops_child_and_withdraws_announcement(registry, etcd):
    child = registry.child()
    assert registry.stop() == 0
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert etcd.get(keys.port("registry")) is None
    assert not registry.client().ping()


def test_registry_refuses_to_start_on_s3_without_a_bucket(etcd, etcd_endpoint, redis_port, tmp_path):
    etcd.put(keys.component("store", "backend"), "s3")
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port)
    with open(process.log, "ab") as log:
        result = subprocess.run([str(SCRIPTS / "deis-registry")], env=process.environ, stdout=log,
                                stderr=subprocess.STDOUT, timeout=30)
    assert result.returncode == 1
    assert "deisctl config registry set bucketName=" in process.log.read_text()


def test_a_cluster_registry_names_images_after_loopback_and_never_collects(etcd, etcd_endpoint, redis_port, tmp_path):
    """On a cluster every node runs one on the shared store: a collection would delete another's push."""
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port, host="192.0.2.10", imageHost="127.0.0.1",
                              collect="false", gcIdle="0.2").start()
    try:
        assert etcd.get(keys.host("registry")) == "127.0.0.1"
        assert etcd.get(keys.instance("registry", f"192.0.2.10:{process.port}")) == f"192.0.2.10:{process.port}"
        etcd.put(keys.registry_gc_request(), "test")
        time.sleep(3)  # idle far longer than gcIdle: a collecting registry would have served the request
        assert etcd.get(keys.registry_gc_request()) == "test"
        assert "garbage collection off" in process.log.read_text()
        assert "garbage collection:" not in process.log.read_text()
    finally:
        process.stop()
