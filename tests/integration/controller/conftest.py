"""Fixtures for controller API tests: a real PostgreSQL schema per module, a test client.

Each test module gets its own schema in the session's PostgreSQL, migrated by
``controller.db.migrate`` exactly as the controller does on start; every
table is emptied after each test. Users are made through the real
``/v1/auth/register/`` endpoint, and act through :class:`Api`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import create_engine, make_url, text

from controller import passwords
from controller.app import create_app
from controller.db import engine_url, migrate
from controller.models import Base
from controller.scheduler.fake import FakeScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import NoRoutes
from controller.services.runtime import Runtime

PASSWORD = "s3cret pass"
PLATFORM_DOMAIN = "example.com"


def _schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _execute(base_url: str, sql: str) -> None:
    engine = create_engine(engine_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Hash with argon2's cheapest profile: same code path, a fraction of the CPU.

    The production parameters cost ~0.1 s per hash on this machine, and every
    test registers and logs in several users.
    """
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture(scope="module")
def database_url(postgres_url, request):
    """A URL whose connections use a fresh, migrated schema of this module's own."""
    schema = "test_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    _execute(postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    url = _schema_url(postgres_url, schema)
    migrate(url)
    yield url
    _execute(postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _empty_tables(url: str) -> None:
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    _execute(url, f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def make_app(database_url: str, etcd_endpoint: str | None = None, **settings: Any):
    """Return a controller app on ``database_url`` with setting overrides.

    Without ``etcd_endpoint`` the app has no etcd: it reads no settings from
    it and publishes nothing.
    """
    overrides = {"databaseUrl": database_url, "platformDomain": PLATFORM_DOMAIN, **settings}
    return create_app({"TESTING": True, "DEIS_ETCD": etcd_endpoint, "DEIS_SETTINGS": overrides})


@pytest.fixture
def app(database_url):
    """The controller app, on emptied tables."""
    application = make_app(database_url)
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


#: The builder key of :func:`etcd_app` (what ``X-Deis-Builder-Auth`` must carry).
BUILDER_KEY = "test-builder-key"


def on_fake_scheduler(database_url: str, etcd_endpoint: str | None = None):
    """Yield a controller app with a builder key on the fake scheduler (every health check passes).

    Tables are emptied afterwards. For the suites that drive every route
    (authz matrix, mass assignment, fuzzing): below the API all is pure logic.
    """
    application = make_app(database_url, etcd_endpoint, builderKey=BUILDER_KEY)
    fake = FakeScheduler(run_result=(0, "ran\n"))
    health = HealthCheck(fake, probe=lambda spec, check: (True, ""))
    application.extensions["deis.runtime"] = Runtime(fake, Deployer(fake, health, NoRoutes(), grace=0))
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


def new_public_key(comment: str) -> str:
    """Return a fresh ed25519 public key in OpenSSH form."""
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    text = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}"


@pytest.fixture
def etcd_app(database_url, etcd):
    """The controller app publishing to the session's (emptied) etcd, on emptied tables."""
    application = make_app(database_url, etcd.endpoint, builderKey=BUILDER_KEY)
    yield application
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


@pytest.fixture
def client(app):
    """An anonymous test client."""
    return app.test_client()


@dataclass
class Api:
    """A test client acting as one user (or anonymously when ``token`` is ``None``)."""

    client: Any
    username: str | None = None
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def _headers(self) -> dict[str, str]:
        auth = {"Authorization": f"token {self.token}"} if self.token else {}
        return {**auth, **self.headers}

    def get(self, path: str, **kwargs):
        """GET ``path``."""
        return self.client.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs):
        """POST ``json`` to ``path``."""
        return self.client.post(path, json=json, headers=self._headers(), **kwargs)

    def delete(self, path: str, json: Any = None, **kwargs):
        """DELETE ``path`` (with an optional JSON body)."""
        return self.client.delete(path, json=json, headers=self._headers(), **kwargs)


def register(client, username: str, password: str = PASSWORD, **fields: Any) -> Api:
    """Register ``username`` and log in; return an :class:`Api` acting as them."""
    response = client.post("/v1/auth/register/", json={"username": username, "password": password,
                                                       "email": f"{username}@example.com", **fields})
    assert response.status_code == 201, response.get_json()
    response = client.post("/v1/auth/login/", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return Api(client, username, response.get_json()["token"])


@pytest.fixture
def anonymous(client):
    """An :class:`Api` without a token."""
    return Api(client)


@pytest.fixture
def admin(client):
    """The first registered user, hence an administrator."""
    return register(client, "admin")


@pytest.fixture
def owner(client, admin):
    """A plain user (registered after the admin)."""
    return register(client, "owner")


@pytest.fixture
def collaborator(client, admin):
    """Another plain user, meant to be given access to the owner's app."""
    return register(client, "collab")


@pytest.fixture
def other(client, admin):
    """A plain user with no relation to anyone's app."""
    return register(client, "stranger")
