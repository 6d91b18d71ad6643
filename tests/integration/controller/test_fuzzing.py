"""API fuzzing (reliability plan T15): schemathesis against ``/v1/openapi.json``, in process.

Every documented operation gets :data:`EXAMPLES` generated requests, sent to
the controller's WSGI app (real PostgreSQL, the in-memory fake scheduler)
with a plain user's real token and the builder key, and every response goes
through all of schemathesis's checks: no 5xx, a status, content type, headers
and body the document allows, and no operation that answers without the
credentials it declares. Half of the requests name an app that exists and is
deployed, so they reach past the 404 of a random app id. There is no
stateful phase yet: the document declares no links for it to follow.

The pass figure is 0 failures. Limits the fuzzer cannot find on its own
(an oversize body, 10,000 config keys) have tests of their own at the end.
"""

from __future__ import annotations

import io
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import ALL_CHECKS
from schemathesis.constants import NOT_SET
from schemathesis.generation import GenerationConfig
from schemathesis.specs.openapi.checks import ignored_auth, use_after_free

from controller import openapi
from tests.integration.controller.conftest import BUILDER_KEY, PASSWORD, on_fake_scheduler, register

#: Generated requests per operation: CI's budget (the soak run of the plan takes 10 minutes).
EXAMPLES = 30
APP = "myapp"
CHECKS = (*ALL_CHECKS, use_after_free)
OPERATIONS = [(path, method) for path, item in openapi.document()["paths"].items() for method in item]
HYPOTHESIS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def app(database_url):
    """The controller on the fake scheduler, with a builder key."""
    yield from on_fake_scheduler(database_url)


class Caller:
    """A plain user who owns ``myapp``; logs in again and re-creates the app when the fuzzer undoes them."""

    def __init__(self, client):
        self.client = client
        register(client, "admin")  # the first user is the admin; the fuzzer acts as a plain user
        self.token = register(client, "owner").token

    def headers(self) -> dict[str, str]:
        """The credentials of every request: the user's token and the builder key."""
        return {"Authorization": f"token {self.token}", "X-Deis-Builder-Auth": BUILDER_KEY}

    def restore(self) -> None:
        """Make sure the token works and ``myapp`` exists, deployed."""
        if self.client.get("/v1/", headers=self.headers()).status_code == 401:
            login = {"username": "owner", "password": PASSWORD}
            self.token = self.client.post("/v1/auth/login/", json=login).get_json()["token"]
        if self.client.get(f"/v1/apps/{APP}/", headers=self.headers()).status_code == 404:
            self.client.post("/v1/apps/", json={"id": APP}, headers=self.headers())
            build = {"image": "example/img", "procfile": {"web": "serve", "worker": "work"}}
            self.client.post(f"/v1/apps/{APP}/builds/", json=build, headers=self.headers())


@pytest.fixture(scope="module")
def schema(app):
    """The document as schemathesis reads it, bound to the app; credentials are ours, never generated."""
    return schemathesis.from_dict(openapi.document(), app=app,
                                  generation_config=GenerationConfig(with_security_parameters=False))


@pytest.fixture(scope="module")
def caller(app):
    """The user the fuzzer acts as."""
    return Caller(app.test_client())


def describe(case, response) -> str:
    """Say what was sent and what came back, for a failure message."""
    body = case.body if case.body is not NOT_SET else None
    return (f"{case.method} {case.formatted_path} {json.dumps(body, default=repr)[:300]} -> "
            f"{response.status_code} {response.get_data(as_text=True)[:300]!r}")


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_operation_survives_fuzzing(app, schema, caller, path, method):
    operation = schema[path][method]
    # A wrong builder key answers 403 (v1's contract, asserted cell by cell in test_authz_matrix.py);
    # schemathesis's ignored_auth wants 401 for any invalid credential.
    checks = tuple(c for c in CHECKS if c is not ignored_auth) if path.startswith("/v1/hooks/") else CHECKS

    @given(case=operation.as_strategy(), real_app=st.booleans())
    @HYPOTHESIS
    def fuzz(case, real_app):
        caller.restore()
        if real_app and "app_id" in (case.path_parameters or {}):
            case.path_parameters["app_id"] = APP
        case.headers = case.headers or {}  # ignored_auth writes into it (schemathesis 3.39 assumes a dict)
        headers = caller.headers()
        response = case.call_wsgi(app, headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers, transport_kwargs={"headers": headers})
        except AssertionError as exc:
            raise AssertionError(f"{describe(case, response)}\n{exc}") from None

    fuzz()


# Limits the fuzzer does not reach (reliability plan T15)

def test_ten_thousand_config_keys_are_refused_with_a_sentence(app, caller):
    caller.restore()
    before = app.test_client().get(f"/v1/apps/{APP}/releases/", headers=caller.headers()).get_json()["count"]
    values = {f"KEY_{n}": "x" for n in range(10_000)}
    response = app.test_client().post(f"/v1/apps/{APP}/config/", json={"values": values}, headers=caller.headers())
    assert response.status_code == 400
    assert response.get_json() == {"values": [
        "values may hold at most 1000 keys, not 10000; unset some first ('deis config:unset <KEY>...')"]}
    after = app.test_client().get(f"/v1/apps/{APP}/releases/", headers=caller.headers()).get_json()["count"]
    assert after == before


def test_the_key_cap_is_per_app_not_per_request(app, caller):
    caller.restore()
    client = app.test_client()
    first = {f"FIRST_{n}": "x" for n in range(600)}
    assert client.post(f"/v1/apps/{APP}/config/", json={"values": first}, headers=caller.headers()).status_code == 201
    second = {f"SECOND_{n}": "x" for n in range(600)}
    response = client.post(f"/v1/apps/{APP}/config/", json={"values": second}, headers=caller.headers())
    assert response.status_code == 400 and "at most 1000 keys, not 1200" in response.get_json()["values"][0]
    unset = {key: None for key in first}
    assert client.post(f"/v1/apps/{APP}/config/", json={"values": unset}, headers=caller.headers()).status_code == 201


@pytest.mark.parametrize("chunked", [False, True], ids=["with Content-Length", "chunked"])
def test_a_ten_megabyte_body_is_413_with_a_sentence(app, caller, chunked):
    caller.restore()
    body = b'{"values": {"BIG": "' + b"x" * (10 * 1024 * 1024) + b'"}}'
    headers = {**caller.headers(), "Content-Type": "application/json"}
    if chunked:
        # gunicorn de-chunks the body and says so with wsgi.input_terminated, as Werkzeug expects.
        response = app.test_client().post(f"/v1/apps/{APP}/config/", input_stream=io.BytesIO(body),
                                          headers={**headers, "Transfer-Encoding": "chunked"},
                                          environ_overrides={"wsgi.input_terminated": True})
    else:
        response = app.test_client().post(f"/v1/apps/{APP}/config/", data=body, headers=headers)
    assert response.status == "413 REQUEST ENTITY TOO LARGE"
    assert response.get_json() == {"detail": f"Request body is larger than {4 * 1024 * 1024} bytes."}
