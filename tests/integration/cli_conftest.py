"""Fixtures for ``deis`` CLI tests: a real controller over HTTP on a real PostgreSQL.

Loaded by the ``test_cli_*`` modules with ``pytest_plugins``. Each test module
gets a fresh, migrated schema and a controller made by ``create_app`` and
served by Werkzeug in a background thread on a free port; the CLI runs
in-process (click's runner) and reaches it through real HTTP. Tables are
emptied after each test. Each user gets a home directory of their own, hence a
session file of their own.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, make_url, text
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.serving import make_server

from controller import passwords
from controller.app import create_app
from controller.db import engine_url, migrate
from controller.models import Base
from deis.cli import main
from deis.cli.context import State
from deis.client import load_session

PASSWORD = "s3cret pass"
PLATFORM_DOMAIN = "example.com"


def _execute(url: str, sql: str) -> None:
    engine = create_engine(engine_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cli_database_url(postgres_url, request) -> Iterator[str]:
    """A URL on a fresh, migrated schema of this test module's own."""
    schema = "test_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    _execute(postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    migrate(url)
    yield url
    _execute(postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@dataclass
class Controller:
    """A controller serving HTTP on loopback."""

    url: str
    app: object

    def has_route(self, method: str, path: str) -> bool:
        """Return whether the controller has an endpoint for ``method path`` (yet)."""
        try:
            self.app.url_map.bind("localhost").match(path, method)
        except (NotFound, MethodNotAllowed):
            return False
        return True

    def require(self, method: str, path: str) -> None:
        """Fail the test when the endpoint it drives is missing: a renamed route must not pass as a skip."""
        assert self.has_route(method, path), f"the controller has no {method} {path} endpoint"


#: A web process the busybox base image can run: serves its release on $PORT.
WEB_COMMAND = 'echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'


@pytest.fixture(scope="module")
def controller_settings() -> dict:
    """Controller settings of the module's controller; a module overrides it (a shorter ``startTimeout``)."""
    return {"schedulerModule": "docker", "startTimeout": 10.0, "stopGracePeriod": 1, "routerWaitTimeout": 2}


@pytest.fixture(scope="module")
def controller(cli_database_url, etcd_endpoint, docker_client, controller_settings) -> Iterator[Controller]:
    """The controller app of this module's schema, served over HTTP, with real etcd and Docker."""
    app = create_app({"TESTING": True, "DEIS_ETCD": etcd_endpoint, "DEIS_MIGRATE": False, "DEIS_SETTINGS": {
        "databaseUrl": cli_database_url, "platformDomain": PLATFORM_DOMAIN, **controller_settings}})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="cli-controller", daemon=True)
    thread.start()
    yield Controller(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(10)
    app.extensions["deis.db"].dispose()


@pytest.fixture
def cli_env(controller, cli_database_url, tmp_path, monkeypatch) -> Iterator[Path]:
    """A working directory for the test; cheap password hashing; tables emptied afterwards."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    monkeypatch.delenv("DEIS_PROFILE", raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    yield workdir
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    _execute(cli_database_url, f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@dataclass
class Deis:
    """The ``deis`` command as one person at their own terminal (home directory)."""

    controller: Controller
    home: Path
    username: str | None = None

    def __call__(self, *args: str, input: str | None = None) -> Result:
        """Run ``deis <args>`` and return click's result (stdout, stderr, exit code)."""
        return CliRunner().invoke(main, list(args), input=input, obj=State(home=self.home),
                                  env={"HOME": str(self.home)}, prog_name="deis")

    def register(self, username: str, password: str = PASSWORD) -> Result:
        """Run ``deis register`` for ``username`` with every answer given as an option."""
        result = self("register", self.controller.url, "--username", username, "--password", password,
                      "--email", f"{username}@example.com")
        self.username = username
        return result

    @property
    def token(self) -> str:
        """Return the token of this person's session file."""
        return load_session(self.home / ".deis" / "client.json").token


@pytest.fixture
def make_deis(controller, cli_env, tmp_path):
    """Return a factory of :class:`Deis` for a new person (registered and logged in when named)."""
    def make(username: str | None = None) -> Deis:
        home = tmp_path / f"home-{username or 'anonymous'}"
        home.mkdir()
        person = Deis(controller, home)
        if username is not None:
            result = person.register(username)
            assert result.exit_code == 0, result.output
        return person
    return make


@pytest.fixture
def anonymous(make_deis) -> Deis:
    """Someone who has not logged in."""
    return make_deis()


@pytest.fixture
def admin(make_deis) -> Deis:
    """The first registered user, hence an administrator."""
    return make_deis("admin")


@pytest.fixture
def alice(make_deis, admin) -> Deis:
    """A plain user, registered after the admin."""
    return make_deis("alice")


@pytest.fixture
def bob(make_deis, admin) -> Deis:
    """Another plain user."""
    return make_deis("bob")


@pytest.fixture
def repo(cli_env) -> Path:
    """The working directory made a git repository."""
    subprocess.run(["git", "init", "-q"], cwd=cli_env, check=True)
    return cli_env


@pytest.fixture
def deployed(alice, controller, base_image, docker_client) -> Iterator[str]:
    """App ``myapp`` of alice with a build deployed by ``deis pull`` (busybox httpd as web); removed after."""
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    result = alice("pull", base_image, "-a", "myapp", "-p", f"web: {WEB_COMMAND}")
    assert result.exit_code == 0, result.output
    yield "myapp"
    for container in docker_client.containers.list(all=True, filters={"label": "deis.app=myapp"}):
        container.remove(force=True)


@pytest.fixture
def password() -> str:
    """The password every test user registers with."""
    return PASSWORD


@pytest.fixture
def git_remotes(repo):
    """Return a function listing ``{name: url}`` of the test's repository."""
    def remotes() -> dict[str, str]:
        out = subprocess.run(["git", "remote", "-v"], cwd=repo, check=True, capture_output=True, text=True).stdout
        return {line.split()[0]: line.split()[1] for line in out.splitlines()}
    return remotes
