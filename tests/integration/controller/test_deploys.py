"""Deploys against real PostgreSQL, etcd and Docker: pull, config, scale, bad release, run, hardening.

Each test makes a uniquely named app and removes every container labelled
with it afterwards. The app's web process is busybox ``httpd`` serving a page
that names its release and greeting, so a test can see which release answers.
"""

from __future__ import annotations

import io
import statistics
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from controller import recovery
from controller.app import create_app
from controller.db import engine_url
from controller.services import runtime
from controller.services.locks import NAMESPACE
from deis import keys
from tests.integration.controller.conftest import PLATFORM_DOMAIN, _empty_tables, register

BUILDER_KEY = "test-builder-key"
WEB = "echo $DEIS_RELEASE $GREETING > /tmp/index.html && exec httpd -f -p $PORT -h /tmp"


@pytest.fixture
def app(database_url, etcd_endpoint, etcd, docker_client):
    """The controller, with real etcd and Docker, short timeouts and grace."""
    settings = {"databaseUrl": database_url, "platformDomain": PLATFORM_DOMAIN, "builderKey": BUILDER_KEY,
                "stopGracePeriod": 1, "startTimeout": 10, "routerWaitTimeout": 2}
    application = create_app({"TESTING": True, "DEIS_ETCD": etcd_endpoint, "DEIS_SETTINGS": settings})
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


@pytest.fixture
def owner(client):
    """The app's owner (first user, hence also an admin)."""
    return register(client, "owner")


@pytest.fixture
def app_id(owner, docker_client):
    """A new app with a unique name; its containers are removed afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    assert owner.post("/v1/apps/", json={"id": name}).status_code == 201
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={name}"}):
        container.remove(force=True)


def pull(api, app_id, image, procfile=None):
    """``deis pull <image>`` with an optional Procfile."""
    return api.post(f"/v1/apps/{app_id}/builds/", json={"image": image, "procfile": procfile or {"web": WEB}})


def names(docker_client, app_id):
    """Return the names of the app's containers in Docker."""
    found = docker_client.containers.list(all=True, filters={"label": f"deis.app={app_id}"})
    return sorted(c.name for c in found)


def page(docker_client, name):
    """Return what the container ``name`` serves at ``/``."""
    container = docker_client.containers.get(name)
    ip = next(iter(container.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
    return requests.get(f"http://{ip}:5000/", timeout=2).content.decode().strip()


def env_of(docker_client, name):
    """Return the container's environment as a dict."""
    pairs = docker_client.containers.get(name).attrs["Config"]["Env"]
    return dict(pair.split("=", 1) for pair in pairs)


def releases(api, app_id):
    """Return ``[(version, summary)]``, newest first."""
    return [(r["version"], r["summary"]) for r in api.get(f"/v1/apps/{app_id}/releases/").get_json()["results"]]


# deis pull

def test_pull_deploys_the_image_and_scales_web_to_one(owner, app_id, base_image, docker_client):
    response = pull(owner, app_id, base_image)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Deis-Release"] == "2"
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    assert page(docker_client, f"{app_id}_v2.web.1") == "v2"
    ps = owner.get(f"/v1/apps/{app_id}/containers/").get_json()["results"]
    assert [(c["type"], c["num"], c["state"], c["release"]) for c in ps] == [("web", 1, "up", "v2")]
    assert releases(owner, app_id)[0] == (2, f"owner deployed {base_image}")
    assert owner.get(f"/v1/apps/{app_id}/").get_json()["structure"] == {"web": 1}


def test_apps_destroy_removes_its_containers(owner, app_id, base_image, docker_client, etcd):
    assert pull(owner, app_id, base_image).status_code == 201
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    assert owner.delete(f"/v1/apps/{app_id}/").status == "204 NO CONTENT"
    assert names(docker_client, app_id) == []
    assert etcd.get_prefix(keys.services(app_id))[0] == {}


def test_pull_of_an_unknown_image_is_refused(owner, app_id):
    response = pull(owner, app_id, "registry.invalid/no/such-image:v1")  # loopback ones are refused first
    assert response.status_code == 400
    assert "could not be pulled" in response.get_json()["detail"]
    assert len(releases(owner, app_id)) == 1


def test_builds_are_listed(owner, app_id, base_image):
    pull(owner, app_id, base_image)
    builds = owner.get(f"/v1/apps/{app_id}/builds/").get_json()["results"]
    assert [b["image"] for b in builds] == [base_image]
    one = owner.get(f"/v1/apps/{app_id}/builds/{builds[0]['uuid']}/").get_json()
    assert one["procfile"] == {"web": WEB}


# deis config:set

def test_config_set_restarts_the_app_with_the_new_environment(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"GREETING": "hi 'there' ☃"}})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Deis-Release"] == "3"
    assert response.get_json()["values"]["DEIS_RELEASE"] == "v3"
    assert names(docker_client, app_id) == [f"{app_id}_v3.web.1"]
    env = env_of(docker_client, f"{app_id}_v3.web.1")
    assert env["GREETING"] == "hi 'there' ☃"
    assert (env["DEIS_APP"], env["DEIS_RELEASE"], env["PORT"]) == (app_id, "v3", "5000")
    assert page(docker_client, f"{app_id}_v3.web.1") == "v3 hi 'there' ☃"
    assert releases(owner, app_id)[0] == (3, "owner added GREETING")
    assert "GREETING" in owner.get(f"/v1/apps/{app_id}/config/").get_json()["values"]


