"""deis/client.py: requests, errors, pagination, the version warning, the session file."""

import stat

import pytest

from deis.client import (
    Client,
    ConnectionFailed,
    ControllerError,
    NotLoggedIn,
    Session,
    load_session,
    normalize_controller,
    save_session,
    session_path,
)
from tests.unit.cli.conftest import CONTROLLER, FakeTransport


@pytest.fixture
def warnings():
    return []


@pytest.fixture
def client(transport, warnings):
    return Client(CONTROLLER, "t0ken", adapter=transport, warn=warnings.append)


def test_requests_carry_token_json_and_user_agent(client, transport):
    transport.add("GET", "/v1/apps/", {"count": 0, "next": None, "previous": None, "results": []})
    client.list("/v1/apps/")
    headers = transport.last().headers
    assert headers["Authorization"] == "token t0ken"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Deis Client v1.13.4"


def test_anonymous_requests_carry_no_authorization(transport):
    transport.add("POST", "/v1/auth/login/", {"token": "x"})
    Client(CONTROLLER, adapter=transport).post("/v1/auth/login/", {"username": "a"})
    assert "Authorization" not in transport.last().headers
    assert transport.last().body == {"username": "a"}


def test_error_keeps_status_line_and_renders_field_errors(client, transport):
    transport.add("POST", "/v1/apps/", {"id": ["This field must be unique."]}, status=400)
    with pytest.raises(ControllerError) as caught:
        client.post("/v1/apps/", {"id": "taken"})
    assert caught.value.status == 400
    assert caught.value.status_line == "400 BAD REQUEST"
    assert str(caught.value) == "\n400 BAD REQUEST\nid: This field must be unique."


def test_error_renders_detail_and_several_keys_sorted():
    error = ControllerError(403, "FORBIDDEN", {"detail": "nope", "a": ["x", "y"]})
    assert error.render() == "\n403 FORBIDDEN\na: x\na: y\ndetail: nope"


def test_error_with_text_body_prints_it():
    assert ControllerError(500, "", "Error accessing logs for x").render() == \
        "\n500 INTERNAL SERVER ERROR\nError accessing logs for x"


def test_list_asks_page_size_of_the_limit_and_counts(client, transport):
    transport.add("GET", "/v1/apps/", {"count": 5, "next": None, "previous": None,
                                       "results": [{"id": "a"}, {"id": "b"}]})
    listing = client.list("/v1/apps/", 2)
    assert transport.last().query == {"page_size": ["2"]}
    assert listing.count == 5 and listing.truncated and len(listing.results) == 2


def test_list_follows_next_until_the_limit(client, transport):
    transport.add("GET", "/v1/keys/", {"count": 3, "next": f"{CONTROLLER}/v1/keys/?page=2&page_size=2",
                                       "previous": None, "results": [{"id": 1}, {"id": 2}]})
    transport.add("GET", "/v1/keys/", {"count": 3, "next": None, "previous": None, "results": [{"id": 3}]})
    listing = client.list("/v1/keys/")
    assert [k["id"] for k in listing.results] == [1, 2, 3]
    assert not listing.truncated


def test_api_version_mismatch_warns_once(transport, warnings):
    transport.api_version = "1.6"
    transport.add("GET", "/v1/users/", {"count": 0, "next": None, "previous": None, "results": []})
    client = Client(CONTROLLER, "t", adapter=transport, warn=warnings.append)
    client.list("/v1/users/")
    client.list("/v1/users/")
    assert len(warnings) == 1
    assert "WARNING: Client and server API versions do not match" in warnings[0]
    assert "Server version: 1.6" in warnings[0]


def test_same_api_version_does_not_warn(client, transport, warnings):
    transport.api_version = "1.7.0"
    transport.add("GET", "/v1/", {})
    client.get("/v1/")
    assert warnings == []


def test_unreachable_controller_is_connection_failed():
    client = Client("http://127.0.0.1:9", "t", timeout=(1, 1))
    with pytest.raises(ConnectionFailed, match="Could not reach the controller at 'http://127.0.0.1:9'"):
        client.get("/v1/apps/")


def test_check_connection_accepts_401_and_refuses_others(transport):
    transport.add("GET", "/v1/", {"detail": "Authentication credentials were not provided."}, status=401)
    Client(CONTROLLER, adapter=transport).check_connection()
    other = FakeTransport()
    other.add("GET", "/v1/", "<html>", status=200)
    with pytest.raises(ConnectionFailed, match="does not appear to be a valid Deis controller"):
        Client(CONTROLLER, adapter=other).check_connection()


def test_controller_url_gets_a_scheme_and_loses_trailing_slash():
    assert normalize_controller("deis.example.com/") == "http://deis.example.com"
    assert normalize_controller("https://deis.example.com") == "https://deis.example.com"
    assert Client("deis.example.com:8000").host == "deis.example.com"


def test_session_file_is_0600_in_a_0700_dir(tmp_path):
    path = session_path(home=tmp_path)
    save_session(path, Session("http://d", "tok", "alice"))
    assert path == tmp_path / ".deis" / "client.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_session(path) == Session("http://d", "tok", "alice", True, 100)


def test_session_file_has_v1_fields(tmp_path):
    path = session_path(home=tmp_path)
    save_session(path, Session("http://d", "tok", "alice", ssl_verify=False))
    assert set(__import__("json").loads(path.read_text())) == {
        "controller", "token", "username", "ssl_verify", "response_limit"}


def test_profile_names_the_session_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEIS_PROFILE", "staging")
    assert session_path(home=tmp_path) == tmp_path / ".deis" / "staging.json"


def test_missing_session_is_not_logged_in(tmp_path):
    with pytest.raises(NotLoggedIn, match="Use 'deis login' or 'deis register'"):
        load_session(session_path(home=tmp_path))
