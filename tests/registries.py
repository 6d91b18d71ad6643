"""Registry test helpers: the ``images`` and ``bucket`` fixtures, unique repositories, one-layer images, push and pull.

Shared by the registry tests (``tests/integration/test_registry*.py``) and the
controller's image-hygiene tests, so none of them imports another test module.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import time
import uuid

import docker
import pytest

#: Size of the random layer of the timed images (enough to measure, cheap to make).
LAYER_BYTES = 16 << 20


def unique_repository(registry) -> str:
    return f"{registry.address}/t{uuid.uuid4().hex[:10]}"


def layer_image(docker_client, name: str, size: int = 4096) -> str:
    """Import a one-layer image holding ``size`` random bytes (a layer nobody else has)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("data.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    repository, tag = name.rsplit(":", 1)
    docker_client.api.import_image_from_data(buffer.getvalue(), repository=repository, tag=tag)
    return name


def push(docker_client, name: str) -> str:
    """``docker push name``; return the manifest digest Docker reports."""
    repository, tag = name.rsplit(":", 1)
    digest = None
    for line in docker_client.images.push(repository, tag=tag, stream=True, decode=True):
        assert "error" not in line, line
        digest = (line.get("aux") or {}).get("Digest", digest)
    assert digest, f"docker push {name} reported no digest"
    return digest


def pull_digest(docker_client, name: str) -> str:
    """``docker pull name``; return the digest the engine recorded for it."""
    repository, tag = name.rsplit(":", 1)
    image = docker_client.images.pull(repository, tag=tag)
    return next(d.split("@", 1)[1] for d in image.attrs["RepoDigests"] if d.startswith(f"{repository}@"))


def timed(call, *args):
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


def blob_paths(registry) -> set[str]:
    root = registry.data_dir / "registry" / "docker" / "registry" / "v2" / "blobs"
    return {path.parent.name for path in root.rglob("data")}


@pytest.fixture
def images(docker_client):
    """A list of image names the test made; each is removed afterwards."""
    made: list[str] = []
    yield made
    for name in made:
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            docker_client.images.remove(name, force=True)


@pytest.fixture
def bucket(ceph):
    """A fresh, empty bucket on the gateway; emptied and deleted afterwards."""
    name = f"deis-test-{uuid.uuid4().hex[:10]}"
    store = ceph.s3_store(name)
    yield name
    remove_bucket(store)


def remove_bucket(store) -> None:
    """Delete every object of the store's bucket (Distribution's keys, even those ``check_key`` refuses), then it."""
    client = store._client
    for info in store.list(""):
        client.delete_object(Bucket=store.bucket, Key=info.key)
    client.delete_bucket(Bucket=store.bucket)
    store.close()