def test_config_without_a_build_only_makes_a_release(owner, app_id, docker_client):
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": "1"}})
    assert response.status_code == 201
    assert names(docker_client, app_id) == []
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": None, "B": "2"}})
    assert response.get_json()["values"]["B"] == "2" and "A" not in response.get_json()["values"]
    assert releases(owner, app_id)[0] == (3, "owner added B, deleted A")


def test_config_validation_answers_with_v1_messages(owner, app_id):
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"1BAD": "x"}})
    assert response.status_code == 400
    assert response.get_json() == {
        "values": ["Config keys must start with a letter or underscore and only contain [A-z0-9_]"]}
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"memory": {"web": "lots"}})
    assert response.get_json()["memory"] == ["Limit format: <number><unit>, where unit = B, K, M or G"]
    assert len(releases(owner, app_id)) == 1


def test_a_change_while_another_is_in_progress_gets_409(owner, app_id, database_url):
    app_uuid = owner.get(f"/v1/apps/{app_id}/").get_json()["uuid"]
    engine = create_engine(engine_url(database_url))
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:ns, hashtext(:app))"), {"ns": NAMESPACE, "app": app_uuid})
        response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": "1"}})
    engine.dispose()
    assert response.status_code == 409
    assert "try again" in response.get_json()["detail"]


# deis ps:scale

