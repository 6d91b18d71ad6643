"""The registry on Ceph: blobs in a radosgw bucket, and pushes that survive the OSD's death.

A real ``deis-registry`` with ``storeBackend=ceph`` keeps its blobs through
Distribution's S3 driver in a fresh bucket of the session's Ceph (one mon,
one mgr, one OSD, radosgw). The second test is the CI variant of
reliability-plan T12: three concurrent ``docker push`` while the only OSD is
``kill -9``-ed and started again. With one OSD, radosgw (and so the registry)
blocks until the OSD is back; what must hold is that every push ends within a
bound, either pushed or failing loudly, that failures succeed on retry, and that
every image pulls back byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import docker
import pytest
import requests

from deisctl import infrastructure as infra
from tests.registries import LAYER_BYTES, layer_image, pull_digest, push, timed, unique_repository
from tests.services import RegistryProcess, wait_until

pytest_plugins = ["tests.registries"]  # the images and bucket fixtures

#: Where Distribution keeps blobs under ``s3RootDirectory`` (``/registry``).
BLOBS = "registry/docker/registry/v2/blobs/"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
#: T12, scaled down for CI: three concurrent pushes of a 20 MiB random layer each.
PUSHES = 3
FAULT_LAYER_BYTES = 20 << 20
#: How long the OSD stays dead while the pushes wait on it.
OUTAGE_SECONDS = 3.0
#: No push may take longer than this, outage included: past it, it hung.
PUSH_BOUND = 60.0
#: OSD back and the cluster clean within this after it is started again (plan: ≤ 60 s).
REVIVE_BOUND = 60.0
#: Health checks that say nothing about the OSD: the host's disk is under 30 % free
#: (the monitor's warning, seen on this machine), and pools of size 1.
HEALTH_NOISE = frozenset({"MON_DISK_LOW", "POOL_NO_REDUNDANCY"})




@pytest.fixture
def ceph_registry(etcd, etcd_endpoint, redis_port, tmp_path, ceph, bucket):
    """A started ``deis-registry`` whose storage is ``bucket`` on Ceph's S3 gateway."""
    identity = ceph.cluster.identity
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port, storeBackend="ceph",
                              storeUrl=ceph.s3_url(bucket), s3AccessKey=identity.access_key,
                              s3SecretKey=identity.secret_key).start()
    yield process
    process.stop()


def manifest(registry, name: str) -> dict:
    """The schema 2 manifest ``name`` points to, fetched from the registry."""
    repository, tag = name.rsplit("/", 1)[1].rsplit(":", 1)
    response = requests.get(f"http://{registry.address}/v2/{repository}/manifests/{tag}",
                            headers={"Accept": MANIFEST_V2}, timeout=10)
    response.raise_for_status()
    return response.json()


def blobs_of(document: dict) -> dict[str, int]:
    """``{digest: size}`` of a manifest's config and layers."""
    return {blob["digest"]: blob["size"] for blob in [document["config"], *document["layers"]]}


def stored_blobs(ceph, bucket: str) -> dict[str, int]:
    """``{digest: size}`` of the blobs in the bucket (``…/blobs/sha256/ab/<hex>/data``)."""
    store = ceph.s3_store(bucket)
    try:
        listed = store.list(BLOBS)
    finally:
        store.close()
    found = {}
    for info in listed:
        parts = info.key.split("/")
        if parts[-1] == "data":
            found[f"{parts[-4]}:{parts[-2]}"] = info.size
    return found


