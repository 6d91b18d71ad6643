"""API errors and their v1 bodies."""

import pytest

from controller.errors import (
    Conflict,
    FieldErrors,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    required,
)


def test_detail_bodies():
    assert NotFound().body() == {"detail": "Not found"}
    assert PermissionDenied().body() == {"detail": "You do not have permission to perform this action."}
    assert NotAuthenticated().status == 401
    assert Conflict("busy").body() == {"detail": "busy"} and Conflict.status == 409
    assert MethodNotAllowed("PUT").body() == {"detail": 'Method "PUT" not allowed.'}


def test_field_errors_are_lists_by_field():
    error = FieldErrors({"id": "This field must be unique.", "public": ["a", "b"]})
    assert error.status == 400
    assert error.body() == {"id": ["This field must be unique."], "public": ["a", "b"]}


def test_required_names_every_missing_field():
    with pytest.raises(FieldErrors) as caught:
        required({"id": "", "public": None, "ok": 1}, "id", "public", "ok")
    assert caught.value.body() == {"id": ["This field is required."], "public": ["This field is required."]}


def test_an_outage_answers_a_sentence_and_for_etcd_the_command_that_shows_it():
    from controller.api.errors import outage_sentence
    from deis.errors import EtcdUnavailable, TemporaryError

    etcd = outage_sentence(EtcdUnavailable("etcd did not answer while reading /x: ConnectionTimeoutError"))
    assert etcd == ("etcd did not answer while reading /x: ConnectionTimeoutError. "
                    "Try again once etcd answers (see 'deisctl status etcd').")
    assert outage_sentence(TemporaryError("the logger is away.")) == "The logger is away."