def test_scale_web_up_to_three_and_down_to_one(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    assert owner.post(f"/v1/apps/{app_id}/scale/", json={"web": 3}).status_code == 204
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.{n}" for n in (1, 2, 3)]
    assert all(page(docker_client, f"{app_id}_v2.web.{n}") == "v2" for n in (1, 2, 3))
    assert owner.post(f"/v1/apps/{app_id}/scale/", json={"web": 1}).status_code == 204
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    ps = owner.get(f"/v1/apps/{app_id}/containers/web/").get_json()
    assert ps["count"] == 1
    assert owner.get(f"/v1/apps/{app_id}/containers/web/1/").get_json()["state"] == "up"
    assert owner.get(f"/v1/apps/{app_id}/containers/web/2/").status_code == 404


def test_scale_checks_its_input(owner, app_id, base_image):
    response = owner.post(f"/v1/apps/{app_id}/scale/", json={"web": 1})
    assert response.status_code == 400 and "No build" in response.get_json()["detail"]
    pull(owner, app_id, base_image)
    response = owner.post(f"/v1/apps/{app_id}/scale/", json={"worker": 1})
    assert response.get_json()["detail"] == "Container type worker does not exist in application"
    response = owner.post(f"/v1/apps/{app_id}/scale/", json={"web": -1})
    assert response.status_code == 400 and "Invalid scaling format" in response.get_json()["detail"]


# A bad release (reliability plan T2)

def test_release_that_exits_at_boot_is_refused_and_the_old_one_keeps_serving(owner, app_id, base_image,
                                                                             docker_client):
    pull(owner, app_id, base_image)
    before = releases(owner, app_id)
    response = pull(owner, app_id, base_image, procfile={"web": "echo booting; exit 3"})
    assert response.status_code == 503
    detail = response.get_json()["detail"]
    assert "web.1 exited with code 3" in detail and "v2 keeps serving" in detail
    assert releases(owner, app_id) == before
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    assert page(docker_client, f"{app_id}_v2.web.1") == "v2"
    # The failed version number is free again: the next good change is v3.
    assert owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": "1"}}).headers["Deis-Release"] == "3"


# deis releases:rollback

def test_rollback_releases_the_earlier_build_and_config(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"GREETING": "new"}})
    response = owner.post(f"/v1/apps/{app_id}/releases/rollback/", json={"version": 2})
    assert response.status_code == 201 and response.get_json() == {"version": 4}
    assert names(docker_client, app_id) == [f"{app_id}_v4.web.1"]
    assert page(docker_client, f"{app_id}_v4.web.1") == "v4"
    assert releases(owner, app_id)[0] == (4, "owner rolled back to v2")
    assert owner.get(f"/v1/apps/{app_id}/releases/v4/").get_json()["version"] == 4
    assert owner.post(f"/v1/apps/{app_id}/releases/rollback/", json={"version": 0}).get_json() == {
        "detail": "version cannot be below 0"}


# deis ps:restart

def test_restart_replaces_the_process_and_it_answers_again(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    name = f"{app_id}_v2.web.1"
    started = docker_client.containers.get(name).attrs["State"]["StartedAt"]
    for path in ("containers/restart/", "containers/web/restart/", "containers/web/1/restart/"):
        response = owner.post(f"/v1/apps/{app_id}/{path}")
        assert response.status_code == 200, response.get_json()
        assert [(c["type"], c["num"], c["state"]) for c in response.get_json()] == [("web", 1, "up")]
    assert docker_client.containers.get(name).attrs["State"]["StartedAt"] != started
    assert page(docker_client, name) == "v2"


# deis run

def test_run_returns_the_exit_code_and_output(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    response = owner.post(f"/v1/apps/{app_id}/run/", json={"command": "echo \"héllo $DEIS_APP\"; exit 3"})
    assert response.status_code == 200
    assert response.get_json() == [3, f"héllo {app_id}\n"]
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    ps = owner.get(f"/v1/apps/{app_id}/containers/").get_json()
    assert [c["type"] for c in ps["results"]] == ["web"]


def test_run_needs_a_build(owner, app_id):
    response = owner.post(f"/v1/apps/{app_id}/run/", json={"command": "true"})
    assert response.get_json() == {"detail": "No build associated with this release to run this command"}


# Container hardening (reliability plan T18) and limits

def test_containers_are_hardened_and_limited(owner, app_id, base_image, docker_client):
    pull(owner, app_id, base_image)
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"memory": {"web": "64M"}, "cpu": {"web": 512}})
    assert response.status_code == 201
    assert releases(owner, app_id)[0] == (3, "owner changed limits for memory, cpu")
    host = docker_client.containers.get(f"{app_id}_v3.web.1").attrs["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["PidsLimit"] > 0
    assert host["Privileged"] is False and host["NetworkMode"] == "deis-apps" and host["PidMode"] == ""
    assert not host["PortBindings"]  # reached only through the router (issue 12, item 5)
    assert not host["Binds"] and not docker_client.containers.get(f"{app_id}_v3.web.1").attrs["Mounts"]
    assert host["Memory"] == 64 * 1024 * 1024 and host["CpuShares"] == 512
    assert host["RestartPolicy"]["Name"] == "on-failure"
    labels = docker_client.containers.get(f"{app_id}_v3.web.1").labels
    assert labels == {"deis.app": app_id, "deis.release": "v3", "deis.type": "web", "deis.num": "1"}


# The builder's hook

def test_build_hook_deploys_as_the_pushing_user(owner, app_id, base_image, client):
    data = {"receive_user": "owner", "receive_repo": app_id, "image": base_image, "sha": "a" * 40,
            "procfile": {"web": WEB}, "dockerfile": "true"}
    response = client.post("/v1/hooks/build/", json=data, headers={"X-Deis-Builder-Auth": BUILDER_KEY})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"release": {"version": 2}, "domains": [f"{app_id}.{PLATFORM_DOMAIN}"]}
    assert releases(owner, app_id)[0] == (2, "owner deployed aaaaaaa")
    wrong = client.post("/v1/hooks/build/", json=data, headers={"X-Deis-Builder-Auth": "nope"})
    assert wrong.status_code == 403



