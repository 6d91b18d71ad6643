"""deis perms:* — app collaborators and platform administrators."""

import pytest


@pytest.fixture
def app_id(owner):
    """App ``myapp`` owned by ``owner``."""
    assert owner.post("/v1/apps/", {"id": "myapp"}).status_code == 201
    return "myapp"


# deis perms:create <user> -a myapp
def test_perms_create_shares_the_app(owner, collaborator, app_id):
    response = owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert response.status == "201 CREATED" and response.data == b""
    assert owner.get(f"/v1/apps/{app_id}/perms/").get_json() == {"users": ["collab"]}
    assert collaborator.get(f"/v1/apps/{app_id}").status == "200 OK"


def test_perms_create_twice_is_harmless(owner, collaborator, app_id):
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"}).status == "201 CREATED"
    assert owner.get(f"/v1/apps/{app_id}/perms/").get_json() == {"users": ["collab"]}


@pytest.mark.parametrize("who, status", [
    ("owner", "201 CREATED"), ("admin", "201 CREATED"),
    ("other", "403 FORBIDDEN"), ("anonymous", "401 UNAUTHORIZED"),
])
def test_perms_create_permissions(request, collaborator, app_id, who, status):
    response = request.getfixturevalue(who).post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert response.status == status


def test_perms_create_by_a_collaborator_is_403(owner, collaborator, other, app_id):
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert collaborator.post(f"/v1/apps/{app_id}/perms/", {"username": "stranger"}).status == "403 FORBIDDEN"


def test_perms_create_for_unknown_user_is_404(owner, app_id):
    assert owner.post(f"/v1/apps/{app_id}/perms/", {"username": "nobody"}).status == "404 NOT FOUND"


def test_perms_create_without_username_is_400(owner, app_id):
    response = owner.post(f"/v1/apps/{app_id}/perms/", {})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"username": ["This field is required."]}


def test_perms_on_unknown_app_is_404(owner):
    assert owner.get("/v1/apps/nosuchapp/perms/").status == "404 NOT FOUND"


# deis perms:list -a myapp
def test_perms_list_by_a_stranger_is_403(other, app_id):
    assert other.get(f"/v1/apps/{app_id}/perms/").status == "403 FORBIDDEN"


# deis perms:delete <user> -a myapp
def test_perms_delete_revokes_access(owner, collaborator, app_id):
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert owner.delete(f"/v1/apps/{app_id}/perms/collab").status == "204 NO CONTENT"
    assert collaborator.get(f"/v1/apps/{app_id}").status == "403 FORBIDDEN"


def test_perms_delete_by_the_collaborator_themself_is_allowed(owner, collaborator, app_id):
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    assert collaborator.delete(f"/v1/apps/{app_id}/perms/collab/").status == "204 NO CONTENT"


def test_perms_delete_of_another_collaborator_by_a_collaborator_is_403(owner, collaborator, other, app_id):
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "collab"})
    owner.post(f"/v1/apps/{app_id}/perms/", {"username": "stranger"})
    assert collaborator.delete(f"/v1/apps/{app_id}/perms/stranger").status == "403 FORBIDDEN"


def test_perms_delete_of_a_non_collaborator_is_403(owner, other, app_id):
    assert owner.delete(f"/v1/apps/{app_id}/perms/stranger").status == "403 FORBIDDEN"


def test_perms_delete_of_unknown_user_is_404(owner, app_id):
    assert owner.delete(f"/v1/apps/{app_id}/perms/nobody").status == "404 NOT FOUND"


# deis perms:list --admin, perms:create --admin, perms:delete --admin
def test_perms_admin_list_shows_administrators(admin, owner):
    response = admin.get("/v1/admin/perms/")
    assert response.status == "200 OK"
    assert response.get_json()["results"] == [{"username": "admin", "is_superuser": True}]
    assert owner.get("/v1/admin/perms/").status == "403 FORBIDDEN"


def test_perms_admin_create_and_delete(admin, owner):
    assert owner.post("/v1/admin/perms/", {"username": "owner"}).status == "403 FORBIDDEN"
    assert admin.post("/v1/admin/perms/", {"username": "owner"}).status == "201 CREATED"
    assert sorted(u["username"] for u in owner.get("/v1/admin/perms").get_json()["results"]) == ["admin", "owner"]
    assert admin.delete("/v1/admin/perms/owner").status == "204 NO CONTENT"
    assert owner.get("/v1/admin/perms/").status == "403 FORBIDDEN"


def test_perms_admin_create_for_unknown_user_is_404(admin):
    assert admin.post("/v1/admin/perms/", {"username": "nobody"}).status == "404 NOT FOUND"
