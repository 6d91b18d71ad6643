import pytest

from controller.errors import NotAuthenticated, PermissionDenied
from controller.services.hooks import check_builder_key


def test_right_key_passes():
    check_builder_key("s3cret", "s3cret")


@pytest.mark.parametrize("sent", [None, ""])
def test_no_key_is_401(sent):
    with pytest.raises(NotAuthenticated, match="X-Deis-Builder-Auth"):
        check_builder_key(sent, "s3cret")


@pytest.mark.parametrize("sent, expected", [("wrong", "s3cret"), ("s3cret", None), ("s3cret", "")])
def test_wrong_key_or_none_configured_is_403(sent, expected):
    with pytest.raises(PermissionDenied):
        check_builder_key(sent, expected)
