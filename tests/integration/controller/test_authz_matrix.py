"""Who may call what (reliability plan T13): every documented route × every kind of caller.

The callers are an app's owner, a collaborator, an administrator, a user
with no relation to the app, an anonymous client and a cancelled user's old
token; app routes are called on an existing and on a missing app. The
expected status of every cell comes from :data:`ROWS`, written from Deis v1's
rules (reference §1.2 and §1.5): 401 without a valid token, 404 for a missing
app (before any permission check), 403 for a stranger; collaborators may do
everything on the app but DELETE, sharing it and transferring it; admins may
do everything. A route of ``/v1/openapi.json`` without a row fails
:func:`test_every_documented_route_has_a_row`, so a new route must get one.

Builder hooks are authorized by ``X-Deis-Builder-Auth`` instead: each is
called with the right key, a wrong one and none, and then on behalf of each
kind of pushing user (the decision ``git push`` rests on).

The scheduler is the in-memory fake: what is under test is the API's
decision, the database (PostgreSQL) and the rules are real.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import create_engine, text

from controller import passwords
from controller.db import engine_url
from controller.models import Base
from controller.scheduler.fake import FakeScheduler
from tests import tlscerts
from tests.integration.controller.conftest import BUILDER_KEY, new_public_key, on_fake_scheduler, register

APP, MISSING = "myapp", "no-such-app"
OWNER, COLLABORATOR, ADMIN, OTHER = "owner", "collaborator", "admin", "other"
ANONYMOUS, CANCELLED = "anonymous", "cancelled"
ACTORS = (OWNER, COLLABORATOR, ADMIN, OTHER, ANONYMOUS, CANCELLED)
USERS = {OWNER: "owner", COLLABORATOR: "collab", ADMIN: "admin", OTHER: "stranger", CANCELLED: "gone"}
MEMBERS = frozenset({OWNER, COLLABORATOR, ADMIN})
MANAGERS = frozenset({OWNER, ADMIN})
PROCFILE = {"web": "serve"}
CERT_DOMAIN, FREE_DOMAIN = "www.example.org", "api.example.org"


@dataclass(frozen=True)
class AppRow:
    """An app route: members in ``allowed`` get ``ok``, other users 403, missing apps 404."""

    ok: int
    body: Any = None
    allowed: frozenset[str] = MEMBERS


@dataclass(frozen=True)
class UserRow:
    """A route outside any app: the status of each caller, written out."""

    statuses: dict[str, int]
    body: Any = None
    #: ``{name}`` placeholders of the path, filled from :class:`World`.
    params: dict[str, str] = field(default_factory=dict)


def everyone(status: int, **exceptions: int) -> dict[str, int]:
    """Return ``status`` for every caller but those named in ``exceptions``."""
    return {**dict.fromkeys(ACTORS, status), **exceptions}


def logged_in(status: int, **exceptions: int) -> dict[str, int]:
    """Return ``status`` for every user with a valid token; 401 for anonymous and cancelled."""
    return everyone(status, anonymous=401, cancelled=401, **exceptions)


def admins_only(status: int) -> dict[str, int]:
    """Return ``status`` for the admin, 403 for other users, 401 without a valid token."""
    return logged_in(403, admin=status)


MINE_ONLY = logged_in(404, owner=200)  # keys and certs are per user: anyone else's is not found

#: The v1 table, keyed by ``(method, path template)`` exactly as in the OpenAPI document.
A = "/v1/apps/{app_id}"
ROWS: dict[tuple[str, str], AppRow | UserRow] = {
    ("get", "/healthz"): UserRow(everyone(200)),
    ("head", "/healthz"): UserRow(everyone(200)),
    ("get", "/v1/openapi.json"): UserRow(everyone(200)),
    ("get", "/v1/"): UserRow(logged_in(200)),
    # Registration is open (the default mode), but an invalid token is refused even here (as DRF did).
    ("post", "/v1/auth/register/"): UserRow(everyone(201, cancelled=401),
                                            {"username": "newbie", "password": "newbie pass", "email": "n@x.org"}),
    ("post", "/v1/auth/login/"): UserRow(everyone(200), {"username": "victim", "password": "s3cret pass"}),
    # Acting on another account: the victim's, which owns nothing.
    ("delete", "/v1/auth/cancel/"): UserRow(admins_only(204), {"username": "victim"}),
    ("post", "/v1/auth/passwd/"): UserRow(admins_only(200), {"username": "victim", "new_password": "n3w pass!"}),
    ("post", "/v1/auth/tokens/"): UserRow(admins_only(200), {"username": "victim"}),
    ("get", "/v1/users/"): UserRow(admins_only(200)),
    ("get", "/v1/keys/"): UserRow(logged_in(200)),
    ("post", "/v1/keys/"): UserRow(logged_in(201), {"id": "me@laptop", "public": "<new key>"}),
    ("get", "/v1/keys/{key_id}"): UserRow(MINE_ONLY, params={"key_id": "key_id"}),
    ("delete", "/v1/keys/{key_id}"): UserRow(logged_in(404, owner=204), params={"key_id": "key_id"}),
    ("get", "/v1/apps/"): UserRow(logged_in(200)),
    ("post", "/v1/apps/"): UserRow(logged_in(201), {"id": "another"}),
    ("get", "/v1/admin/perms/"): UserRow(admins_only(200)),
    ("post", "/v1/admin/perms/"): UserRow(admins_only(201), {"username": "victim"}),
    ("delete", "/v1/admin/perms/{username}"): UserRow(admins_only(204), params={"username": "second_admin"}),
    ("get", "/v1/certs/"): UserRow(logged_in(200)),
    # Only who may administer the app holding the domain may add its certificate (issue 12 item 7).
    ("post", "/v1/certs/"): UserRow(logged_in(201, other=403), "<certificate of api.example.org>"),
    ("get", "/v1/certs/{common_name}"): UserRow(MINE_ONLY, params={"common_name": "cert_domain"}),
    ("delete", "/v1/certs/{common_name}"): UserRow(logged_in(404, owner=204), params={"common_name": "cert_domain"}),
    # The app itself: collaborators may neither transfer nor destroy it.
    ("get", A + "/"): AppRow(200),
    ("post", A + "/"): AppRow(200, {"owner": "stranger"}, MANAGERS),
    ("delete", A + "/"): AppRow(204, allowed=MANAGERS),
    ("get", A + "/logs/"): AppRow(204),  # no logger here: "no logs yet"
    ("post", A + "/run/"): AppRow(200, {"command": "true"}),
    ("post", A + "/scale/"): AppRow(204, {"web": 2}),
    ("get", A + "/containers/"): AppRow(200),
    ("get", A + "/containers/{type}/"): AppRow(200),
    ("get", A + "/containers/{type}/{num}/"): AppRow(200),
    ("post", A + "/containers/restart/"): AppRow(200),
    ("post", A + "/containers/{type}/restart/"): AppRow(200),
    ("post", A + "/containers/{type}/{num}/restart/"): AppRow(200),
    ("get", A + "/config/"): AppRow(200),
    ("post", A + "/config/"): AppRow(201, {"values": {"GREETING": "hi"}}),
    ("get", A + "/builds/"): AppRow(200),
    ("post", A + "/builds/"): AppRow(201, {"image": "example/img", "procfile": PROCFILE}),
    ("get", A + "/builds/{uuid}/"): AppRow(200),
    ("get", A + "/releases/"): AppRow(200),
    ("get", A + "/releases/v{version}/"): AppRow(200),
    ("post", A + "/releases/rollback/"): AppRow(201, {"version": 2}),
    ("get", A + "/domains/"): AppRow(200),
    ("post", A + "/domains/"): AppRow(201, {"domain": "new.example.org"}),
    ("delete", A + "/domains/{domain}"): AppRow(204, allowed=MANAGERS),
    ("get", A + "/perms/"): AppRow(200),
    ("post", A + "/perms/"): AppRow(201, {"username": "stranger"}, MANAGERS),
    # A collaborator may leave (remove themself); only managers remove others.
    ("delete", A + "/perms/{username}"): AppRow(204),
}

#: The builder's routes: the status with the right key (and a member as ``receive_user``).
HOOKS: dict[tuple[str, str], int] = {
    ("post", "/v1/hooks/push/"): 201,
    ("post", "/v1/hooks/build/"): 200,
    ("post", "/v1/hooks/config/"): 200,
    ("get", "/v1/hooks/key/{fingerprint}"): 200,
}


@dataclass
class World:
    """Everything the matrix acts on: the users' clients and the app's sub-resources."""

    client: Any
    apis: dict[str, Any]
    build_uuid: str
    key_id: str
    fingerprint: str
    cert_domain: str = CERT_DOMAIN
    second_admin: str = "admin2"

    def app_path(self, template: str, app_id: str) -> str:
        """Fill an app route's template: the existing build, container ``web.1``, release v2…"""
        return template.format(app_id=app_id, type="web", num=1, uuid=self.build_uuid, version=2,
                               domain=CERT_DOMAIN, username="collab")

    def request(self, actor: str, method: str, path: str, body: Any = None, headers: dict | None = None):
        """Call ``method path`` as ``actor`` with a JSON ``body``."""
        api = self.apis.get(actor)
        auth = {"Authorization": f"token {api.token}"} if api is not None else {}
        kwargs = {} if body is None else {"json": body}
        return self.client.open(path, method=method.upper(), headers={**auth, **(headers or {})}, **kwargs)


