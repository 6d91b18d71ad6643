"""The scheduler's reconcile loop, in ``deis-controller`` as deisctl starts it (issue 17).

Each test runs the real console script (gunicorn, its reconcile-loop child)
on real PostgreSQL, etcd and Docker, with a ``deis-logger`` so that
``deis logs`` shows the controller's ``<app>[deis-controller]`` lines. The
interval is set to 1 s through etcd, as ``deisctl config controller set
reconcileInterval=1`` would. An app is pulled (busybox ``httpd``) and scaled
to two ``web`` containers; one is then removed behind the platform's back.

What the loop did is read from the controller's journal: each pass of the
leading replica logs ``pass <n>`` (at DEBUG), each skipped app ``is being
changed right now``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import create_engine, text

from controller.db import engine_url
from controller.services.locks import NAMESPACE
from deis import keys
from tests.integration.controller.conftest import PLATFORM_DOMAIN, _empty_tables
from tests.services import SCRIPTS, LoggerProcess, free_port, wait_until

INTERVAL = 1.0
#: What a restore may take beyond the interval: create, start, the health check of busybox httpd.
SLACK = 9.0
WEB = "echo $DEIS_RELEASE > /tmp/index.html && exec httpd -f -p $PORT -h /tmp"
PASSWORD = "pw pw pw pw"


class Controller:
    """A ``deis-controller`` process on a free loopback port, its journal in a file."""

    def __init__(self, etcd_endpoint: str, database_url: str, journal: Path):
        self.port = free_port()
        self.journal_path = journal
        self.environ = dict(
            os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATABASE_URL=database_url,
            DEIS_CONTROLLER_PORT=str(self.port), DEIS_CONTROLLER_WORKERS="1", DEIS_CONTROLLER_THREADS="4",
            DEIS_PLATFORM_DOMAIN=PLATFORM_DOMAIN, DEIS_BUILDER_KEY="test-builder-key",
            DEIS_SECRET_KEY="test-secret-key", DEIS_CONTROLLER_STOPGRACEPERIOD="1",
            DEIS_CONTROLLER_STARTTIMEOUT="10", DEIS_CONTROLLER_ROUTERWAITTIMEOUT="2", DEIS_LOG_LEVEL="DEBUG",
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> Controller:
        with open(self.journal_path, "ab") as journal:
            self.process = subprocess.Popen([str(SCRIPTS / "deis-controller")], env=self.environ,
                                            stdout=journal, stderr=subprocess.STDOUT)
        wait_until(self._healthy, 60, what="deis-controller answering")
        wait_until(self.reconciler, 20, what="the reconcile loop started")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def journal(self) -> str:
        return self.journal_path.read_text(errors="replace")

    def passes(self) -> int:
        """Return how many passes this controller's reconcile loop made while leading."""
        return max((int(n) for n in re.findall(r"controller\.reconciler: pass (\d+):", self.journal())), default=0)

    def reconciler(self) -> psutil.Process | None:
        """Return the reconcile loop's process (the gunicorn master's child), if it runs."""
        if self.process is None or self.process.poll() is not None:
            return None
        children = psutil.Process(self.process.pid).children()
        return next((c for c in children if "controller.reconciler" in " ".join(c.cmdline())), None)

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"deis-controller exited:\n{self.journal()[-3000:]}")
        try:
            return requests.get(self.url("/healthz"), timeout=1).status_code == 200
        except requests.RequestException:
            return False