def local_files(registry) -> list[str]:
    """Files in the registry's folder storage, where its blobs would be without S3."""
    folder = registry.data_dir / "registry"
    return [str(path) for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_push_and_pull_keep_every_blob_in_the_ceph_bucket(ceph_registry, ceph, bucket, docker_client, images):
    name = layer_image(docker_client, f"{unique_repository(ceph_registry)}:v1", LAYER_BYTES)
    images.append(name)
    local = docker_client.images.get(name)
    pushed, push_seconds = timed(push, docker_client, name)
    document = manifest(ceph_registry, name)
    assert document["config"]["digest"] == local.id
    in_bucket = stored_blobs(ceph, bucket)
    for digest, size in blobs_of(document).items():
        assert in_bucket.get(digest) == size, f"blob {digest} ({size} bytes) is not in bucket {bucket}"
    assert pushed in in_bucket  # the manifest is a blob too
    assert local_files(ceph_registry) == []
    docker_client.images.remove(name)
    pulled, pull_seconds = timed(pull_digest, docker_client, name)
    assert pulled == pushed
    assert docker_client.images.get(name).id == local.id
    print(f"\nregistry on Ceph, {LAYER_BYTES >> 20} MiB layer: docker push {push_seconds:.2f} s, "
          f"docker pull {pull_seconds:.2f} s; {len(in_bucket)} blobs in bucket {bucket}")


# -- T12: kill -9 the OSD under three concurrent pushes ---------------------------------------------------------------

@dataclass
class Push:
    """One ``docker push`` in its own thread, with its own engine connection, classified when it ends."""

    name: str
    digest: str | None = None
    error: str | None = None
    seconds: float = 0.0
    uploading: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=f"push {self.name}", daemon=True)
        thread.start()
        return thread

    @property
    def outcome(self) -> str:
        if not self.done.is_set():
            return "running"
        return "pushed" if self.digest else f"failed: {self.error}"

    def _run(self) -> None:
        started = time.monotonic()
        client = docker.DockerClient(base_url=infra.docker_host(os.environ), timeout=PUSH_BOUND)
        repository, tag = self.name.rsplit(":", 1)
        try:
            for line in client.api.push(repository, tag=tag, stream=True, decode=True):
                if "error" in line:
                    self.error = line["error"]
                    break
                if line.get("status") == "Pushing" and (line.get("progressDetail") or {}).get("current"):
                    self.uploading.set()
                self.digest = (line.get("aux") or {}).get("Digest", self.digest)
            if self.error is None and self.digest is None:
                self.error = "the push stream ended without a digest"
        except (docker.errors.DockerException, requests.RequestException) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            client.close()
            self.seconds = time.monotonic() - started
            if self.error:
                self.digest = None
            self.done.set()


def osd_killed(cluster) -> None:
    process = cluster.processes["osd"]
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def clean_health(cluster, seen: list[str]) -> str | None:
    """``ceph health`` once every PG is active+clean and no check but noise is raised, else ``None``.

    What was seen last is kept in ``seen`` for the failure message.
    """
    health = cluster.health()
    pgs = json.loads(cluster.ceph("pg", "stat", "-f", "json", timeout=15))["pg_summary"]
    states = {state["name"]: state["num"] for state in pgs["num_pg_by_state"]}
    seen[:] = [f"{health}; PGs {states}"]
    status, *checks = health.split()
    if status == "HEALTH_ERR" or set(checks) - HEALTH_NOISE:
        return None
    return health if states and states.get("active+clean") == pgs.get("num_pgs") else None


def revive(ceph, probe_bucket: str) -> tuple[float, str]:
    """Start the dead OSD again; return seconds until it serves and the cluster is clean, and the health."""
    started = time.monotonic()
    restarted = ceph.cluster.restart_dead()
    assert restarted == ["osd"], f"daemons found dead: {restarted} (only the OSD was killed)"
    ceph.cluster.wait_for_osd(REVIVE_BOUND)
    seen: list[str] = []
    try:
        health = wait_until(lambda: clean_health(ceph.cluster, seen), REVIVE_BOUND, interval=0.5,
                            what="every PG active+clean and HEALTH_OK (noise aside)")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; last seen: {seen}") from None
    store = ceph.s3_store(probe_bucket)  # and the gateway writes and reads again
    try:
        store.put("t12-probe", b"back")
        assert store.get("t12-probe") == b"back"
        store.delete("t12-probe")
    finally:
        store.close()
    return time.monotonic() - started, health


