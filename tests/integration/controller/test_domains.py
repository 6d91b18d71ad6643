"""``deis domains:*`` against real PostgreSQL and etcd: rules, permissions, routes in etcd."""

import pytest

from deis import keys
from deis.etcd import Etcd
from tests.integration.controller.conftest import PLATFORM_DOMAIN
from tests.services import free_port


@pytest.fixture
def app(etcd_app):
    """Every test here publishes to the real etcd."""
    return etcd_app


@pytest.fixture
def myapp(owner, collaborator):
    assert owner.post("/v1/apps/", json={"id": "myapp"}).status_code == 201
    assert owner.post("/v1/apps/myapp/perms/", json={"username": collaborator.username}).status_code == 201
    return "myapp"


def add(api, domain, app_id="myapp"):
    return api.post(f"/v1/apps/{app_id}/domains/", json={"domain": domain})


# deis domains:add


def test_domains_add_routes_the_domain_in_etcd(owner, myapp, etcd):
    response = add(owner, "Www.Example.org.")
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert (body["owner"], body["app"], body["domain"]) == ("owner", "myapp", "www.example.org")
    assert body["created"].endswith("UTC")
    assert etcd.get(keys.domain("www.example.org")) == "myapp"
    assert etcd.get(keys.app_marker("myapp")) == "myapp"


@pytest.mark.parametrize("domain, message", [
    ("*.example.org", "Adding a wildcard subdomain is currently not supported."),
    ("exa--mple.org", "Hostname does not look valid."),
    ("localhost1", "Hostname does not look valid."),
])
def test_domains_add_invalid_is_400_with_v1_message(owner, myapp, domain, message, etcd):
    response = add(owner, domain)
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"domain": [message]}
    assert etcd.get_prefix(keys.domains())[0] == {}


def test_domains_add_twice_or_to_another_app_is_refused(owner, myapp):
    assert owner.post("/v1/apps/", json={"id": "other"}).status_code == 201
    assert add(owner, "example.org").status_code == 201
    for app_id in ("myapp", "other"):
        response = add(owner, "EXAMPLE.org", app_id)
        assert response.status == "400 BAD REQUEST"
        assert response.get_json() == {"domain": ["The domain example.org is already in use by another app"]}


def test_domains_add_needs_access_to_the_app(myapp, other, anonymous):
    assert add(other, "example.org").status == "403 FORBIDDEN"
    assert add(anonymous, "example.org").status == "401 UNAUTHORIZED"
    assert add(other, "example.org", "nope").status == "404 NOT FOUND"


def test_domains_add_by_collaborator_is_allowed(collaborator, myapp, etcd):
    assert add(collaborator, "collab.example.org").status_code == 201
    assert etcd.get(keys.domain("collab.example.org")) == "myapp"


# deis domains:add under the platform domain (issue 12: hostname takeover)


@pytest.mark.parametrize("domain", [f"deis.{PLATFORM_DOMAIN}", f"theirs.{PLATFORM_DOMAIN}", f"myapp.{PLATFORM_DOMAIN}",
                                    f"new.{PLATFORM_DOMAIN}", PLATFORM_DOMAIN.upper()])
def test_domains_add_under_the_platform_domain_is_refused_to_users(owner, other, myapp, domain, etcd):
    assert other.post("/v1/apps/", json={"id": "theirs"}).status_code == 201
    response = add(owner, domain)
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["domain"]
    assert etcd.get_prefix(keys.domains())[0] == {}


def test_domains_add_of_the_controllers_hostname_is_refused_even_to_an_admin(admin, myapp, etcd):
    response = add(admin, f"deis.{PLATFORM_DOMAIN}")
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"domain": [f"deis.{PLATFORM_DOMAIN} is the controller's own hostname; "
                                              "no app may have it."]}
    assert etcd.get_prefix(keys.domains())[0] == {}


def test_domains_add_of_another_apps_hostname_is_refused_even_to_an_admin(admin, other, myapp):
    assert other.post("/v1/apps/", json={"id": "theirs"}).status_code == 201
    response = add(admin, f"theirs.{PLATFORM_DOMAIN}")
    assert response.status == "400 BAD REQUEST"
    assert "platform hostname of the app theirs" in response.get_json()["domain"][0]