class User:
    """Someone using the API of ``controller`` with a token, as the deis CLI does."""

    def __init__(self, controller: Controller, username: str):
        self.controller = controller
        body = {"username": username, "password": PASSWORD, "email": f"{username}@example.com"}
        assert requests.post(controller.url("/v1/auth/register/"), json=body, timeout=30).status_code == 201
        token = requests.post(controller.url("/v1/auth/login/"), json=body, timeout=30).json()["token"]
        self.headers = {"Authorization": f"token {token}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.controller.url(path), headers=self.headers, timeout=30)

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(self.controller.url(path), json=body, headers=self.headers, timeout=60)


@pytest.fixture
def platform(tmp_path, etcd, etcd_endpoint, database_url, docker_client):
    """Start controllers (as many as asked) and a logger on the test's etcd; stop and clean up after."""
    etcd.put(keys.component("controller", "reconcileInterval"), f"{INTERVAL:g}")
    logger = LoggerProcess(etcd_endpoint, tmp_path / "logs").start()
    started: list[Controller] = []

    def start_controller() -> Controller:
        started.append(Controller(etcd_endpoint, database_url, tmp_path / f"controller-{len(started)}.log").start())
        return started[-1]

    yield start_controller
    for controller in started:
        controller.stop()
    logger.stop()
    for container in docker_client.containers.list(all=True, filters={"label": "deis.app"}):
        if container.name.startswith("r-"):
            container.remove(force=True)
    _empty_tables(database_url)


def scaled_app(user: User, base_image: str) -> str:
    """Create an app, pull busybox httpd as its ``web`` and scale it to two; return its id."""
    app_id = f"r-{uuid.uuid4().hex[:8]}"
    assert user.post("/v1/apps/", {"id": app_id}).status_code == 201
    pulled = user.post(f"/v1/apps/{app_id}/builds/", {"image": base_image, "procfile": {"web": WEB}})
    assert pulled.status_code == 201, pulled.text
    scaled = user.post(f"/v1/apps/{app_id}/scale/", {"web": 2})
    assert scaled.status_code == 204, scaled.text
    return app_id


def running(docker_client, name: str) -> bool:
    """True when the engine has ``name`` and it runs."""
    # sparse: the list's own data, no second inspect that races the loop replacing the container.
    found = docker_client.containers.list(all=True, sparse=True, filters={"name": f"^/{re.escape(name)}$"})
    return bool(found) and found[0].attrs["State"] == "running"


def absent(docker_client, name: str) -> bool:
    """True when the engine has no container ``name``."""
    return not docker_client.containers.list(all=True, filters={"name": f"^/{re.escape(name)}$"})


def restore_lines(user: User, app_id: str) -> list[str]:
    """Return the app's ``deis logs`` lines that say the controller restored a container."""
    response = user.get(f"/v1/apps/{app_id}/logs/")
    lines = response.text.splitlines() if response.status_code == 200 else []
    return [line for line in lines if f"{app_id}[deis-controller]: restored " in line]


def remove_behind_the_platforms_back(docker_client, name: str) -> float:
    """``docker rm -f`` ``name``; return when (monotonic) it was gone."""
    docker_client.containers.get(name).remove(force=True)
    return time.monotonic()


def wait_for_more_passes(controller: Controller, count: int = 2) -> None:
    """Wait until the loop made ``count`` more passes (evidence, not a sleep)."""
    seen = controller.passes()
    wait_until(lambda: controller.passes() >= seen + count, 10 * INTERVAL + 5, what=f"{count} more passes")


# deis ps: a container lost while the controller runs comes back

def test_a_container_removed_while_the_controller_runs_comes_back_once(platform, docker_client, base_image):
    controller = platform()
    owner = User(controller, "owner")
    app_id = scaled_app(owner, base_image)
    lost, kept = f"{app_id}_v2.web.2", docker_client.containers.get(f"{app_id}_v2.web.1").id

    removed = remove_behind_the_platforms_back(docker_client, lost)
    wait_until(lambda: running(docker_client, lost), INTERVAL + SLACK, what=f"{lost} running again")
    back_in = time.monotonic() - removed
    lines = wait_until(lambda: restore_lines(owner, app_id), 10, what="the restore in deis logs")
    wait_for_more_passes(controller)

    print(f"\nreconcile: {lost} running again {back_in:.2f} s after docker rm -f (interval {INTERVAL:g} s)")
    assert restore_lines(owner, app_id) == lines and len(lines) == 1
    assert lines[0].endswith(f"{app_id}[deis-controller]: restored 1 container the engine had lost: {lost}")
    assert docker_client.containers.get(f"{app_id}_v2.web.1").id == kept  # the other was left alone
    ps = owner.get(f"/v1/apps/{app_id}/containers/").json()["results"]
    assert [(c["num"], c["state"]) for c in ps] == [(1, "up"), (2, "up")]
    assert "Traceback" not in controller.journal()


# while a deploy holds the app's lock

def test_an_app_whose_lock_is_held_is_left_alone_until_it_is_released(platform, docker_client, base_image,
                                                                       database_url):
    controller = platform()
    owner = User(controller, "owner")
    app_id = scaled_app(owner, base_image)
    lost = f"{app_id}_v2.web.2"
    app_uuid = owner.get(f"/v1/apps/{app_id}/").json()["uuid"]
    skipped = f"{app_id} is being changed right now"

    engine = create_engine(engine_url(database_url))
    try:
        with engine.begin() as deploy:  # the lock a deploy, scale, restart or config change holds till its commit
            deploy.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:app))"),
                           {"ns": NAMESPACE, "app": app_uuid})
            remove_behind_the_platforms_back(docker_client, lost)
            wait_until(lambda: controller.journal().count(skipped) >= 3, 10 * INTERVAL + 5, what="3 skipped passes")
            skips = controller.journal().count(skipped)
            assert absent(docker_client, lost)  # not touched while held, over every pass that looked
            assert restore_lines(owner, app_id) == []
            released = time.monotonic()
        wait_until(lambda: running(docker_client, lost), INTERVAL + SLACK, what=f"{lost} running again")
        back_in = time.monotonic() - released
    finally:
        engine.dispose()
    lines = wait_until(lambda: restore_lines(owner, app_id), 10, what="the restore in deis logs")
    wait_for_more_passes(controller)

    print(f"\nreconcile: {skips} passes skipped the locked app; {lost} running {back_in:.2f} s after release")
    assert restore_lines(owner, app_id) == lines and len(lines) == 1


