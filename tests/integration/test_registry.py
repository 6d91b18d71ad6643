"""Docker and the registry: push, pull, restart, garbage collection — all real.

A real Docker engine pushes to and pulls from a ``deis-registry`` on a free
loopback port (Docker allows plain HTTP to 127.0.0.0/8), with a throwaway
Redis as its cache. Every image made here has a unique name and is removed.
"""

from __future__ import annotations

import time

from deis import keys
from tests.registries import LAYER_BYTES, blob_paths, layer_image, pull_digest, push, timed, unique_repository
from tests.services import wait_until

pytest_plugins = ["tests.registries"]  # the images and bucket fixtures


def test_docker_push_and_pull_of_the_base_image_have_matching_digests(registry, docker_client, base_image, images):
    name = f"{unique_repository(registry)}:v1"
    docker_client.images.get(base_image).tag(name)
    images.append(name)
    pushed = push(docker_client, name)
    repository, tag = name.rsplit("/", 1)[1].split(":")
    assert registry.client().digest(repository, tag) == pushed
    docker_client.images.remove(name)
    assert pull_digest(docker_client, name) == pushed


def test_docker_push_and_pull_download_every_blob(registry, docker_client, images):
    name = layer_image(docker_client, f"{unique_repository(registry)}:git-0123abcd", LAYER_BYTES)
    images.append(name)
    pushed, push_seconds = timed(push, docker_client, name)
    docker_client.images.remove(name)
    pulled, pull_seconds = timed(pull_digest, docker_client, name)
    assert pulled == pushed
    print(f"\n16 MiB layer: docker push {push_seconds:.2f} s, docker pull {pull_seconds:.2f} s")


def test_registry_restart_keeps_images(registry, docker_client, images):
    name = layer_image(docker_client, f"{unique_repository(registry)}:v1")
    images.append(name)
    pushed = push(docker_client, name)
    registry.stop()
    registry.start()
    repository = name.rsplit("/", 1)[1].split(":")[0]
    assert registry.client().tags(repository) == ["v1"]
    docker_client.images.remove(name)
    assert pull_digest(docker_client, name) == pushed


def test_garbage_collection_frees_deleted_images_and_a_later_push_of_them_works(
        registry, docker_client, etcd, images):
    repository = unique_repository(registry)
    old, kept = (layer_image(docker_client, f"{repository}:{tag}") for tag in ("v1", "v2"))
    images.extend([old, kept, f"{repository}:v3"])
    old_digest, kept_digest = push(docker_client, old), push(docker_client, kept)
    before = blob_paths(registry)
    app = repository.rsplit("/", 1)[1]
    assert registry.client().delete_manifest(app, old_digest)
    etcd.put(keys.registry_gc_request(), "test")
    started = time.monotonic()
    wait_until(lambda: etcd.get(keys.registry_gc_request()) is None, 30, what="garbage collection")
    wait_until(registry.client().ping, 10, what="registry answering after collecting")
    print(f"\ngarbage collection cycle (stop, collect, start): {time.monotonic() - started:.2f} s")
    after = blob_paths(registry)
    assert len(before) - len(after) == 3  # the old image's manifest, config and layer
    assert old_digest.split(":")[1] not in after and kept_digest.split(":")[1] in after
    assert registry.client().tags(app) == ["v2"]
    # The cache was emptied: pushing the collected layer again uploads it instead of trusting the cache.
    docker_client.images.get(old).tag(f"{repository}:v3")
    assert push(docker_client, f"{repository}:v3") == old_digest
    for name in (old, f"{repository}:v3", kept):
        docker_client.images.remove(name)
    assert pull_digest(docker_client, f"{repository}:v3") == old_digest
    assert pull_digest(docker_client, kept) == kept_digest