def served_blob_digests(registry, name: str) -> dict[str, str]:
    """Fetch every blob of ``name`` from the registry; return ``{claimed digest: sha256 of what came}``."""
    repository = name.rsplit("/", 1)[1].rsplit(":", 1)[0]
    found = {}
    for digest, size in blobs_of(manifest(registry, name)).items():
        body = requests.get(f"http://{registry.address}/v2/{repository}/blobs/{digest}", timeout=60).content
        assert len(body) == size, f"{name}: blob {digest} served {len(body)} of {size} bytes"
        found[digest] = f"sha256:{hashlib.sha256(body).hexdigest()}"
    return found


def test_pushes_survive_a_killed_osd_and_every_image_pulls_back_whole(ceph_registry, ceph, bucket, docker_client,
                                                                       images):
    started = time.monotonic()
    repository = unique_repository(ceph_registry)
    names = [layer_image(docker_client, f"{repository}-{n}:v1", FAULT_LAYER_BYTES) for n in range(PUSHES)]
    images.extend(names)
    local = {name: docker_client.images.get(name).attrs for name in names}
    pushes = [Push(name) for name in names]
    try:
        threads = [one.start() for one in pushes]
        wait_until(lambda: all(p.uploading.is_set() or p.done.is_set() for p in pushes), 30,
                   what="every push uploading")
        osd_killed(ceph.cluster)
        killed_at = time.monotonic()
        in_flight = [p.name for p in pushes if not p.done.is_set()]
        time.sleep(OUTAGE_SECONDS)
        during_outage = {p.name: p.outcome for p in pushes}
        revive_seconds, health = revive(ceph, bucket)
    finally:
        if ceph.cluster.restart_dead():  # never leave the session's Ceph without its OSD
            ceph.cluster.wait_for_osd()
    for thread in threads:
        thread.join(max(0.0, killed_at + PUSH_BOUND - time.monotonic()))
    outcomes = {p.name: (p.outcome, round(p.seconds, 2)) for p in pushes}
    print(f"\nT12: OSD killed with {len(in_flight)}/{PUSHES} pushes in flight; outage {OUTAGE_SECONDS:.0f} s; "
          f"after restart the OSD served and the cluster was clean in {revive_seconds:.1f} s ({health})"
          f"\nT12: at restart: {during_outage}\nT12: push outcomes (outcome, seconds): {outcomes}")
    assert in_flight, "every push finished before the OSD died: nothing was tested"
    hung = [p.name for p in pushes if not p.done.is_set()]
    assert not hung, f"pushes still running {PUSH_BOUND:.0f} s after the kill (hung): {hung}"
    assert revive_seconds <= REVIVE_BOUND

    retried = {}
    for one in pushes:
        if one.error:
            one.digest, retried[one.name] = timed(push, docker_client, one.name)
    print(f"T12: retried {len(retried)} failed pushes: {retried}")
    client = ceph_registry.client()
    for one in pushes:
        repository_name, tag = one.name.rsplit("/", 1)[1].rsplit(":", 1)
        assert client.digest(repository_name, tag) == one.digest, f"{one.name}: registry's tag differs"

    for name in names:
        docker_client.images.remove(name)
    pulls, expected = {}, {}
    for one in pushes:
        pulled, pulls[one.name] = timed(pull_digest, docker_client, one.name)
        assert pulled == one.digest, f"{one.name}: pulled {pulled}, pushed {one.digest}"
        image = docker_client.images.get(one.name).attrs
        assert image["Id"] == local[one.name]["Id"]
        assert image["RootFS"]["Layers"] == local[one.name]["RootFS"]["Layers"]
        served = served_blob_digests(ceph_registry, one.name)
        assert all(claimed == actual for claimed, actual in served.items()), f"{one.name}: half-written blob {served}"
        expected.update(blobs_of(manifest(ceph_registry, one.name)))
        expected[one.digest] = None  # the manifest is a blob too
    in_bucket = stored_blobs(ceph, bucket)
    assert set(in_bucket) == set(expected), "the bucket's blobs are not exactly the pushed images' blobs"
    assert all(in_bucket[digest] == size for digest, size in expected.items() if size is not None)
    print(f"T12: pulls (seconds): { {n: round(s, 2) for n, s in pulls.items()} }; "
          f"whole test {time.monotonic() - started:.1f} s")
