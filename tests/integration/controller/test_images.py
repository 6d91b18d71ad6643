"""Image hygiene through the controller (``deis pull``, ``deis destroy``) with a real registry and Docker.

Each release pulls an image of the platform's registry (built ``FROM`` the
local busybox base image with a file of its own, pushed like the builder
pushes); the controller keeps the images of the newest releases and deletes
older ones from the registry and the engine, and all of them on destroy.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import tarfile
import threading
import uuid

import docker
import pytest

from controller.app import create_app
from controller.scheduler import ImageUnavailable
from controller.scheduler.docker import DockerScheduler
from controller.settings import SETTINGS
from deis import keys
from tests.integration.controller.conftest import PLATFORM_DOMAIN, _empty_tables, register
from tests.registries import blob_paths, push
from tests.services import RegistryProcess, wait_until

WEB = "exec httpd -f -p $PORT -h /tmp"
KEEP = 2


@pytest.fixture
def registry(etcd, etcd_endpoint, redis_port, tmp_path):
    """The conftest's registry, collecting only after 3 s idle: a push or a read of this module's steps never
    meets a collection (the registry stops serving while it collects; CI: a read right after the fourth
    deploy found it collecting, with 0.5 s)."""
    process = RegistryProcess(etcd_endpoint, tmp_path, redis_port, gcIdle="3").start()
    yield process
    process.stop()


@pytest.fixture
def app(database_url, etcd_endpoint, registry, docker_client, monkeypatch):
    """The controller with real etcd and Docker, keeping the images of the last two releases."""
    monkeypatch.setenv(SETTINGS.env_name("imageRetention"), str(KEEP))
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
    assert [on_engine(docker_client, name) for name in names] == [False, False, True, True]
    # The registry collects the deleted images' blobs once idle, then clears the request.
    wait_until(lambda: etcd.get(keys.registry_gc_request()) is None, 30, what="garbage collection")
    wait_until(registry.client().ping, 10, what="registry answering after collecting")
    assert registry.client().tags(app_id) == ["git-00000003", "git-00000004"]
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


# deis pull: registry images are private to their app, and the engine fetches nothing from the platform
CANARY = "CANARY-loopback-service-91c2"


@pytest.fixture
def mallory(app, owner):
    """A second, ordinary user (the owner registered first and is the admin)."""
    return register(app.test_client(), "mallory")


@pytest.fixture
def loopback_service():
    """A loopback-only service answering as a registry refusing access, with a canary in its message.

    Yields its ``host:port``. The engine quotes such registry errors in its own
    error (``denied: <message>``), which is how a body reached the API before.
    """

    class Canary(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server hook's name
            body = json.dumps({"errors": [{"code": "DENIED", "message": CANARY}]}).encode()
            self.send_response(200 if self.path == "/v2/" else 403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def mallorys_app(mallory, docker_client):
    name = f"m{uuid.uuid4().hex[:10]}"
    assert mallory.post("/v1/apps/", json={"id": name}).status_code == 201
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={name}"}):
        container.remove(force=True)


def test_deis_pull_of_another_apps_registry_image_is_refused(owner, mallory, mallorys_app, docker_client,
                                                             base_image, registry, app_id):
    theirs = deploy(owner, docker_client, base_image, registry, app_id, "git-0000000a")
    response = mallory.post(f"/v1/apps/{mallorys_app}/builds/", json={"image": theirs, "procfile": {"web": WEB}})
    assert response.status_code == 400, response.get_json()
    assert response.get_json() == {"detail": f"Image {theirs!r} is app {app_id!r}'s build in the platform "
                                             f"registry; an app may use only its own images "
                                             f"({registry.address}/{mallorys_app}:<tag>)"}
    assert mallory.get(f"/v1/apps/{mallorys_app}/builds/").get_json()["count"] == 0


def test_deis_pull_of_another_apps_registry_image_is_allowed_for_an_admin(owner, docker_client, base_image,
                                                                          registry, app_id):
    theirs = deploy(owner, docker_client, base_image, registry, app_id, "git-0000000b")
    other = f"t{uuid.uuid4().hex[:10]}"
    assert owner.post("/v1/apps/", json={"id": other}).status_code == 201
    try:
        response = owner.post(f"/v1/apps/{other}/builds/", json={"image": theirs, "procfile": {"web": WEB}})
        assert response.status_code == 201, response.get_json()
    finally:
        for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={other}"}):
            container.remove(force=True)


@pytest.mark.parametrize(("registry_of", "reason"), [
    (lambda service: service, "is a loopback address"),
    (lambda service: "localhost:" + service.rpartition(":")[2], "names this machine"),
    (lambda service: "169.254.169.254", "is a link-local address"),
    (lambda service: "[::]:" + service.rpartition(":")[2], "is an unspecified address"),
])
def test_deis_pull_from_a_loopback_or_link_local_registry_is_refused(mallory, mallorys_app, loopback_service,
                                                                     registry_of, reason):
    image = f"{registry_of(loopback_service)}/x:latest"
    response = mallory.post(f"/v1/apps/{mallorys_app}/builds/", json={"image": image})
    assert response.status_code == 400, response.get_json()
    detail = response.get_json()["detail"]
    assert CANARY not in detail
    assert detail.startswith(f"Image {image!r} is refused: its registry") and reason in detail


def test_deis_pull_from_a_platform_service_address_is_refused(mallory, mallorys_app, etcd):
    etcd.put(keys.host("store"), "192.0.2.10")  # a component announced on another host of the cluster
    response = mallory.post(f"/v1/apps/{mallorys_app}/builds/", json={"image": "192.0.2.10:7480/x"})
    assert response.status_code == 400
    assert "is the address of a platform service" in response.get_json()["detail"]


def test_a_failed_pull_never_echoes_the_remote_answer(loopback_service):
    """The engine quotes what a registry answered; the controller says only the status class."""
    with pytest.raises(ImageUnavailable) as caught:
        DockerScheduler().ensure_image(f"{loopback_service}/x:latest")
    message = str(caught.value)
    assert CANARY not in message
    assert message.startswith(f"Image '{loopback_service}/x:latest' is not on this host and could not be pulled "
                              "(the engine answered HTTP ")


def test_deis_pull_of_another_apps_local_build_is_refused(mallory, mallorys_app, docker_client, base_image, app_id):
    """Without a registry the builder leaves ``<app>:git-<sha8>`` on the engine: still the app's own."""
    local = f"{app_id}:git-0000000c"
    docker_client.images.get(base_image).tag(local)
    try:
        response = mallory.post(f"/v1/apps/{mallorys_app}/builds/", json={"image": local, "procfile": {"web": WEB}})
    finally:
        docker_client.images.remove(local)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["detail"] == (f"Image {local!r} is another app's build on this host; "
                                             "an app may use only its own builds")
