"""The docker scheduler's containers stop on SIGTERM even when the app is the main process."""

import time
import uuid

from controller.scheduler.base import ContainerSpec
from controller.scheduler.docker import DockerScheduler


def test_an_app_that_is_the_main_process_stops_on_sigterm_not_after_the_grace(docker_client, base_image):
    """busybox httpd as PID 1 ignores SIGTERM; with the init forwarding it, stop takes well under the grace."""
    name = f"sig{uuid.uuid4().hex[:8]}_v1.web.1"
    spec = ContainerSpec(name=name, image=base_image, command=["httpd", "-f", "-p", "5000", "-h", "/tmp"],
                         labels={"deis.test": "signals"}, port=5000)
    scheduler = DockerScheduler()
    scheduler.create(spec)
    try:
        scheduler.start(name)
        time.sleep(0.5)
        started = time.monotonic()
        scheduler.stop(name, 30)
        assert time.monotonic() - started < 5
    finally:
        scheduler.destroy(name)
