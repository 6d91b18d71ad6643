"""# deisctl stop platform / deisctl start platform, with an app running.

App containers outlive the platform, as in Deis v1: ``stop platform`` stops the
platform's own processes and leaves the Docker engine (and so every app
container) running; ``start platform`` finds them again. The app is deployed
the user's way (``deis pull``) on the platform as deisctl runs it, and a load
loop asks it at its own container address — never through the router, which
stops with the platform — for the whole stop and start. Where deisctl runs the
engine itself, ``deisctl restart docker`` is tried too: dockerd's
``--live-restore`` keeps the container through the engine's own restart.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import docker
import psutil
import pytest
import requests

from deisctl import infrastructure as infra
from tests import services
from tests.person import Person
from tests.platform import DOMAIN, Platform, isolated_platform
from tests.services import wait_until

#: busybox httpd on $PORT; the shell stays PID 1 and exits on SIGTERM (no 30 s grace at destroy).
WEB_COMMAND = "trap 'exit 0' TERM; echo \"$DEIS_RELEASE\" > /tmp/index.html; httpd -f -p $PORT -h /tmp & wait"
#: Requests per second at the container's address (loopback bridge: this host only).
RATE = 20


@dataclass
class Probe:
    """GET the app at ``url`` RATE times a second, each on a new connection; record every outcome."""

    url: str
    #: ``(monotonic time, answered)`` of every request.
    results: list[tuple[float, bool]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        due = time.monotonic()
        while not self.done.is_set():
            due += 1 / RATE
            time.sleep(max(0.0, due - time.monotonic()))
            started = time.monotonic()
            try:
                answered = requests.get(self.url, timeout=2).status_code == 200
            except requests.RequestException:
                answered = False
            self.results.append((started, answered))

    def __enter__(self) -> Probe:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        self.thread.join(5)

    def between(self, begin: float, end: float) -> tuple[int, int]:
        """``(answered, failed)`` among the requests started in ``[begin, end]``."""
        window = [answered for started, answered in self.results if begin <= started <= end]
        return sum(window), len(window) - sum(window)


@pytest.fixture
def ctl():
    with isolated_platform("deis-outlive-") as ctl:
        yield ctl


def _state(container) -> tuple[str, str, int]:
    container.reload()
    state = container.attrs["State"]
    return state["Status"], state["StartedAt"], state["Pid"]


def _address(container) -> str:
    """``http://<container ip>:<PORT>/``: the app's own address, on a bridge of this host."""
    port = next(v.split("=", 1)[1] for v in container.attrs["Config"]["Env"] if v.startswith("PORT="))
    ip = next(n["IPAddress"] for n in container.attrs["NetworkSettings"]["Networks"].values() if n["IPAddress"])
    return f"http://{ip}:{port}/"


def test_app_container_keeps_running_and_answering_across_stop_and_start_platform(ctl, tmp_path):
    docker_was_ours = not infra.docker_ready(ctl.environ)
    ctl("config", "platform", "set", f"domain={DOMAIN}")
    ctl("install", "platform")
    ctl("start", "platform")
    client = docker.DockerClient(base_url=infra.docker_host(ctl.environ), timeout=120)
    platform, app = Platform(ctl), f"outlive-{uuid.uuid4().hex[:6]}"
    person = Person("olive", tmp_path / "olive", platform)
    try:
        person.deis("register", platform.controller, "--username", "olive", "--password", "s3cret-olive",
                    "--email", "olive@example.com")
        person.deis("create", app, "--no-remote")
        person.deis("pull", services.ensure_base_image(client), "-a", app, "-p", f"web: {WEB_COMMAND}")
        wait_until(lambda: platform.get(app).status_code == 200, 30, what="the app routed")
        (container,) = client.containers.list(filters={"label": f"deis.app={app}"})
        before = _state(container)
        process = psutil.Process(before[2])
        born = process.create_time()

        with Probe(_address(container)) as probe:
            time.sleep(1)
            began = time.monotonic()
            stopped = ctl("stop", "platform")
            stopped_at = time.monotonic()
            if docker_was_ours:
                assert "docker: kept running with the apps; 'deisctl stop docker' stops it" in stopped.stdout
            assert ctl.status()["router"][0] == "stopped" and ctl.status()["controller"][0] == "stopped"
            time.sleep(3)  # the platform is down; the app is not
            assert _state(container) == before
            ctl("start", "platform")
            wait_until(lambda: platform.get(app).status_code == 200, 30, what="the app routed again")
            ended = time.monotonic()
            time.sleep(0.5)

        answered, failed = probe.between(began, ended)
        down_answered, down_failed = probe.between(stopped_at, stopped_at + 3)
        print(f"\n{app} at {probe.url} during 'deisctl stop platform' + 'start platform' ({ended - began:.1f} s): "
              f"{answered} answered, {failed} failed; while the platform was stopped: "
              f"{down_answered} answered, {down_failed} failed")
        assert _state(container) == before  # same container, same start, same process
        assert process.is_running() and process.create_time() == born
        assert failed == 0 and down_answered >= 2 * RATE

        if docker_was_ours:
            _restart_docker_keeps_the_container(ctl, container, before)
        else:
            print("deisctl restart docker: not tried; this host's engine is not deisctl's (status: external)")
    finally:
        person.deis("apps:destroy", "-a", app, f"--confirm={app}", check=False)
        for leftover in client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
            leftover.remove(force=True)
        client.close()


def _restart_docker_keeps_the_container(ctl, container, before) -> None:
    """``deisctl restart docker``: the container runs on (live-restore) and the engine adopts it again."""
    with Probe(_address(container)) as probe:
        time.sleep(0.5)
        began = time.monotonic()
        ctl("restart", "docker")
        ended = time.monotonic()
        time.sleep(0.5)
    answered, failed = probe.between(began, ended)
    print(f"{container.name} during 'deisctl restart docker' ({ended - began:.1f} s): "
          f"{answered} answered, {failed} failed")
    assert _state(container) == before
    assert failed == 0