# A release that never answers (T2: never listens, health check path fails)

@pytest.fixture
def impatient(app):
    """Give new containers 1.5 s to answer instead of 10."""
    from controller.api.runtime import runtime

    with app.app_context():
        runtime().deployer.health.timeout = 1.5


def test_release_that_never_listens_is_refused(owner, app_id, base_image, docker_client, impatient):
    pull(owner, app_id, base_image)
    response = pull(owner, app_id, base_image, procfile={"web": "exec sleep 60"})
    assert response.status_code == 503
    assert "web.1 did not answer on port 5000 within 1.5 s" in response.get_json()["detail"]
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]


def test_failing_health_check_url_is_refused(owner, app_id, base_image, docker_client, impatient):
    pull(owner, app_id, base_image)
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"HEALTHCHECK_URL": "/missing"}})
    assert response.status_code == 503
    assert "GET /missing answered 404, not 200" in response.get_json()["detail"]
    assert len(releases(owner, app_id)) == 2
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1"]
    response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"HEALTHCHECK_URL": "/index.html"}})
    assert response.status_code == 201, response.get_json()


# A crash loop (T19): backoff, and deis ps shows the crash

#: A web process that answers (httpd daemonizes), then exits 7 a second later, taking httpd along.
CRASHING_WEB = "httpd -p $PORT -h /tmp; sleep 1; exit 7"


class Lifecycle:
    """The engine's ``start`` and ``die`` events of one container, with their times."""

    def __init__(self, docker_client, name: str):
        self.events: list[tuple[str, float]] = []
        self._stream = docker_client.events(decode=True, filters={"container": name, "event": ["start", "die"]})
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        for event in self._stream:
            self.events.append((event["status"], event["timeNano"] / 1e9))

    def restart_delays(self) -> list[float]:
        """Seconds from each ``die`` to the ``start`` that followed it."""
        events = list(self.events)
        return [later[1] - died[1] for died, later in zip(events, events[1:], strict=False)
                if died[0] == "die" and later[0] == "start"]

    def close(self) -> None:
        """Stop following."""
        self._stream.close()


def test_t19_a_crash_loop_backs_off_ps_shows_crashed_and_a_new_release_starts_afresh(owner, app_id, base_image,
                                                                                      docker_client):
    name = f"{app_id}_v2.web.1"
    lifecycle = Lifecycle(docker_client, name)
    try:
        response = pull(owner, app_id, base_image, procfile={"web": CRASHING_WEB})
        assert response.status_code == 201, response.get_json()
        states, deadline = [], time.monotonic() + 45
        while len(lifecycle.restart_delays()) < 7:
            assert time.monotonic() < deadline, lifecycle.events
            ps = owner.get(f"/v1/apps/{app_id}/containers/web/1/").get_json()
            states.append((ps["state"], ps["exit_code"]))
            time.sleep(0.1)
    finally:
        lifecycle.close()
    delays = lifecycle.restart_delays()
    print(f"T19: restart delays {[round(d, 2) for d in delays]} s")
    # Docker doubles its delay before each restart (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4 s) on top of
    # the engine's own die-to-start time (0.6-2.7 s measured on 2 busy cores, which hides the first
    # steps). A loop with no back-off restarts after that overhead alone every time.
    assert delays[-1] > 5 and delays[-1] > delays[-3] + 2, delays
    assert delays[-1] > 2 * statistics.median(delays[:4]), delays
    assert ("crashed", 7) in states, states  # deis ps shows the crash and its exit code while it backs off

    # A new release is a new container: its back-off starts again from the shortest delay.
    fresh = Lifecycle(docker_client, f"{app_id}_v3.web.1")
    try:
        response = owner.post(f"/v1/apps/{app_id}/config/", json={"values": {"NEW": "release"}})
        assert response.status_code == 201, response.get_json()
        wait_until_delays(fresh, 1)
    finally:
        fresh.close()
    print(f"T19: first restart delay of v3 {fresh.restart_delays()[0]:.2f} s")
    assert fresh.restart_delays()[0] < delays[-1] / 2, (fresh.restart_delays(), delays)


