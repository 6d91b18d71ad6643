"""Mass assignment and secret exposure (reliability plan T14).

First, every documented operation that takes a body is sent a valid body plus
fields a client must never set (``owner``, ``uuid``, ``created``, ``is_superuser``,
``app``, ``version``…). The answer may be a success or a 400, but the stored
rows (read straight from PostgreSQL) must show none of those values applied.

Then a canary config value is set through the API and looked for everywhere
it must not be: other users' answers, every other GET answer of its owner
(release summaries included), the controller's log records and all of etcd.
It must be in the app's container environment (the fake scheduler records
it) and in ``config:list`` for the owner, a collaborator and an admin.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine

from controller import openapi
from controller.db import engine_url
from controller.models import Base
from tests import tlscerts
from tests.integration.controller.conftest import BUILDER_KEY, new_public_key, on_fake_scheduler, register

APP, OTHER_APP = "myapp", "otherapp"
FORGED_UUID = "00000000-0000-4000-8000-0000000000ff"
FORGED_TIME = "1999-01-01T00:00:00UTC"
EXTRA = {"owner": "victim", "uuid": FORGED_UUID, "created": FORGED_TIME, "updated": FORGED_TIME,
         "id": "hijack", "is_superuser": True, "is_staff": True, "app": OTHER_APP, "version": 999,
         "user": "victim"}
PROCFILE = {"web": "serve"}
DOMAIN = "www.example.org"


def hook(**fields: Any) -> dict[str, Any]:
    """A builder hook body on behalf of the owner."""
    return {"receive_user": "owner", "receive_repo": APP, **fields}


#: A valid body per operation, and the fields of :data:`EXTRA` it uses for real (never forged).
BODIES: dict[tuple[str, str], tuple[dict[str, Any], tuple[str, ...]]] = {
    ("post", "/v1/auth/register/"): ({"username": "newbie", "password": "newbie pass", "email": "n@x.org"}, ()),
    ("post", "/v1/auth/login/"): ({"username": "owner", "password": "s3cret pass"}, ()),
    ("delete", "/v1/auth/cancel/"): ({}, ("user",)),  # "user" is not "username": the caller is cancelled
    ("post", "/v1/auth/passwd/"): ({"password": "s3cret pass", "new_password": "n3w pass!"}, ()),
    ("post", "/v1/auth/tokens/"): ({}, ()),
    ("post", "/v1/keys/"): ({"public": "<new key>"}, ("id",)),
    ("post", "/v1/apps/"): ({}, ("id",)),
    ("post", "/v1/apps/{app_id}/"): ({}, ("owner",)),
    ("post", "/v1/apps/{app_id}/run/"): ({"command": "true"}, ()),
    ("post", "/v1/apps/{app_id}/scale/"): ({"web": 1}, ()),
    ("post", "/v1/apps/{app_id}/containers/restart/"): ({}, ()),
    ("post", "/v1/apps/{app_id}/containers/{type}/restart/"): ({}, ()),
    ("post", "/v1/apps/{app_id}/containers/{type}/{num}/restart/"): ({}, ()),
    ("post", "/v1/apps/{app_id}/config/"): ({"values": {"A": "1"}}, ()),
    ("post", "/v1/apps/{app_id}/builds/"): ({"image": "example/img", "procfile": PROCFILE}, ()),
    ("post", "/v1/apps/{app_id}/releases/rollback/"): ({}, ("version",)),
    ("post", "/v1/apps/{app_id}/domains/"): ({"domain": "new.example.org"}, ()),
    ("post", "/v1/apps/{app_id}/perms/"): ({"username": "collab"}, ()),
    ("post", "/v1/admin/perms/"): ({"username": "collab"}, ()),
    ("post", "/v1/certs/"): ({"certificate": "<certificate of www.example.org>"}, ()),
    ("post", "/v1/hooks/push/"): (hook(sha="a" * 40), ()),
    ("post", "/v1/hooks/build/"): (hook(image="example/img", procfile=PROCFILE), ()),
    ("post", "/v1/hooks/config/"): (hook(), ()),
}
#: Who sends the body, where the owner may not call the operation at all.
CALLERS = {("post", "/v1/admin/perms/"): "admin", ("delete", "/v1/auth/cancel/"): "stranger"}
WRITES = [(m, p) for p, item in openapi.document()["paths"].items() for m in item if m in ("post", "put", "patch")]


def test_every_documented_write_has_a_body():
    assert set(WRITES) - set(BODIES) == set()


@pytest.fixture
def app(database_url, etcd):
    """The controller on the fake scheduler, publishing to the test's (emptied) etcd."""
    yield from on_fake_scheduler(database_url, etcd.endpoint)


