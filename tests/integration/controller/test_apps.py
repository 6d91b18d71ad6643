"""deis apps:* — create, list, info, transfer, destroy — and who may do them."""

import re

import pytest

from tests.integration.controller.conftest import PLATFORM_DOMAIN


@pytest.fixture
def shared_app(owner, collaborator):
    """App ``myapp`` of ``owner``, shared with ``collaborator``."""
    assert owner.post("/v1/apps/", {"id": "myapp"}).status_code == 201
    assert owner.post("/v1/apps/myapp/perms/", {"username": "collab"}).status_code == 201
    return "myapp"


# deis create
def test_apps_create_with_id_is_201_with_the_app_object(owner):
    response = owner.post("/v1/apps/", {"id": "myapp"})
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert body["id"] == "myapp" and body["owner"] == "owner"
    assert body["url"] == f"myapp.{PLATFORM_DOMAIN}"
    assert body["structure"] == {}
    assert re.fullmatch(r"[0-9a-f-]{36}", body["uuid"])
    assert body["created"].endswith("UTC")


def test_apps_create_without_id_picks_an_adjective_noun(owner):
    response = owner.post("/v1/apps/", {})
    assert response.status == "201 CREATED"
    assert re.fullmatch(r"[a-z]+-[a-z]+", response.get_json()["id"])


def test_apps_create_with_empty_body_works(owner):
    assert owner.post("/v1/apps/").status == "201 CREATED"


def test_apps_create_with_taken_id_is_400_unique(owner, other):
    owner.post("/v1/apps/", {"id": "myapp"})
    response = other.post("/v1/apps/", {"id": "myapp"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"id": ["This field must be unique."]}


def test_apps_create_with_reserved_name_is_400(owner):
    response = owner.post("/v1/apps/", {"id": "deis"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"id": ["deis is a reserved name."]}


@pytest.mark.parametrize("bad_id", ["MyApp", "my_app", "my app", "app;drop table apps", "ünï"])
def test_apps_create_with_invalid_id_is_400(owner, bad_id):
    response = owner.post("/v1/apps/", {"id": bad_id})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"id": ["App IDs can only contain [a-z0-9-]."]}


def test_apps_create_with_too_long_id_is_400(owner):
    response = owner.post("/v1/apps/", {"id": "a" * 65})
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["id"]


def test_apps_create_makes_config_and_release_v1(owner, database_url):
    from sqlalchemy import create_engine, text

    from controller.db import engine_url

    owner.post("/v1/apps/", {"id": "myapp"})
    engine = create_engine(engine_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT r.version, r.summary, r.build_uuid, c.values FROM releases r "
            "JOIN configs c ON c.uuid = r.config_uuid JOIN apps a ON a.uuid = r.app_uuid WHERE a.id = 'myapp'"
        )).all()
    engine.dispose()
    assert rows == [(1, "owner created initial release", None, {})]


def test_apps_create_anonymously_is_401(anonymous):
    assert anonymous.post("/v1/apps/", {"id": "myapp"}).status == "401 UNAUTHORIZED"


# deis apps:list
def test_apps_list_shows_owned_and_shared_apps_only(owner, collaborator, other, shared_app):
    collaborator.post("/v1/apps/", {"id": "collabs-own"})
    other.post("/v1/apps/", {"id": "not-yours"})
    listed = owner.get("/v1/apps/").get_json()
    assert listed["count"] == 1 and [a["id"] for a in listed["results"]] == ["myapp"]
    assert sorted(a["id"] for a in collaborator.get("/v1/apps/").get_json()["results"]) == ["collabs-own", "myapp"]


def test_apps_list_as_admin_shows_every_app(admin, owner, other):
    owner.post("/v1/apps/", {"id": "one"})
    other.post("/v1/apps/", {"id": "two"})
    assert admin.get("/v1/apps/").get_json()["count"] == 2


def test_apps_list_paginates_with_page_size(owner):
    for n in range(5):
        owner.post("/v1/apps/", {"id": f"app-{n}"})
    first = owner.get("/v1/apps/?page_size=2").get_json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"].endswith("/v1/apps/?page_size=2&page=2")
    last = owner.get("/v1/apps/?page_size=2&page=3").get_json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"].endswith("/v1/apps/?page_size=2&page=2")
    seen = first["results"] + owner.get("/v1/apps?page_size=2&page=2").get_json()["results"] + last["results"]
    assert sorted(a["id"] for a in seen) == [f"app-{n}" for n in range(5)]


def test_apps_list_page_past_the_end_is_404(owner):
    assert owner.get("/v1/apps/?page=9").status == "404 NOT FOUND"


# deis info
def test_apps_info_of_unknown_app_is_404(owner):
    response = owner.get("/v1/apps/nosuchapp/")
    assert response.status == "404 NOT FOUND"
    assert response.get_json() == {"detail": "Not found"}


@pytest.mark.parametrize("who, status", [
    ("owner", "200 OK"), ("collaborator", "200 OK"), ("admin", "200 OK"),
    ("other", "403 FORBIDDEN"), ("anonymous", "401 UNAUTHORIZED"),
])
def test_apps_info_permissions(request, shared_app, who, status):
    response = request.getfixturevalue(who).get(f"/v1/apps/{shared_app}/")
    assert response.status == status
    if status == "200 OK":
        assert response.get_json()["id"] == "myapp"


# deis destroy
@pytest.mark.parametrize("who, status", [
    ("owner", "204 NO CONTENT"), ("admin", "204 NO CONTENT"),
    ("collaborator", "403 FORBIDDEN"), ("other", "403 FORBIDDEN"), ("anonymous", "401 UNAUTHORIZED"),
])
def test_apps_destroy_permissions(request, owner, shared_app, who, status):
    response = request.getfixturevalue(who).delete(f"/v1/apps/{shared_app}")
    assert response.status == status
    gone = owner.get(f"/v1/apps/{shared_app}").status_code == 404
    assert gone is (status == "204 NO CONTENT")


def test_apps_destroy_frees_the_name(owner):
    owner.post("/v1/apps/", {"id": "myapp"})
    owner.delete("/v1/apps/myapp/")
    assert owner.post("/v1/apps/", {"id": "myapp"}).status == "201 CREATED"


# deis apps:transfer
@pytest.mark.parametrize("who, status", [
    ("owner", "200 OK"), ("admin", "200 OK"),
    ("collaborator", "403 FORBIDDEN"), ("other", "403 FORBIDDEN"), ("anonymous", "401 UNAUTHORIZED"),
])
def test_apps_transfer_permissions(request, owner, other, shared_app, who, status):
    response = request.getfixturevalue(who).post(f"/v1/apps/{shared_app}/", {"owner": "stranger"})
    assert response.status == status
    new_owner = request.getfixturevalue("admin").get(f"/v1/apps/{shared_app}").get_json()["owner"]
    assert new_owner == ("stranger" if status == "200 OK" else "owner")


def test_apps_transfer_gives_the_app_to_the_new_owner(owner, other):
    owner.post("/v1/apps/", {"id": "myapp"})
    response = owner.post("/v1/apps/myapp", {"owner": "stranger"})
    assert response.status == "200 OK" and response.data == b""
    assert other.get("/v1/apps/myapp").get_json()["owner"] == "stranger"
    assert owner.get("/v1/apps/myapp").status == "403 FORBIDDEN"


def test_apps_transfer_to_unknown_user_is_404(owner):
    owner.post("/v1/apps/", {"id": "myapp"})
    assert owner.post("/v1/apps/myapp/", {"owner": "nobody"}).status == "404 NOT FOUND"
