"""Status lines in Django 1.6's upper-case form."""

import pytest

from controller.status import status_line


@pytest.mark.parametrize("code, line", [
    (200, "200 OK"), (201, "201 CREATED"), (204, "204 NO CONTENT"), (400, "400 BAD REQUEST"),
    (401, "401 UNAUTHORIZED"), (403, "403 FORBIDDEN"), (404, "404 NOT FOUND"),
    (405, "405 METHOD NOT ALLOWED"), (409, "409 CONFLICT"), (413, "413 REQUEST ENTITY TOO LARGE"),
    (503, "503 SERVICE UNAVAILABLE"),
])
def test_status_line_matches_deis_v1(code, line):
    assert status_line(code) == line


def test_status_line_of_a_code_outside_the_table_is_upper_case():
    assert status_line(418) == "418 I'M A TEAPOT"


def test_status_line_of_an_unknown_code_still_has_a_reason():
    assert status_line(599) == "599 UNKNOWN STATUS CODE"