def ok(response, status: int = 201):
    """Assert a setup step succeeded."""
    assert response.status_code == status, (response.status, response.get_data(as_text=True))
    return response.get_json(silent=True)


@pytest.fixture
def users(client):
    """The admin, the owner of ``myapp`` (deployed, with a domain), a collaborator, a stranger, the victim."""
    people = {name: register(client, name) for name in ("admin", "owner", "collab", "stranger", "victim")}
    owner = people["owner"]
    ok(owner.post("/v1/apps/", json={"id": APP}))
    ok(owner.post(f"/v1/apps/{APP}/builds/", json={"image": "example/img", "procfile": PROCFILE}))
    ok(owner.post(f"/v1/apps/{APP}/domains/", json={"domain": DOMAIN}))
    ok(people["victim"].post("/v1/apps/", json={"id": OTHER_APP}))
    return people


def rows(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Return every row of every table, as dicts of strings."""
    engine = create_engine(engine_url(database_url))
    try:
        with engine.connect() as connection:
            return {table.name: [{k: str(v) for k, v in row._mapping.items()}
                                 for row in connection.execute(table.select())]
                    for table in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def forged(before: dict, after: dict, legitimate: tuple[str, ...], admins=frozenset({"admin"})) -> list[str]:
    """Return what of :data:`EXTRA` shows in the stored rows ``after`` that was not there ``before``."""
    found = []
    for table, records in after.items():
        new = [r for r in records if r not in before[table]]
        for record in new:
            found += [f"{table}.{k}={v}" for k, v in record.items() if FORGED_UUID in v or v.startswith("1999")]
            if "id" not in legitimate and record.get("id") == "hijack":
                found.append(f"{table}.id=hijack")
            if table == "releases" and record.get("version") == "999":
                found.append("releases.version=999")
    superusers = {r["username"] for r in after["users"] if r["is_superuser"] == "True" or r["is_staff"] == "True"}
    if "victim" not in {r["username"] for r in after["users"]}:
        found.append("the victim's account is gone")
    if superusers != admins:
        found.append(f"admins are now {sorted(superusers)}")
    victim = next(r["id"] for r in before["users"] if r["username"] == "victim")
    other_uuid = next(r["uuid"] for r in before["apps"] if r["id"] == OTHER_APP)
    for table, records in after.items():
        if any(("owner_id" in r and r["owner_id"] == victim) or r.get("app_uuid") == other_uuid
               for r in records if r not in before[table]):
            found.append(f"a {table} row given to the victim or the victim's app")
    return found


def request_body(method: str, path: str) -> dict[str, Any]:
    """The valid body of an operation with :data:`EXTRA` laid over the fields it does not use."""
    body, legitimate = BODIES[(method, path)]
    if (method, path) == ("post", "/v1/keys/"):
        body = {"public": new_public_key("me@laptop")}
    elif (method, path) == ("post", "/v1/certs/"):
        certificate, key = tlscerts.pair(DOMAIN)
        body = {"certificate": certificate, "key": key}
    return {**{k: v for k, v in EXTRA.items() if k not in legitimate}, **body}


@pytest.mark.parametrize("method, path", sorted(BODIES))
def test_extra_fields_are_never_applied(client, users, database_url, method, path):
    concrete = path.format(app_id=APP, type="web", num=1)
    before = rows(database_url)
    caller = users[CALLERS.get((method, path), "owner")]
    headers = {"Authorization": f"token {caller.token}", "X-Deis-Builder-Auth": BUILDER_KEY}
    response = client.open(concrete, method=method.upper(), json=request_body(method, path), headers=headers)
    assert response.status_code < 300 or response.status_code == 400, response.get_data(as_text=True)
    admins = {"admin", "collab"} if path == "/v1/admin/perms/" else {"admin"}  # that one grants it, to collab
    assert forged(before, rows(database_url), BODIES[(method, path)][1], admins) == []
    answer = response.get_data(as_text=True)
    assert FORGED_UUID not in answer and "1999" not in answer and "hijack" not in answer


def test_register_with_is_superuser_makes_a_plain_user(client, users):
    response = client.post("/v1/auth/register/", json={"username": "sneaky", "password": "sneaky pass",
                                                       "email": "s@x.org", "is_superuser": True, "is_staff": True})
    assert response.status_code in (201, 400)
    listed = {u["username"]: u for u in users["admin"].get("/v1/users/").get_json()["results"]}
    assert "sneaky" not in listed or not (listed["sneaky"]["is_superuser"] or listed["sneaky"]["is_staff"])


# A canary config value

CANARY = f"canary-{uuid.uuid4().hex}"


@pytest.fixture
def canary(users, caplog):
    """``deis config:set CANARY=…`` on ``myapp``, shared with ``collab``; controller logs are captured."""
    caplog.set_level(logging.DEBUG)
    owner = users["owner"]
    ok(owner.post(f"/v1/apps/{APP}/perms/", json={"username": "collab"}))
    ok(owner.post(f"/v1/apps/{APP}/config/", json={"values": {"CANARY": CANARY}}))
    return CANARY


def get_routes() -> list[str]:
    """Every documented GET path, filled in for ``myapp`` (release v3 is the canary's)."""
    paths = [p for p, item in openapi.document()["paths"].items() if "get" in item and "{fingerprint}" not in p]
    return [p.format(app_id=APP, type="web", num=1, version=3, uuid="x", key_id="x", common_name=DOMAIN)
            for p in paths]


def test_the_canary_reaches_the_containers_and_config_list_of_members_only(app, users, canary):
    fake = app.extensions["deis.runtime"].scheduler
    running = [c.spec for c in fake.containers_by_name.values() if c.spec.labels.get("deis.release") == "v3"]
    assert running and all(spec.environment["CANARY"] == canary for spec in running)
    for member in ("owner", "collab", "admin"):
        assert users[member].get(f"/v1/apps/{APP}/config/").get_json()["values"]["CANARY"] == canary
    assert canary not in users["stranger"].get(f"/v1/apps/{APP}/config/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["owner", "collab", "admin", "stranger", "victim", None])
def test_the_canary_is_in_no_other_answer(client, users, canary, who):
    headers = {"Authorization": f"token {users[who].token}"} if who else {}
    for path in get_routes():
        if path == f"/v1/apps/{APP}/config/" and who in ("owner", "collab", "admin"):
            continue
        assert canary not in client.get(path, headers=headers).get_data(as_text=True), (who, path)


def test_release_summaries_name_the_key_not_the_value(users, canary):
    releases = users["owner"].get(f"/v1/apps/{APP}/releases/").get_json()["results"]
    assert releases[0]["summary"] == "owner added CANARY"
    assert canary not in str(releases)


def test_the_canary_is_not_in_the_controllers_log(client, users, canary, caplog):
    users["owner"].post(f"/v1/apps/{APP}/config/", json={"values": {"CANARY": canary, "1BAD": canary}})
    users["owner"].post(f"/v1/apps/{APP}/containers/restart/")
    assert caplog.records, "no log record was captured: the check would prove nothing"
    assert [r.getMessage() for r in caplog.records if canary in r.getMessage()] == []


def test_the_canary_is_nowhere_in_etcd(etcd, users, canary):
    """The router's keys are published (a healthcheck setting is), but never an ordinary value."""
    users["owner"].post(f"/v1/apps/{APP}/config/", json={"values": {"HEALTHCHECK_URL": "/health"}})
    everything, _revision = etcd.get_prefix("/")
    assert everything, "etcd is empty: the check would prove nothing"
    assert any(key.startswith(f"/deis/config/{APP}/") for key in everything)
    assert {key: value for key, value in everything.items() if canary in key + value} == {}
