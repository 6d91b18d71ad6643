"""Image hygiene through the controller (``deis pull``, ``deis destroy``) with a real registry and Docker.

Each release pulls an image of the platform's registry (built ``FROM`` the
local busybox base image with a file of its own, pushed like the builder
pushes); the controller keeps the images of the newest releases and deletes
older ones from the registry and the engine, and all of them on destroy.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import uuid

import docker
import pytest

from controller.app import create_app
from controller.services import images as hygiene
from deis import keys
from tests.integration.controller.conftest import PLATFORM_DOMAIN, _empty_tables, register
from tests.integration.test_registry import blob_paths, push
from tests.services import wait_until

WEB = "exec httpd -f -p $PORT -h /tmp"
KEEP = 2


@pytest.fixture
def app(database_url, etcd_endpoint, registry, docker_client, monkeypatch):
    """The controller with real etcd and Docker, keeping the images of the last two releases."""
    monkeypatch.setenv(hygiene.RETENTION.env_name("imageRetention"), str(KEEP))
    settings = {"databaseUrl": database_url, "platformDomain": PLATFORM_DOMAIN,
                "stopGracePeriod": 1, "startTimeout": 10, "routerWaitTimeout": 2}
    application = create_app({"TESTING": True, "DEIS_ETCD": etcd_endpoint, "DEIS_SETTINGS": settings})
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


@pytest.fixture
def owner(app):
    return register(app.test_client(), "owner")


@pytest.fixture
def app_id(owner, docker_client, registry):
    """A new app; its containers and images are removed afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    assert owner.post("/v1/apps/", json={"id": name}).status_code == 201
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={name}"}):
        container.remove(force=True)
    for image in docker_client.images.list(name=f"{registry.address}/{name}"):
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(image.id, force=True)


def built(docker_client, base_image: str, name: str) -> str:
    """``docker build`` of ``FROM <base>`` plus a file naming the image (no RUN: nothing to start)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in (("Dockerfile", f"FROM {base_image}\nCOPY name /name\n".encode()),
                           ("name", name.encode())):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    docker_client.images.build(fileobj=buffer, custom_context=True, tag=name, rm=True)
    return name


def deploy(owner, docker_client, base_image, registry, app_id, tag) -> str:
    """Build and push ``<registry>/<app>:<tag>`` and ``deis pull`` it; return the image name."""
    name = built(docker_client, base_image, f"{registry.address}/{app_id}:{tag}")
    push(docker_client, name)
    response = owner.post(f"/v1/apps/{app_id}/builds/", json={"image": name, "procfile": {"web": WEB}})
    assert response.status_code == 201, response.get_json()
    return name


def on_engine(docker_client, name: str) -> bool:
    try:
        docker_client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_deis_pull_keeps_the_images_of_the_newest_releases(owner, docker_client, base_image, registry, app_id,
                                                            etcd):
    names = [deploy(owner, docker_client, base_image, registry, app_id, f"git-{n:08d}") for n in range(1, 5)]
    assert registry.client().tags(app_id) == ["git-00000003", "git-00000004"]
    assert [on_engine(docker_client, name) for name in names] == [False, False, True, True]
    # The registry collects the deleted images' blobs once idle, then clears the request.
    wait_until(lambda: etcd.get(keys.registry_gc_request()) is None, 30, what="garbage collection")
    wait_until(registry.client().ping, 10, what="registry answering after collecting")
    # A config change is a release with the same image: still two images kept.
    assert owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": "1"}}).status_code == 201
    assert registry.client().tags(app_id) == ["git-00000003", "git-00000004"]
    # Rolling back to a kept image pulls it again if the engine lost it.
    docker_client.images.remove(names[2])
    assert owner.post(f"/v1/apps/{app_id}/releases/rollback/", json={"version": 4}).status_code == 201


def test_deis_destroy_removes_the_apps_images(owner, docker_client, base_image, registry, app_id, etcd):
    names = [deploy(owner, docker_client, base_image, registry, app_id, f"v{n}") for n in (1, 2)]
    assert owner.delete(f"/v1/apps/{app_id}/").status_code == 204
    assert registry.client().tags(app_id) == []
    assert not any(on_engine(docker_client, name) for name in names)
    wait_until(lambda: etcd.get(keys.registry_gc_request()) is None, 30, what="garbage collection")
    assert blob_paths(registry) == set()  # nothing else was ever pushed to this registry