def wait_until_delays(lifecycle: Lifecycle, count: int, timeout: float = 15) -> None:
    """Wait until ``lifecycle`` has seen ``count`` restarts."""
    deadline = time.monotonic() + timeout
    while len(lifecycle.restart_delays()) < count:
        assert time.monotonic() < deadline, lifecycle.events
        time.sleep(0.1)


# deis pull of an image without a Procfile: one cmd container, on the port the image EXPOSEs

@pytest.fixture(scope="module")
def server_image(docker_client, base_image):
    """An image whose own CMD serves HTTP on the port it EXPOSEs (8000)."""
    tag = f"deis-test/cmd-server:{uuid.uuid4().hex[:8]}"
    dockerfile = (f"FROM {base_image}\nEXPOSE 8000\n"
                  'CMD ["sh", "-c", "echo cmd $DEIS_RELEASE > /tmp/index.html && exec httpd -f -p $PORT -h /tmp"]\n')
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    yield tag
    docker_client.images.remove(tag, force=True)


def test_pull_without_procfile_runs_the_image_cmd_on_its_exposed_port(owner, app_id, server_image, docker_client):
    response = owner.post(f"/v1/apps/{app_id}/builds/", json={"image": server_image})
    assert response.status_code == 201, response.get_json()
    name = f"{app_id}_v2.cmd.1"
    assert names(docker_client, app_id) == [name]
    assert env_of(docker_client, name)["PORT"] == "8000"
    container = docker_client.containers.get(name)
    ip = next(iter(container.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
    assert requests.get(f"http://{ip}:8000/", timeout=2).text.strip() == "cmd v2"
    assert owner.get(f"/v1/apps/{app_id}/").get_json()["structure"] == {"cmd": 1}


# Collaborators (who may call what is the matrix of test_authz_matrix.py)

def test_collaborators_may_change_config(client, owner, app_id):
    collaborator = register(client, "collab")
    owner.post(f"/v1/apps/{app_id}/perms/", json={"username": "collab"})
    assert collaborator.post(f"/v1/apps/{app_id}/config/", json={"values": {"A": "1"}}).status_code == 201
    assert releases(owner, app_id)[0] == (2, "collab added A")



# recovery at controller start

def test_containers_the_engine_lost_come_back_and_the_others_are_left_alone(app, owner, app_id, base_image,
                                                                            docker_client):
    pull(owner, app_id, base_image)
    assert owner.post(f"/v1/apps/{app_id}/scale/", json={"web": 2}).status_code == 204
    kept = docker_client.containers.get(f"{app_id}_v2.web.1").id
    docker_client.containers.get(f"{app_id}_v2.web.2").remove(force=True)  # behind the platform's back

    machinery = app.extensions["deis.db"], runtime.from_settings(app.extensions["deis.settings"])
    assert recovery.restore_everything(*machinery) == {app_id: [f"{app_id}_v2.web.2"]}
    assert names(docker_client, app_id) == [f"{app_id}_v2.web.1", f"{app_id}_v2.web.2"]
    assert page(docker_client, f"{app_id}_v2.web.2") == "v2"
    assert docker_client.containers.get(f"{app_id}_v2.web.1").id == kept
    ps = owner.get(f"/v1/apps/{app_id}/containers/").get_json()["results"]
    assert [(c["num"], c["state"]) for c in ps] == [(1, "up"), (2, "up")]
    assert recovery.restore_everything(*machinery) == {}  # level-triggered: nothing left to do
