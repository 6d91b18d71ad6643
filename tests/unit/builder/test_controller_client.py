import json

import pytest
import requests

from builder.controller_client import ControllerUnavailable, Hooks


class Answer(requests.adapters.BaseAdapter):
    """A transport answering every request with one status and body (no network)."""

    def __init__(self, status: int, body: str):
        super().__init__()
        self.status, self.body = status, body

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response._content, response.request = self.status, self.body.encode(), request
        return response

    def close(self):
        pass


def hooks(status: int, body: str) -> Hooks:
    session = requests.Session()
    session.mount("http://", Answer(status, body))
    return Hooks("http://controller.invalid:8000", "key", session)


def test_a_503_sentence_reaches_the_pusher_as_is():
    """A failed deploy is the app's problem, said by the controller: no "the controller failed" in front (T2)."""
    sentence = "Deploying v3 failed and was undone; v2 keeps serving: web.1 exited with code 3 before it answered"
    with pytest.raises(ControllerUnavailable) as raised:
        hooks(503, json.dumps({"detail": sentence})).build("alice", "app", "img", "sha", {}, True)
    assert str(raised.value) == sentence


def test_other_server_errors_say_the_controller_failed_with_the_status():
    with pytest.raises(ControllerUnavailable, match=r"^the controller failed \(500\): boom$"):
        hooks(500, json.dumps({"detail": "boom"})).config("alice", "app")
    with pytest.raises(ControllerUnavailable, match=r"^the controller failed \(503\): <html>busy</html>$"):
        hooks(503, "<html>busy</html>").config("alice", "app")