@pytest.fixture(scope="module")
def app(database_url):
    """The controller on the fake scheduler, with a builder key."""
    yield from on_fake_scheduler(database_url)


@pytest.fixture(scope="module")
def client(app):
    """An anonymous test client of the module's controller."""
    return app.test_client()


class Snapshot:
    """The module schema's rows and sequences, copied aside once and put back before each test.

    Building the world through the API takes ~0.3 s; restoring it takes a
    few milliseconds, and the matrix has hundreds of cells.
    """

    def __init__(self, database_url: str, fake: FakeScheduler):
        self.engine = create_engine(engine_url(database_url), isolation_level="AUTOCOMMIT")
        self.tables = [table.name for table in Base.metadata.sorted_tables]
        self.fake = fake
        with self.engine.connect() as connection:
            self.schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            connection.execute(text(f"DROP SCHEMA IF EXISTS {self.schema}_snap CASCADE; "
                                    f"CREATE SCHEMA {self.schema}_snap"))
            for name in self.tables:
                connection.execute(text(f"CREATE TABLE {self.schema}_snap.{name} AS TABLE {name}"))
            self.sequences = connection.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")).all()
        self.containers = copy.deepcopy(fake.containers_by_name)

    def restore(self) -> None:
        """Put every row, sequence and fake container back as they were when taken."""
        with self.engine.connect() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(self.tables)} CASCADE"))
            for name in self.tables:
                connection.execute(text(f"INSERT INTO {name} SELECT * FROM {self.schema}_snap.{name}"))
            for sequence, value in self.sequences:
                connection.execute(text("SELECT setval(:sequence, :value, :called)"),
                                   {"sequence": sequence, "value": value or 1, "called": value is not None})
        self.fake.containers_by_name = copy.deepcopy(self.containers)

    def drop(self) -> None:
        """Remove the copy."""
        with self.engine.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {self.schema}_snap CASCADE"))
        self.engine.dispose()