# on a cluster: two controller replicas, one reconcile loop acting

def test_of_two_controllers_only_one_reconciles_and_the_other_takes_over_when_it_stops(
        platform, docker_client, base_image, etcd):
    first = platform()
    second = platform()
    leader_key = keys.leader("controller", "reconcile")
    holder = wait_until(lambda: etcd.get(leader_key), 10, what="a leader")
    leading, standing_by = (first, second) if f"/{first.reconciler().pid}/" in holder else (second, first)
    assert f"/{leading.reconciler().pid}/" in holder
    owner = User(standing_by, "owner")  # its API serves on after the other stops
    app_id = scaled_app(owner, base_image)

    lost = f"{app_id}_v2.web.2"
    remove_behind_the_platforms_back(docker_client, lost)
    wait_until(lambda: running(docker_client, lost), INTERVAL + SLACK, what=f"{lost} running again")
    wait_until(lambda: restore_lines(owner, app_id), 10, what="the restore in deis logs")
    wait_for_more_passes(leading, 3)
    assert len(restore_lines(owner, app_id)) == 1
    assert standing_by.passes() == 0 and "standing by" in standing_by.journal()
    assert f"{app_id}: brought back 1 lost containers" in leading.journal()
    assert "brought back" not in standing_by.journal()

    stopped = time.monotonic()
    leading.stop()  # gives the key up at once (its lease is revoked)
    wait_until(lambda: standing_by.passes() > 0, 2 * INTERVAL + 5, what="the other controller taking over")
    took_over = time.monotonic() - stopped
    assert f"/{standing_by.reconciler().pid}/" in etcd.get(leader_key)
    lost = f"{app_id}_v2.web.1"
    remove_behind_the_platforms_back(docker_client, lost)
    wait_until(lambda: running(docker_client, lost), INTERVAL + SLACK, what=f"{lost} running again")
    wait_until(lambda: len(restore_lines(owner, app_id)) == 2, 10, what="the second restore in deis logs")
    print(f"\nreconcile: one of two replicas acted; the other took over {took_over:.2f} s after it stopped")
    assert f"{app_id}: brought back 1 lost containers" in standing_by.journal()


# deis apps:destroy while the loop runs

def test_apps_destroy_leaves_no_container_for_the_loop_to_bring_back(platform, docker_client, base_image):
    """The removals wake the loop while the destroy is not yet committed; the app's lock keeps it out.

    That window is milliseconds wide, so this guards the outcome rather than
    reproducing the race each run (it did not fail in one run without the lock).
    """
    controller = platform()
    owner = User(controller, "owner")
    app_id = scaled_app(owner, base_image)
    destroyed = requests.delete(controller.url(f"/v1/apps/{app_id}/"), headers=owner.headers, timeout=60)
    assert destroyed.status_code == 204
    wait_for_more_passes(controller, 3)  # each woken by the removals, or by the interval
    assert docker_client.containers.list(all=True, filters={"label": f"deis.app={app_id}"}) == []
    assert f"{app_id}: brought back" not in controller.journal()
