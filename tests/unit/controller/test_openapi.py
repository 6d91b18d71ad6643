"""The OpenAPI document covers every route the controller serves."""

import re

import pytest

from controller import openapi
from controller.app import create_app

#: Flask answers these for every GET route by itself.
IGNORED_METHODS = {"OPTIONS", "HEAD"}


def shape(path: str) -> str:
    """A path with parameter names and the trailing slash removed: ``/v1/apps/{}``."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path).rstrip("/") or "/"


@pytest.fixture(scope="module")
def served():
    app = create_app({"DEIS_ETCD": None, "DEIS_MIGRATE": False,
                      "DEIS_SETTINGS": {"databaseUrl": "postgresql://nobody@127.0.0.1:1/none"}})
    return {(method.lower(), shape(rule.rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods - IGNORED_METHODS}


def documented():
    return {(method, shape(path)) for path, item in openapi.document()["paths"].items() for method in item}


def test_every_served_route_is_documented(served):
    missing = sorted(served - documented())
    assert missing == [], f"add these to controller/openapi.py OPERATIONS: {missing}"


def test_document_is_openapi_3_with_unique_operation_ids():
    document = openapi.document()
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1.7"
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_path_parameters_are_declared():
    for path, item in openapi.document()["paths"].items():
        for op in item.values():
            assert [p["name"] for p in op["parameters"]] == re.findall(r"\{([^}]+)\}", path)


def test_builder_hooks_use_the_builder_key_and_login_needs_nothing():
    paths = openapi.document()["paths"]
    assert paths["/v1/hooks/push/"]["post"]["security"] == [{"builder": []}]
    assert paths["/v1/auth/login/"]["post"]["security"] == []
    assert paths["/v1/apps/"]["get"]["security"] == [{"token": []}]