def ok(response, status: int = 201):
    """Assert a setup step succeeded and return its JSON."""
    assert response.status_code == status, (response.status, response.get_data(as_text=True))
    return response.get_json(silent=True)


def cancelled_user(client):
    """Return an :class:`Api` holding the token of a user who then cancelled their account."""
    gone = register(client, USERS[CANCELLED])
    ok(gone.delete("/v1/auth/cancel/"), 204)
    return gone


def share_and_route(owner, admin) -> None:
    """Share the app with the collaborator, route two domains, add a certificate, a second admin."""
    ok(owner.post(f"/v1/apps/{APP}/perms/", json={"username": USERS[COLLABORATOR]}))
    for domain in (CERT_DOMAIN, FREE_DOMAIN):
        ok(owner.post(f"/v1/apps/{APP}/domains/", json={"domain": domain}))
    certificate, key = tlscerts.pair(CERT_DOMAIN)
    ok(owner.post("/v1/certs/", json={"certificate": certificate, "key": key}))
    ok(admin.post("/v1/admin/perms/", json={"username": "admin2"}))


def build_world(client) -> World:
    """Users of every kind, and ``myapp`` deployed (web.1 up), shared, with domains, a cert and a key."""
    admin = register(client, USERS[ADMIN])
    apis = {ADMIN: admin, **{actor: register(client, USERS[actor]) for actor in (OWNER, COLLABORATOR, OTHER)}}
    for name in ("victim", "admin2"):
        register(client, name)
    apis[CANCELLED] = cancelled_user(client)
    owner = apis[OWNER]
    ok(owner.post("/v1/apps/", json={"id": APP}))
    build = ok(owner.post(f"/v1/apps/{APP}/builds/", json={"image": "example/img", "procfile": PROCFILE}))
    share_and_route(owner, admin)
    key = ok(owner.post("/v1/keys/", json={"id": "owner@laptop", "public": new_public_key("owner@laptop")}))
    return World(client, apis, build["uuid"], key["id"], key["fingerprint"])


