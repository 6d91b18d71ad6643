"""deis auth:* — register, login, cancel, passwd, regenerate — against real PostgreSQL."""

import re
import statistics
import time

import pytest
from sqlalchemy import create_engine, text

from controller.db import engine_url
from controller.tokens import digest
from tests.integration.controller.conftest import PASSWORD, Api, make_app, register


# deis register
def test_register_first_user_becomes_admin(client):
    response = client.post("/v1/auth/register/", json={"username": "alice", "password": "a password",
                                                       "email": "a@x.io"})
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert body["username"] == "alice"
    assert body["is_superuser"] is True and body["is_staff"] is True
    assert "password" not in body
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dUTC", body["date_joined"])


def test_register_of_many_first_users_at_once_makes_one_admin(app):
    from concurrent.futures import ThreadPoolExecutor

    def register_one(n):
        client = app.test_client()
        return client.post("/v1/auth/register/", json={"username": f"user{n}", "password": "a password"}).get_json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(register_one, range(6)))
    assert sum(body["is_superuser"] for body in bodies) == 1


def test_register_second_user_is_not_admin(client, admin):
    response = client.post("/v1/auth/register/", json={"username": "bob", "password": "a password"})
    assert response.status == "201 CREATED"
    assert response.get_json()["is_superuser"] is False


