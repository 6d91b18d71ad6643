"""deis users:list — every account, for administrators only."""


def test_users_list_as_admin_shows_every_user(admin, owner, other):
    response = admin.get("/v1/users/")
    assert response.status == "200 OK"
    body = response.get_json()
    assert body["count"] == 3
    assert [u["username"] for u in body["results"]] == ["admin", "owner", "stranger"]
    assert set(body["results"][0]) == {
        "id", "username", "email", "first_name", "last_name", "is_superuser", "is_staff",
        "is_active", "last_login", "date_joined", "groups", "user_permissions"}


def test_users_list_as_user_is_403(owner):
    response = owner.get("/v1/users")
    assert response.status == "403 FORBIDDEN"
    assert response.get_json() == {"detail": "You do not have permission to perform this action."}


def test_users_list_honours_page_size(admin, owner, other):
    body = admin.get("/v1/users/?page_size=1").get_json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["next"]
