"""``deis certs:*`` against real PostgreSQL and etcd."""

import pytest

from deis import keys
from tests import tlscerts


@pytest.fixture
def app(etcd_app):
    """Every test here publishes to the real etcd."""
    return etcd_app


def add(api, subject, alt_names=(), **extra):
    certificate, key = tlscerts.pair(subject, alt_names)
    return api.post("/v1/certs/", json={"certificate": certificate, "key": key, **extra}), certificate, key


def domains(api, app_id, *names):
    """Create ``app_id`` as ``api``'s user with the custom domains ``names``."""
    assert api.post("/v1/apps/", json={"id": app_id}).status_code == 201
    for name in names:
        assert api.post(f"/v1/apps/{app_id}/domains/", json={"domain": name}).status_code == 201


# deis certs:add


def test_certs_add_extracts_name_and_expiry_and_publishes_the_pair(owner, etcd):
    domains(owner, "secure", "secure.example.org")
    response, certificate, key = add(owner, "secure.example.org")
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert body["common_name"] == "secure.example.org"
    assert body["expires"] == "2031-05-04T03:02:01UTC"
    assert body["owner"] == "owner" and isinstance(body["id"], int)
    assert "key" not in body and "certificate" not in body
    assert etcd.get(keys.cert("secure.example.org", "cert")) == certificate
    assert etcd.get(keys.cert("secure.example.org", "key")) == key


def test_certs_add_with_explicit_common_name(owner):
    domains(owner, "shop", "b.example.org")
    response, _, _ = add(owner, "a.example.org", ["a.example.org", "b.example.org"], common_name="b.example.org")
    assert response.get_json()["common_name"] == "b.example.org"


def test_certs_add_wildcard_is_refused(owner, etcd):
    response, _, _ = add(owner, "*.example.org")
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"common_name": ["Wildcard certificates are not supported"]}
    assert etcd.get_prefix(keys.certs())[0] == {}


def test_certs_add_same_common_name_twice_is_refused(owner, collaborator):
    domains(owner, "shop", "example.org")
    assert owner.post("/v1/apps/shop/perms/", json={"username": collaborator.username}).status_code == 201
    assert add(owner, "example.org")[0].status_code == 201
    response, _, _ = add(collaborator, "example.org")
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"common_name": ["This field must be unique."]}


# deis certs:add for a name one does not hold (issue 12, certificate squatting)


def test_certs_add_for_a_name_not_in_the_certificate_is_400(owner, etcd):
    domains(owner, "shop", "shop.example.org")
    response, _, _ = add(owner, "mine.example.net", common_name="shop.example.org")
    assert response.status == "400 BAD REQUEST"
    assert response.get_json()["common_name"][0].startswith(
        "shop.example.org is not a name in the certificate (it holds mine.example.net)")
    assert etcd.get_prefix(keys.certs())[0] == {}


def test_certs_add_for_another_users_domain_is_403(owner, other, etcd):
    domains(owner, "shop", "shop.example.org")
    response, _, _ = add(other, "shop.example.org")
    assert response.status == "403 FORBIDDEN"
    assert response.get_json() == {"detail": "shop.example.org is not a domain of an app you may administer; "
                                             "add it first with 'deis domains:add shop.example.org -a <app>', "
                                             "then add its certificate."}
    assert etcd.get_prefix(keys.certs())[0] == {}


def test_certs_add_for_a_domain_nobody_has_is_403(owner):
    assert add(owner, "unclaimed.example.org")[0].status == "403 FORBIDDEN"


def test_certs_add_by_a_collaborator_or_an_admin_of_the_domains_app(owner, collaborator, admin):
    domains(owner, "shop", "a.example.org", "b.example.org")
    assert owner.post("/v1/apps/shop/perms/", json={"username": collaborator.username}).status_code == 201
    assert add(collaborator, "a.example.org")[0].status_code == 201
    assert add(admin, "x.example.net", ["*.example.org"], common_name="b.example.org")[0].status_code == 201


def test_certs_add_with_mismatched_key_or_garbage(owner):
    domains(owner, "shop", "example.org")
    certificate, _ = tlscerts.pair("example.org")
    _, other_key = tlscerts.pair("example.org")
    response = owner.post("/v1/certs/", json={"certificate": certificate, "key": other_key})
    assert response.status == "400 BAD REQUEST" and list(response.get_json()) == ["key"]
    response = owner.post("/v1/certs/", json={"certificate": "garbage", "key": other_key})
    assert response.get_json()["certificate"][0].startswith("Could not load certificate: ")
    response = owner.post("/v1/certs/", json={})
    assert response.get_json() == {"certificate": ["This field is required."], "key": ["This field is required."]}


# deis certs:list / certs:info


def test_certs_are_per_user(owner, other, anonymous):
    domains(owner, "mine", "mine.example.org")
    domains(other, "theirs", "theirs.example.org")
    assert add(owner, "mine.example.org")[0].status_code == 201
    assert add(other, "theirs.example.org")[0].status_code == 201
    listed = owner.get("/v1/certs/").get_json()
    assert [c["common_name"] for c in listed["results"]] == ["mine.example.org"]
    assert owner.get("/v1/certs/mine.example.org").get_json()["common_name"] == "mine.example.org"
    assert owner.get("/v1/certs/theirs.example.org").status == "404 NOT FOUND"
    assert anonymous.get("/v1/certs/").status == "401 UNAUTHORIZED"


# deis certs:remove


def test_certs_remove_withdraws_the_pair(owner, other, etcd):
    domains(owner, "shop", "example.org")
    assert add(owner, "example.org")[0].status_code == 201
    assert other.delete("/v1/certs/example.org").status == "404 NOT FOUND"
    assert owner.delete("/v1/certs/example.org/").status == "204 NO CONTENT"
    assert etcd.get_prefix(keys.certs())[0] == {}
    assert owner.get("/v1/certs/example.org").status == "404 NOT FOUND"
