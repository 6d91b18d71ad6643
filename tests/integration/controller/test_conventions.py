"""What every endpoint shares: status lines, version headers, slashes, error bodies."""

import pytest

from tests.integration.controller.conftest import make_app


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status == "200 OK" and response.data == b"OK"
    assert client.head("/healthz").status == "200 OK"


@pytest.mark.parametrize("path", ["/healthz", "/v1/apps/", "/v1/nothing-here"])
def test_every_response_carries_the_version_headers(client, path):
    headers = client.get(path).headers
    assert headers["DEIS_API_VERSION"] == "1.7"
    assert headers["DEIS_PLATFORM_VERSION"] == "1.13.4"
    assert headers["X_DEIS_API_VERSION"] == "1.7"
    assert headers["X_DEIS_PLATFORM_VERSION"] == "1.13.4"
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_api_root_without_token_is_401_and_with_token_200(anonymous, owner):
    assert anonymous.get("/v1/").status == "401 UNAUTHORIZED"
    assert owner.get("/v1/").status == "200 OK"


def test_unknown_path_is_404_not_found(owner):
    response = owner.get("/v1/nothing-here/")
    assert response.status == "404 NOT FOUND"
    assert response.get_json() == {"detail": "Not found"}


def test_wrong_method_is_405(owner):
    response = owner.client.put("/v1/apps/", headers={"Authorization": f"token {owner.token}"})
    assert response.status == "405 METHOD NOT ALLOWED"
    assert response.get_json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.parametrize("path", ["/v1/apps", "/v1/apps/", "/v1/keys", "/v1/auth/login"])
def test_trailing_slash_is_optional(owner, path):
    response = owner.get(path) if "login" not in path else owner.post(path, {"username": "owner"})
    assert response.status_code in (200, 400)
    assert response.status_code != 308


def test_body_larger_than_the_limit_is_413(database_url):
    client = make_app(database_url, maxBodyBytes=1024).test_client()
    response = client.post("/v1/auth/register/", data="x" * 4096, content_type="application/json")
    assert response.status == "413 REQUEST ENTITY TOO LARGE"
    assert "1024 bytes" in response.get_json()["detail"]


def test_body_that_is_not_an_object_is_400(owner):
    response = owner.post("/v1/apps/", ["myapp"])
    assert response.status == "400 BAD REQUEST"
    assert "JSON object" in response.get_json()["detail"]


def test_client_of_another_major_version_is_405(client):
    response = client.get("/v1/apps/", headers={"DEIS_VERSION": "2"})
    assert response.status == "405 METHOD NOT ALLOWED"
    assert response.get_json() == {
        "error": "Client and server versions do not match. Client version: 2 Server version: 1"}


def test_client_of_the_same_major_version_passes(client):
    assert client.get("/healthz", headers={"DEIS_VERSION": "1"}).status == "200 OK"
    assert client.get("/healthz", headers={"Deis-Version": "1.7"}).status == "200 OK"


def test_malformed_authorization_header_is_401(client):
    response = client.get("/v1/apps/", headers={"Authorization": "token"})
    assert response.status == "401 UNAUTHORIZED"
    assert response.get_json() == {"detail": "Invalid token header. No credentials provided."}


def test_database_outage_is_503_with_a_detail(admin):
    from controller.app import create_app
    from tests.services import free_port

    settings = {"databaseUrl": f"postgresql://deis:deis@127.0.0.1:{free_port()}/deis?connect_timeout=2"}
    client = create_app({"TESTING": True, "DEIS_ETCD": None, "DEIS_MIGRATE": False,
                         "DEIS_SETTINGS": settings}).test_client()
    response = client.get("/v1/apps/", headers={"Authorization": f"token {admin.token}"})
    assert response.status == "503 SERVICE UNAVAILABLE"
    assert "database is unavailable" in response.get_json()["detail"]
    assert client.get("/healthz").status == "200 OK"
