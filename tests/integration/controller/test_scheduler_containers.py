"""What the docker scheduler's app containers are like on a real engine (issue 12, item 11)."""

import uuid

import pytest

from controller.scheduler.base import ContainerSpec
from controller.scheduler.docker import DockerScheduler
from tests import services

UNPRIVILEGED_IMAGE = "deis-test/busybox:uid65534"


@pytest.fixture
def unprivileged_image(docker_client):
    """The test busybox with ``USER 65534:65534``, as an image that drops root says."""
    repository, tag = UNPRIVILEGED_IMAGE.split(":")
    docker_client.api.import_image_from_data(services.busybox_tarball(), repository=repository, tag=tag,
                                             changes=["ENV PATH=/bin", "USER 65534:65534", 'CMD ["sh"]'])
    return UNPRIVILEGED_IMAGE


def spec(image, command):
    return ContainerSpec(name=f"usr{uuid.uuid4().hex[:8]}_v1.run.1", image=image, command=command,
                         labels={"deis.test": "scheduler"}, restart=False)


def test_app_containers_run_as_their_images_user(unprivileged_image, base_image):
    scheduler = DockerScheduler()
    assert scheduler.run(spec(unprivileged_image, ["busybox", "id", "-u"]), 30) == (0, "65534\n")
    # An image without USER runs as root, as in v1 (buildpack app images have none yet).
    assert scheduler.run(spec(base_image, ["busybox", "id", "-u"]), 30) == (0, "0\n")


def test_app_container_logs_are_capped_and_still_readable_through_the_api(base_image, docker_client):
    scheduler = DockerScheduler()
    container = spec(base_image, ["sh", "-c", "echo first; echo second >&2"])
    scheduler.create(container)
    try:
        attrs = docker_client.api.inspect_container(container.name)
        assert attrs["HostConfig"]["LogConfig"] == {"Type": "json-file",
                                                    "Config": {"max-size": "10m", "max-file": "3"}}
        scheduler.start(container.name)
        docker_client.api.wait(container.name, timeout=30)
        # logspout follows containers through this same API call, never the files.
        assert sorted(docker_client.api.logs(container.name, stdout=True, stderr=True).split()) == [b"first", b"second"]
    finally:
        scheduler.destroy(container.name)
