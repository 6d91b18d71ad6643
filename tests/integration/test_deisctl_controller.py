"""deisctl runs etcd, the database and the controller; the API answers over HTTP.

The data directory is a fresh folder under /tmp (not pytest's 0700 tmp_path,
which the ``postgres`` system user could not reach), with free ports.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
import requests

from deis import keys
from tests.platform import Deisctl, isolated_platform

COMPONENTS = ("etcd", "database", "controller")


@pytest.fixture
def deisctl():
    with isolated_platform("deis-ctl-") as ctl:  # free ports for etcd, Redis, the database and the controller
        yield ctl


def api(ctl: Deisctl, path: str) -> str:
    return f"http://127.0.0.1:{ctl.environ['DEIS_CONTROLLER_PORT']}{path}"


def listening_addresses(port: int) -> set[str]:
    return {c.laddr.ip for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.laddr.port == port}


def postgres_running(data: Path) -> bool:
    return any(str(data) in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))


def test_start_database_and_controller_register_stop_and_start_again(deisctl):
    deisctl("install", *COMPONENTS)
    started = deisctl("start", *COMPONENTS)
    assert "controller: running" in started.stdout
    status = deisctl.status()
    assert [status[name][0] for name in COMPONENTS] == ["running"] * 3

    etcd = deisctl.etcd
    assert etcd.get(keys.port("database")) == deisctl.environ["DEIS_DATABASE_PORT"]
    assert etcd.get(keys.component("database", "user")) == "deis"
    assert len(etcd.get(keys.component("database", "password"))) >= 24
    assert etcd.get(keys.port("controller")) == deisctl.environ["DEIS_CONTROLLER_PORT"]
    assert etcd.get(keys.component("controller", "builderKey"))

    assert requests.get(api(deisctl, "/healthz"), timeout=10).text == "OK"
    # Loopback only, where it is announced: the router is the way in (issue 12, item 5).
    assert listening_addresses(int(deisctl.environ["DEIS_CONTROLLER_PORT"])) == {"127.0.0.1"}
    assert etcd.get(keys.host("controller")) == "127.0.0.1"
    user = {"username": "first", "password": "pw pw pw", "email": "first@example.com"}
    registered = requests.post(api(deisctl, "/v1/auth/register/"), json=user, timeout=30)
    assert registered.status_code == 201 and registered.json()["is_superuser"] is True
    token = requests.post(api(deisctl, "/v1/auth/login/"), json=user, timeout=30).json()["token"]
    created = requests.post(api(deisctl, "/v1/apps/"), json={"id": "hello"},
                            headers={"Authorization": f"token {token}"}, timeout=30)
    assert created.status_code == 201
    assert etcd.get(keys.app_marker("hello")) == "hello"
    assert "/v1/hooks/key/{fingerprint}" in requests.get(api(deisctl, "/v1/openapi.json"), timeout=10).json()["paths"]

    assert "Traceback" not in deisctl("journal", "controller", "-n", "500").stdout  # nor its recovery child

    deisctl("stop", "platform")
    assert deisctl.supervised_pids() == []
    data = deisctl.root / "database"
    assert not postgres_running(data)
    assert (data / "PG_VERSION").is_file()
    journal = deisctl("journal", "database", "-n", "200").stdout
    assert "received fast shutdown request" in journal and "database system is shut down" in journal
    assert "FATAL" not in journal

    # Everything comes back from the same data: the cluster is reused, not re-created.
    deisctl("start", *COMPONENTS)
    login = requests.post(api(deisctl, "/v1/auth/login/"), json=user, timeout=30)
    assert login.status_code == 200
    assert etcd.get(keys.app_marker("hello")) == "hello"
    deisctl("stop", "platform")
    assert deisctl.supervised_pids() == []
    assert not postgres_running(data)
    assert etcd.healthy() is False


# deis logs -f, while others use the API

def register_and_login(ctl: Deisctl, username: str) -> dict[str, str]:
    user = {"username": username, "password": "pw pw pw", "email": f"{username}@example.com"}
    assert requests.post(api(ctl, "/v1/auth/register/"), json=user, timeout=30).status_code == 201
    token = requests.post(api(ctl, "/v1/auth/login/"), json=user, timeout=30).json()["token"]
    return {"Authorization": f"token {token}"}


def follow(ctl: Deisctl, headers: dict[str, str], app: str) -> requests.Response:
    """Open ``deis logs -f`` of ``app``; return once the stream's headers came (or 10 s passed)."""
    return requests.get(api(ctl, f"/v1/apps/{app}/logs/?follow=1"), headers=headers, stream=True, timeout=10)


def test_open_follows_leave_the_api_answering_and_the_fifth_of_one_user_is_429(deisctl):
    """Two workers (as the test platform runs them): with sync workers, two follows stopped the API."""
    deisctl("install", "etcd", "database", "logger", "controller")
    deisctl("start", "etcd", "database", "logger", "controller")
    alice, bob = register_and_login(deisctl, "alice"), register_and_login(deisctl, "bob")
    for headers, app in ((alice, "alices"), (bob, "bobs")):
        created = requests.post(api(deisctl, "/v1/apps/"), json={"id": app}, headers=headers, timeout=30)
        assert created.status_code == 201
    streams = []
    try:
        for _ in range(4):  # maxFollowsPerUser
            streams.append(follow(deisctl, alice, "alices"))
            assert streams[-1].status_code == 200
        started = time.monotonic()
        listed = requests.get(api(deisctl, "/v1/apps/"), headers=bob, timeout=10)
        latency = time.monotonic() - started
        assert listed.status_code == 200 and latency < 1.0, latency
        refused = follow(deisctl, alice, "alices")
        assert refused.status_code == 429 and refused.reason == "TOO MANY REQUESTS"
        assert "You already have 4 'deis logs -f' streams open" in refused.json()["detail"]
        streams.append(follow(deisctl, bob, "bobs"))  # caps are per user
        assert streams[-1].status_code == 200
        streams.pop(0).close()  # alice ends one stream: her slot comes back
        deadline = time.monotonic() + 10
        while (again := follow(deisctl, alice, "alices")).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert again.status_code == 200
        streams.append(again)
    finally:
        for stream in streams:
            stream.close()