@pytest.fixture(scope="module")
def built(app, client, database_url):
    """The world, built once per module through the API, and a snapshot of it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
        world = build_world(client)
    snapshot = Snapshot(database_url, app.extensions["deis.runtime"].scheduler)
    yield world, snapshot
    snapshot.drop()


@pytest.fixture
def world(built) -> World:
    """The world as built: every test starts from the same rows and containers."""
    world, snapshot = built
    snapshot.restore()
    return world


def user_row_request(world: World, actor: str, method: str, template: str, row: UserRow):
    """Call a :class:`UserRow` route as ``actor``, its placeholders and body filled in."""
    path = template.format(**{name: getattr(world, attr) for name, attr in row.params.items()})
    body = row.body
    if (method, template) == ("post", "/v1/keys/"):
        body = {**body, "public": new_public_key("me@laptop")}
    elif (method, template) == ("post", "/v1/certs/"):
        certificate, key = tlscerts.pair(FREE_DOMAIN)
        body = {"certificate": certificate, "key": key}
    return world.request(actor, method, path, body)


def cell(response) -> str:
    """Describe a response for an assertion message."""
    return f"{response.status} {response.get_data(as_text=True)[:200]!r}"


def expected_app_status(row: AppRow, actor: str, app_exists: bool) -> int:
    """The v1 rule: 401 without a valid token, then 404 for a missing app, then 403 or the success."""
    if actor in (ANONYMOUS, CANCELLED):
        return 401
    if not app_exists:
        return 404
    return row.ok if actor in row.allowed else 403


def test_every_documented_route_has_a_row(client):
    document = client.get("/v1/openapi.json").get_json()
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented - set(ROWS) - set(HOOKS) == set(), "a documented route has no row in the authz table"
    assert (set(ROWS) | set(HOOKS)) - documented == set(), "a row names a route the document lacks"


USER_ROUTES = [key for key, row in ROWS.items() if isinstance(row, UserRow)]
APP_ROUTES = [key for key, row in ROWS.items() if isinstance(row, AppRow)]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method, template", USER_ROUTES)
def test_routes_outside_apps(world, method, template, actor):
    row = ROWS[(method, template)]
    response = user_row_request(world, actor, method, template, row)
    assert response.status_code == row.statuses[actor], cell(response)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method, template", APP_ROUTES)
def test_app_routes(world, method, template, actor):
    row = ROWS[(method, template)]
    missing = world.request(actor, method, world.app_path(template, MISSING), row.body)
    assert missing.status_code == expected_app_status(row, actor, app_exists=False), cell(missing)
    existing = world.request(actor, method, world.app_path(template, APP), row.body)
    assert existing.status_code == expected_app_status(row, actor, app_exists=True), cell(existing)


def test_a_stranger_lists_nothing_of_anyone_else(world):
    """List routes answer 200 to everyone, so their content is the authz: only what is the caller's."""
    for path in ("/v1/apps/", "/v1/keys/", "/v1/certs/"):
        assert world.request(OTHER, "get", path).get_json()["results"] == [], path
    assert [a["id"] for a in world.request(COLLABORATOR, "get", "/v1/apps/").get_json()["results"]] == [APP]
    assert [a["id"] for a in world.request(ADMIN, "get", "/v1/apps/").get_json()["results"]] == [APP]
    assert world.request(COLLABORATOR, "get", "/v1/keys/").get_json()["results"] == []


