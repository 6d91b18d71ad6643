"""NUL and other control characters in what users send (issue 12, item 11): 400 with a sentence, never 500."""

import pytest

NUL_MESSAGE = "Text may not contain NUL (\\x00) characters; remove them and try again."
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def myapp(owner):
    assert owner.post("/v1/apps/", json={"id": "myapp"}).status_code == 201
    return "myapp"


# deis register / deis login


@pytest.mark.parametrize("field", ["username", "password", "email"])
def test_register_with_a_nul_is_400_on_that_field(client, field):
    body = {"username": "nul", "password": "a long password", "email": "nul@example.com"}
    body[field] = body[field][:2] + "\x00" + body[field][2:]
    response = client.post("/v1/auth/register/", json=body)
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {field: [NUL_MESSAGE]}


@pytest.mark.parametrize("username, password", [("own\x00er", "s3cret pass"), ("owner", "s3cret\x00pass")])
def test_login_with_a_nul_is_400(owner, client, username, password):
    response = client.post("/v1/auth/login/", json={"username": username, "password": password})
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["username" if "\x00" in username else "password"]


@pytest.mark.parametrize("username", ["bob\n", "bo\x1bb", "bob\t"])
def test_register_with_a_control_character_in_the_username_is_400(client, username):
    response = client.post("/v1/auth/register/", json={"username": username, "password": "a long password"})
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["username"]


# deis keys:add


def test_keys_add_with_a_nul_is_400(owner):
    for body in ({"id": "me\x00", "public": ED25519}, {"id": "me", "public": ED25519 + " me@\x00host"}):
        response = owner.post("/v1/keys/", json=body)
        assert response.status == "400 BAD REQUEST"
        assert list(response.get_json()) in (["id"], ["public"])


# deis config:set


@pytest.mark.parametrize("values", [{"KEY\x00": "v"}, {"KEY": "v\x00"}])
def test_config_set_with_a_nul_is_400(owner, myapp, values):
    response = owner.post("/v1/apps/myapp/config/", json={"values": values})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"values": [NUL_MESSAGE]}


@pytest.mark.parametrize("key", ["KEY\n", "KEY\x1b", "K\nEY"])
def test_config_set_with_a_control_character_in_a_key_is_400(owner, myapp, key):
    response = owner.post("/v1/apps/myapp/config/", json={"values": {key: "v"}})
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["values"]


def test_config_values_may_span_lines(owner, myapp):
    response = owner.post("/v1/apps/myapp/config/", json={"values": {"PEM": "line one\nline two\n"}})
    assert response.status_code == 201


# deis domains:add / domains:remove


def test_domains_add_with_a_nul_is_400(owner, myapp):
    response = owner.post("/v1/apps/myapp/domains/", json={"domain": "www.exa\x00mple.org"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"domain": [NUL_MESSAGE]}


# any URL


@pytest.mark.parametrize("path", ["/v1/apps/my%00app/", "/v1/apps/myapp/domains/www.exa%00mple.org",
                                  "/v1/apps/?page=1%00", "/v1/keys/me%00"])
def test_a_nul_in_the_url_is_400(owner, myapp, path):
    response = owner.get(path) if "domains" not in path else owner.delete(path)
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"detail": f"The URL holds a NUL (%00). {NUL_MESSAGE}"}