def test_register_taken_username_is_400_unique(client, admin):
    response = client.post("/v1/auth/register/", json={"username": "admin", "password": "a password"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"username": ["This field must be unique."]}


def test_register_without_password_is_400_required(client):
    response = client.post("/v1/auth/register/", json={"username": "bob"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"password": ["This field is required."]}


def test_register_with_bad_username_and_email_is_400(client):
    response = client.post("/v1/auth/register/", json={"username": "no spaces", "password": "a password",
                                                       "email": "not-an-email"})
    assert response.status == "400 BAD REQUEST"
    assert set(response.get_json()) == {"username", "email"}


def test_register_ignores_is_superuser_in_the_body(client, admin):
    response = client.post("/v1/auth/register/", json={"username": "mallory", "password": "a password",
                                                       "is_superuser": True})
    assert response.get_json()["is_superuser"] is False


def test_register_when_disabled_is_403(database_url):
    client = make_app(database_url, registrationMode="disabled").test_client()
    response = client.post("/v1/auth/register/", json={"username": "bob", "password": "a password"})
    assert response.status == "403 FORBIDDEN"
    assert response.get_json() == {"detail": "Registration is disabled"}


def test_register_when_admin_only_needs_an_admin_token(client, admin, owner, database_url):
    gated = make_app(database_url, registrationMode="admin_only").test_client()
    payload = {"username": "newbie", "password": "a password"}
    anonymous = gated.post("/v1/auth/register/", json=payload)
    as_user = gated.post("/v1/auth/register/", json=payload, headers={"Authorization": f"token {owner.token}"})
    as_admin = gated.post("/v1/auth/register/", json=payload, headers={"Authorization": f"token {admin.token}"})
    assert anonymous.status == as_user.status == "403 FORBIDDEN"
    assert as_admin.status == "201 CREATED"


def test_register_with_malformed_json_is_400(client):
    response = client.post("/v1/auth/register/", data="{not json", content_type="application/json")
    assert response.status == "400 BAD REQUEST"
    assert response.get_json()["detail"].startswith("JSON parse error")


# deis login
def test_login_returns_a_40_hex_token(client, admin):
    response = client.post("/v1/auth/login/", json={"username": "admin", "password": PASSWORD})
    assert response.status == "200 OK"
    assert re.fullmatch(r"[0-9a-f]{40}", response.get_json()["token"])


def test_login_with_wrong_password_is_400(client, admin):
    response = client.post("/v1/auth/login/", json={"username": "admin", "password": "wrong"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_login_stores_only_a_digest_of_the_token(admin, database_url):
    engine = create_engine(engine_url(database_url))
    with engine.connect() as connection:
        stored = list(connection.execute(text("SELECT digest FROM tokens")).scalars())
        passwords = list(connection.execute(text("SELECT password FROM users")).scalars())
    engine.dispose()
    assert admin.token not in stored and digest(admin.token) in stored
    assert all(p.startswith("$argon2") for p in passwords)


def test_unknown_token_is_401(client):
    response = Api(client, token="0" * 40).get("/v1/apps/")
    assert response.status == "401 UNAUTHORIZED"
    assert response.get_json() == {"detail": "Invalid token"}


def test_missing_token_is_401(anonymous):
    response = anonymous.get("/v1/apps/")
    assert response.status == "401 UNAUTHORIZED"
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}


# deis auth:passwd
def test_passwd_changes_the_password(client, owner):
    response = owner.post("/v1/auth/passwd/", {"password": PASSWORD, "new_password": "n3w password"})
    assert response.status == "200 OK"
    assert response.get_json() == {"status": "password set"}
    assert client.post("/v1/auth/login/", json={"username": "owner", "password": "n3w password"}).status_code == 200


def test_passwd_with_wrong_current_password_is_400(owner):
    response = owner.post("/v1/auth/passwd/", {"password": "nope", "new_password": "n3w password"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"detail": "Current password does not match"}


def test_passwd_of_another_user_is_403_for_a_user_and_allowed_for_admin(client, admin, owner, other):
    assert owner.post("/v1/auth/passwd/", {"username": "stranger", "new_password": "x password"}).status_code == 403
    assert admin.post("/v1/auth/passwd/", {"username": "stranger", "new_password": "x password"}).status == "200 OK"
    assert client.post("/v1/auth/login/", json={"username": "stranger", "password": "x password"}).status_code == 200


# deis auth:regenerate
def test_regenerate_replaces_the_callers_token(client, owner):
    response = owner.post("/v1/auth/tokens/", {})
    assert response.status == "200 OK"
    new = response.get_json()["token"]
    assert new != owner.token
    assert owner.get("/v1/apps/").status_code == 401
    assert Api(client, "owner", new).get("/v1/apps/").status_code == 200


def test_regenerate_for_another_user_needs_admin(client, admin, owner, other):
    assert owner.post("/v1/auth/tokens/", {"username": "stranger"}).status == "403 FORBIDDEN"
    assert admin.post("/v1/auth/tokens/", {"username": "stranger"}).status == "200 OK"
    assert other.get("/v1/apps/").status_code == 401


def test_regenerate_all_logs_everyone_out(admin, owner):
    assert owner.post("/v1/auth/tokens/", {"all": True}).status == "403 FORBIDDEN"
    response = admin.post("/v1/auth/tokens/", {"all": True})
    assert response.status == "200 OK" and response.get_json() == ""
    assert owner.get("/v1/apps/").status_code == admin.get("/v1/apps/").status_code == 401


# deis auth:cancel
def test_cancel_deletes_the_account(client, owner):
    response = owner.delete("/v1/auth/cancel/")
    assert response.status == "204 NO CONTENT"
    assert client.post("/v1/auth/login/", json={"username": "owner", "password": PASSWORD}).status_code == 400


def test_cancel_while_owning_apps_is_409(owner):
    owner.post("/v1/apps/", {"id": "keeper"})
    response = owner.delete("/v1/auth/cancel/")
    assert response.status == "409 CONFLICT"
    assert response.get_json() == {
        "detail": "owner still has applications assigned. Delete or transfer ownership"}


def test_cancel_of_another_user_needs_admin(admin, owner, other):
    assert owner.delete("/v1/auth/cancel/", {"username": "stranger"}).status == "403 FORBIDDEN"
    assert admin.delete("/v1/auth/cancel/", {"username": "nobody"}).status == "404 NOT FOUND"
    assert admin.delete("/v1/auth/cancel/", {"username": "stranger"}).status == "204 NO CONTENT"


def test_cancel_of_a_collaborator_keeps_the_apps_they_touched(owner, collaborator):
    owner.post("/v1/apps/", {"id": "shared"})
    owner.post("/v1/apps/shared/perms/", {"username": "collab"})
    assert collaborator.delete("/v1/auth/cancel/").status_code == 204
    assert owner.get("/v1/apps/shared/").status_code == 200
    assert owner.get("/v1/apps/shared/perms/").get_json() == {"users": []}


# a minimum password length (issue 12, item 11)


def test_register_with_a_short_password_is_400(client):
    response = client.post("/v1/auth/register/", json={"username": "bob", "password": "1234567"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"password": ["Passwords must be at least 8 characters long; choose a longer one."]}


def test_passwd_to_a_short_password_is_400_and_changes_nothing(client, owner):
    response = owner.post("/v1/auth/passwd/", {"password": PASSWORD, "new_password": "short"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"new_password": ["Passwords must be at least 8 characters long; "
                                                    "choose a longer one."]}
    assert client.post("/v1/auth/login/", json={"username": "owner", "password": PASSWORD}).status_code == 200


def test_the_minimum_password_length_is_a_setting(app, database_url):
    strict = make_app(database_url, minPasswordLength=12)
    try:
        client = strict.test_client()
        response = client.post("/v1/auth/register/", json={"username": "bob", "password": "eleven char"})
        assert response.get_json() == {"password": ["Passwords must be at least 12 characters long; "
                                                    "choose a longer one."]}
        response = client.post("/v1/auth/register/", json={"username": "bob", "password": "twelve chars"})
        assert response.status_code == 201
    finally:
        strict.extensions["deis.db"].dispose()


# Tokens and accounts (issue 12, item 8)

def _sql(database_url, statement, **params):
    engine = create_engine(engine_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _login(client, username, password=PASSWORD, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/v1/auth/login/", json={"username": username, "password": password}, headers=headers)


# deis auth:passwd
def test_passwd_revokes_the_users_other_tokens_and_keeps_this_one(client, owner):
    stolen = Api(client, "owner", _login(client, "owner").get_json()["token"])
    response = owner.post("/v1/auth/passwd/", json={"password": PASSWORD, "new_password": "a new password"})
    assert response.get_json() == {"status": "password set"}
    assert stolen.get("/v1/apps/").status == "401 UNAUTHORIZED"
    assert owner.get("/v1/apps/").status == "200 OK"


def test_passwd_of_another_user_by_an_admin_revokes_every_token_of_theirs(admin, owner):
    changed = admin.post("/v1/auth/passwd/", json={"username": "owner", "new_password": "a new password"})
    assert changed.status_code == 200
    assert owner.get("/v1/apps/").status == "401 UNAUTHORIZED"
    assert admin.get("/v1/apps/").status == "200 OK"


def test_an_expired_token_is_401_telling_to_log_in_again(owner, database_url):
    _sql(database_url, "UPDATE tokens SET created = now() - interval '31 days'")
    response = owner.get("/v1/apps/")
    assert response.status == "401 UNAUTHORIZED"
    assert response.get_json() == {"detail": "Token expired; log in again with 'deis login <controller>'."}


def test_the_token_lifetime_is_a_setting(owner, database_url):
    _sql(database_url, "UPDATE tokens SET created = now() - interval '31 days'")
    owner.client = make_app(database_url, tokenLifetimeDays=60).test_client()
    assert owner.get("/v1/apps/").status == "200 OK"


# deis register: admin only when nobody was there
def test_register_when_users_exist_but_no_admin_is_not_admin(client, admin, owner, database_url):
    _sql(database_url, "UPDATE users SET is_superuser = false, is_staff = false")
    response = client.post("/v1/auth/register/", json={"username": "late", "password": "a password"})
    assert response.status == "201 CREATED" and response.get_json()["is_superuser"] is False


# deis perms:delete --admin, deis auth:cancel: the last admin stays
def test_the_last_admin_can_be_neither_demoted_nor_cancelled(admin, owner):
    for response in (admin.delete("/v1/admin/perms/admin"), admin.delete("/v1/auth/cancel/")):
        assert response.status == "400 BAD REQUEST"
        assert response.get_json() == {"detail": "admin is the last administrator; make another user an "
                                                  "administrator first ('deis perms:create <username> --admin')."}
    assert admin.post("/v1/admin/perms/", {"username": "owner"}).status == "201 CREATED"
    assert owner.delete("/v1/admin/perms/admin").status == "204 NO CONTENT"
    assert owner.delete("/v1/auth/cancel/").status == "400 BAD REQUEST"


# deis login: throttled, and as slow for nobody as for somebody
@pytest.fixture
def strict(database_url):
    """Two controller processes (apps) on one database, closing logins after 3 failures."""
    apps = [make_app(database_url, loginFailureLimit=3, loginFailureWindow=300) for _ in range(2)]
    yield [application.test_client() for application in apps]
    for application in apps:
        application.extensions["deis.db"].dispose()


def test_login_failures_of_a_username_across_workers_get_429_with_the_wait(strict, owner):
    one, two = strict
    assert [_login(c, "owner", "wrong password", f"10.0.0.{n}").status_code
            for n, c in enumerate((one, two, one))] == [400, 400, 400]
    refused = _login(two, "owner", address="10.0.0.9")  # the right password, from elsewhere
    assert refused.status == "429 TOO MANY REQUESTS"
    assert re.fullmatch(r"Too many failed logins for 'owner'; try again in (29\d|300) seconds\.",
                        refused.get_json()["detail"])
    assert _login(one, "admin", address="10.0.0.9").status_code == 200


def test_login_failures_from_one_address_get_429_whatever_the_username(strict, owner):
    one, two = strict
    for username in ("a", "b", "owner"):
        assert _login(one, username, "wrong password", "10.0.0.1").status_code == 400
    assert _login(two, "admin", address="10.0.0.1").get_json()["detail"].startswith(
        "Too many failed logins from 10.0.0.1; try again in")
    assert _login(two, "owner", address="10.0.0.2").status_code == 200


def test_login_success_clears_the_usernames_failures(strict, owner):
    one, _ = strict
    for _ in range(2):
        assert _login(one, "owner", "wrong password", "10.0.0.1").status_code == 400
    assert _login(one, "owner", address="10.0.0.2").status_code == 200
    assert _login(one, "owner", "wrong password", "10.0.0.3").status_code == 400
    assert _login(one, "owner", address="10.0.0.4").status_code == 200


def test_login_takes_as_long_for_a_missing_user_as_for_a_wrong_password(client, admin, monkeypatch):
    from argon2 import PasswordHasher

    from controller import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher())  # production cost: the difference shows
    register(client, "real")

    def median_seconds(username):
        times = []
        for n in range(5):  # from several addresses: the throttle is not under test
            started = time.perf_counter()
            assert _login(client, username, "wrong password", f"10.1.{n}.1").status_code == 400
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    _login(client, "nobody", "wrong password", "10.2.0.1")  # the first check of a missing user makes the decoy
    real, missing = median_seconds("real"), median_seconds("nobody")
    assert 0.6 < missing / real < 1.6, (missing, real)
