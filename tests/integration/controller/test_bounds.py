"""Numbers that reach an allocation, a sleep or a timeout are bounded; absurd ones answer 400.

``POST /scale/ {"cmd": "99999999999999999999999"}`` once made a worker
allocate ~22 GB. The scheduler here is the in-memory fake: what is under test
is the API's answer, and before the bounds a 101-container scale really ran.
"""

from __future__ import annotations

import pytest

from controller.scheduler.fake import FakeScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import NoRoutes
from controller.services.runtime import Runtime
from tests.integration.controller.conftest import _empty_tables, make_app, register

ABSURD = "99999999999999999999999"


@pytest.fixture
def app(database_url):
    """The controller on the fake scheduler, with small scale limits."""
    application = make_app(database_url, maxContainersPerType=5, maxContainersPerApp=8)
    fake = FakeScheduler()
    health = HealthCheck(fake, probe=lambda spec, check: (True, ""))
    application.extensions["deis.runtime"] = Runtime(fake, Deployer(fake, health, NoRoutes(), grace=0))
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


@pytest.fixture
def owner(client):
    """The owner of ``myapp``, deployed with a ``web`` and a ``worker`` type."""
    api = register(client, "owner")
    assert api.post("/v1/apps/", json={"id": "myapp"}).status_code == 201
    build = {"image": "example/img", "procfile": {"web": "serve", "worker": "work"}}
    assert api.post("/v1/apps/myapp/builds/", json=build).status_code == 201
    return api


def detail(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.status.endswith("BAD REQUEST") or status != 400
    return response.get_json()


# deis ps:scale

@pytest.mark.parametrize("count", [ABSURD, int(ABSURD), "9" * 5000, 6])
def test_scale_above_the_per_type_limit_is_400_naming_the_limit(owner, count):
    body = detail(owner.post("/v1/apps/myapp/scale/", json={"web": count}))
    assert "at most 5 containers of one process type" in body["detail"]
    assert len(body["detail"]) < 200


def test_scale_above_the_per_app_limit_is_400_naming_the_limit(owner):
    assert owner.post("/v1/apps/myapp/scale/", json={"web": 5}).status_code == 204
    body = detail(owner.post("/v1/apps/myapp/scale/", json={"worker": 4}))
    assert body["detail"].startswith("Cannot scale to 9 containers in all: at most 8 are allowed per application")
    assert owner.post("/v1/apps/myapp/scale/", json={"web": 4, "worker": 4}).status_code == 204


@pytest.mark.parametrize("count", ["²", "1" * 5000 + "x"])
def test_scale_of_something_not_a_number_is_400(owner, count):
    assert "Invalid scaling format" in detail(owner.post("/v1/apps/myapp/scale/", json={"web": count}))["detail"]


def test_a_number_too_long_for_python_is_a_400_json_error(owner):
    response = owner.client.post("/v1/apps/myapp/scale/", data='{"web": ' + "9" * 5000 + "}",
                                 headers={**owner._headers(), "Content-Type": "application/json"})
    assert detail(response)["detail"] == "JSON parse error - a number in the body is too long"


# deis limits:set, deis config:set

@pytest.mark.parametrize("posted", [
    {"memory": {"web": ABSURD + "G"}}, {"memory": {"web": "9" * 5000 + "M"}},
    {"cpu": {"web": "9" * 5000}}, {"cpu": {"web": "²"}},
    {"values": {"HEALTHCHECK_TIMEOUT": "1e12"}}, {"values": {"HEALTHCHECK_INITIAL_DELAY": "nan"}},
])
def test_absurd_limits_and_healthcheck_seconds_are_400(owner, posted):
    detail(owner.post("/v1/apps/myapp/config/", json=posted))


# deis releases:rollback

@pytest.mark.parametrize("version", ["²", "9" * 5000])
def test_rollback_to_an_absurd_version_is_400(owner, version):
    assert "version must be a release number" in \
        detail(owner.post("/v1/apps/myapp/releases/rollback/", json={"version": version}))["detail"]


# deis logs -n

@pytest.mark.parametrize("lines", [ABSURD, "10001"])
def test_logs_with_too_many_lines_is_400(owner, lines):
    assert "log_lines must be at most 10000" in detail(owner.get(f"/v1/apps/myapp/logs/?log_lines={lines}"))["detail"]


# deis apps:list -l

@pytest.mark.parametrize("size", [ABSURD, "9" * 5000])
def test_an_absurd_page_size_gets_the_largest_page(owner, size):
    response = owner.get(f"/v1/apps/?page_size={size}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["count"] == 1