def test_a_collaborator_cannot_remove_another_collaborator(world):
    register(world.client, "collab2")
    ok(world.request(OWNER, "post", f"/v1/apps/{APP}/perms/", {"username": "collab2"}))
    assert world.request(COLLABORATOR, "delete", f"/v1/apps/{APP}/perms/collab2").status_code == 403
    assert world.request(OTHER, "delete", f"/v1/apps/{APP}/perms/collab2").status_code == 403


# Builder hooks × {right key, wrong key, none}, then × the pushing user

def hook_call(world: World, method: str, template: str, user: str = "owner", app_id: str = APP,
              key: str | None = BUILDER_KEY):
    """Call a hook with builder key ``key`` (no header when ``None``) on behalf of ``user``."""
    path = template.format(fingerprint=world.fingerprint)
    body = None
    if method == "post":
        body = {"receive_user": user, "receive_repo": app_id, "sha": "a" * 40,
                "image": "example/img", "procfile": PROCFILE}
    headers = {} if key is None else {"X-Deis-Builder-Auth": key}
    return world.request(ANONYMOUS, method, path, body, headers)


@pytest.mark.parametrize("key, expected", [(BUILDER_KEY, None), ("wrong-key", 403), ("", 401), (None, 401)],
                         ids=["right key", "wrong key", "empty key", "no key"])
@pytest.mark.parametrize("method, template", list(HOOKS))
def test_hooks_need_the_builder_key(world, method, template, key, expected):
    response = hook_call(world, method, template, key=key)
    assert response.status_code == (expected or HOOKS[(method, template)]), cell(response)


def test_hooks_do_not_take_a_user_token(world):
    for method, template in HOOKS:
        response = world.request(ADMIN, method, template.format(fingerprint=world.fingerprint), {})
        assert response.status_code == 401, cell(response)


PUSHERS = {OWNER: None, COLLABORATOR: None, ADMIN: None, OTHER: 403, CANCELLED: 404}


@pytest.mark.parametrize("actor", list(PUSHERS))
@pytest.mark.parametrize("method, template", [key for key in HOOKS if key[0] == "post"])
def test_hooks_act_only_for_users_of_the_app(world, method, template, actor):
    """``git push`` rests on these: who the builder pushes for must be a member of the app."""
    user = USERS[actor]
    missing = hook_call(world, method, template, user=user, app_id=MISSING)
    assert missing.status_code == 404, cell(missing)
    response = hook_call(world, method, template, user=user)
    assert response.status_code == (PUSHERS[actor] or HOOKS[(method, template)]), cell(response)