def test_domains_add_under_the_platform_domain_by_an_admin(admin, myapp, etcd):
    for domain in (f"myapp.{PLATFORM_DOMAIN}", f"shop.{PLATFORM_DOMAIN}", PLATFORM_DOMAIN):
        assert add(admin, domain).status_code == 201
    assert etcd.get(keys.domain(f"shop.{PLATFORM_DOMAIN}")) == "myapp"


def test_apps_create_is_refused_when_its_hostname_is_a_custom_domain(admin, owner, other, myapp):
    assert add(admin, f"shop.{PLATFORM_DOMAIN}").status_code == 201
    response = other.post("/v1/apps/", json={"id": "shop"})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"id": [f"shop.{PLATFORM_DOMAIN} is already a custom domain of another app; "
                                          "choose another app id."]}
    assert other.post("/v1/apps/", json={"id": "shopping"}).status_code == 201


# deis domains:list


def test_domains_list_is_paginated(owner, collaborator, myapp):
    for name in ("a.example.org", "b.example.org", "c.example.org"):
        assert add(owner, name).status_code == 201
    body = collaborator.get("/v1/apps/myapp/domains/?page_size=2").get_json()
    assert body["count"] == 3 and body["next"] is not None
    assert [d["domain"] for d in body["results"]] == ["a.example.org", "b.example.org"]


# deis domains:remove


def test_domains_remove_withdraws_the_route(owner, myapp, etcd):
    assert add(owner, "example.org").status_code == 201
    response = owner.delete("/v1/apps/myapp/domains/example.org")
    assert response.status == "204 NO CONTENT"
    assert etcd.get(keys.domain("example.org")) is None
    assert owner.get("/v1/apps/myapp/domains/").get_json()["count"] == 0


def test_domains_remove_with_trailing_slash_and_unknown_domain(owner, myapp):
    assert add(owner, "example.org").status_code == 201
    assert owner.delete("/v1/apps/myapp/domains/example.org/").status == "204 NO CONTENT"
    assert owner.delete("/v1/apps/myapp/domains/example.org").status == "404 NOT FOUND"


def test_domains_remove_is_not_for_collaborators(owner, collaborator, myapp, etcd):
    assert add(collaborator, "example.org").status_code == 201
    assert collaborator.delete("/v1/apps/myapp/domains/example.org").status == "403 FORBIDDEN"
    assert etcd.get(keys.domain("example.org")) == "myapp"


def test_admin_may_remove_any_domain(admin, owner, myapp):
    assert add(owner, "example.org").status_code == 201
    assert admin.delete("/v1/apps/myapp/domains/example.org").status_code == 204


# etcd away


def test_domains_add_while_etcd_is_down_is_503_and_changes_nothing(app, owner, myapp, etcd):
    settings = app.extensions["deis.settings"]
    app.extensions["deis.settings"] = settings.bind(etcd=Etcd(f"http://127.0.0.1:{free_port()}", timeout=0.5))
    try:
        response = add(owner, "example.org")
    finally:
        app.extensions["deis.settings"] = settings
    assert response.status == "503 SERVICE UNAVAILABLE"
    assert response.get_json()["detail"].startswith("Nothing was changed: etcd did not answer")
    assert owner.get("/v1/apps/myapp/domains/").get_json()["count"] == 0
    assert add(owner, "example.org").status_code == 201


# deis apps:destroy


def test_apps_destroy_removes_its_routes_from_etcd(owner, myapp, etcd):
    assert add(owner, "example.org").status_code == 201
    assert owner.post("/v1/apps/", json={"id": "keep"}).status_code == 201
    assert add(owner, "keep.example.org", "keep").status_code == 201
    etcd.put(keys.service("myapp", "myapp_v2.web.1"), "10.0.0.2:5000")
    assert owner.delete("/v1/apps/myapp/").status == "204 NO CONTENT"
    remaining = {**etcd.get_prefix(keys.domains())[0], **etcd.get_prefix(keys.services())[0]}
    assert remaining == {keys.domain("keep.example.org"): "keep", keys.app_marker("keep"): "keep"}
