"""The builder's hooks: push, config, key lookup; authorized by ``X-Deis-Builder-Auth``."""

import pytest

from tests.integration.controller.conftest import BUILDER_KEY, Api, make_app

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAp9Ajwd9nH9c3tXGfFxdpVUaH0fDhSHhfKzK1O3jBMG owner@laptop"


@pytest.fixture
def app(etcd_app):
    """The app with a known builder key."""
    return etcd_app


@pytest.fixture
def builder(client):
    """The builder: no user token, the right builder key."""
    return Api(client, headers={"X-Deis-Builder-Auth": BUILDER_KEY})


@pytest.fixture
def myapp(owner):
    assert owner.post("/v1/apps/", json={"id": "myapp"}).status_code == 201
    return "myapp"


@pytest.fixture
def key(owner):
    response = owner.post("/v1/keys/", json={"id": "owner@laptop", "public": ED25519})
    assert response.status_code == 201
    return response.get_json()


PUSH = {"receive_user": "owner", "receive_repo": "myapp", "sha": "a" * 40, "fingerprint": "SHA256:x",
        "ssh_connection": "10.0.0.1 50000 10.0.0.2 2222", "ssh_original_command": "git-receive-pack 'myapp.git'"}


def calls(fingerprint):
    return [("post", "/v1/hooks/push/", PUSH), ("post", "/v1/hooks/config/", PUSH),
            ("get", f"/v1/hooks/key/{fingerprint}", None)]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["push", "config", "key"])
def test_hooks_auth_matrix(client, owner, myapp, key, index):
    method, path, body = calls(key["fingerprint_sha256"])[index]

    def call(headers):
        return getattr(client, method)(path, json=body, headers=headers)

    assert call({}).status == "401 UNAUTHORIZED"
    assert call({"X-Deis-Builder-Auth": "wrong"}).status == "403 FORBIDDEN"
    assert call({"Authorization": f"token {owner.token}"}).status == "401 UNAUTHORIZED"
    assert call({"X-Deis-Builder-Auth": BUILDER_KEY}).status_code in (200, 201)


def test_no_builder_key_configured_refuses_every_key(database_url, etcd):
    app = make_app(database_url, etcd.endpoint)
    try:
        response = app.test_client().get("/v1/hooks/key/SHA256:abc", headers={"X-Deis-Builder-Auth": "anything"})
        assert response.status == "403 FORBIDDEN"
    finally:
        app.extensions["deis.db"].dispose()


# key lookup


def test_key_lookup_by_sha256_and_md5(builder, key):
    for fingerprint in (key["fingerprint_sha256"], key["fingerprint"], key["fingerprint"].upper(),
                        "MD5:" + key["fingerprint"], key["fingerprint_sha256"] + "="):
        response = builder.get(f"/v1/hooks/key/{fingerprint}")
        assert response.status == "200 OK", fingerprint
        body = response.get_json()
        assert body["username"] == "owner"
        assert body["key"]["public"] == ED25519 and body["key"]["id"] == "owner@laptop"


def test_key_lookup_unknown_is_404(builder, key):
    response = builder.get("/v1/hooks/key/SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert response.status == "404 NOT FOUND"
    assert "deis keys:add" in response.get_json()["detail"]


# push


def test_push_is_recorded(builder, myapp):
    response = builder.post("/v1/hooks/push/", json=PUSH)
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert (body["owner"], body["app"], body["sha"]) == ("owner", "myapp", "a" * 40)
    assert body["ssh_original_command"] == PUSH["ssh_original_command"]


def test_push_by_stranger_is_403_and_unknowns_are_404(builder, myapp, other, collaborator, owner):
    assert builder.post("/v1/hooks/push/", json={**PUSH, "receive_user": "stranger"}).status == "403 FORBIDDEN"
    assert builder.post("/v1/hooks/push/", json={**PUSH, "receive_user": "nobody"}).status == "404 NOT FOUND"
    assert builder.post("/v1/hooks/push/", json={**PUSH, "receive_repo": "nope"}).status == "404 NOT FOUND"
    owner.post("/v1/apps/myapp/perms/", json={"username": "collab"})
    assert builder.post("/v1/hooks/push/", json={**PUSH, "receive_user": "collab"}).status_code == 201


def test_push_with_bad_sha_is_400(builder, myapp):
    response = builder.post("/v1/hooks/push/", json={**PUSH, "sha": "not-a-sha"})
    assert response.status == "400 BAD REQUEST" and list(response.get_json()) == ["sha"]
    assert builder.post("/v1/hooks/push/", json={"sha": "ab"}).get_json() == {
        "receive_user": ["This field is required."], "receive_repo": ["This field is required."]}


# config


def test_config_hook_returns_the_current_config(builder, myapp):
    response = builder.post("/v1/hooks/config/", json={"receive_user": "owner", "receive_repo": "myapp"})
    assert response.status == "200 OK"
    body = response.get_json()
    assert body["app"] == "myapp" and body["values"] == {} and body["owner"] == "owner"


def test_config_hook_by_stranger_is_403(builder, myapp, other):
    response = builder.post("/v1/hooks/config/", json={"receive_user": "stranger", "receive_repo": "myapp"})
    assert response.status == "403 FORBIDDEN"
