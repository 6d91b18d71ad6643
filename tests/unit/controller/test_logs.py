import pytest

from controller.errors import BadRequest
from controller.services import logs


def test_log_lines_default_and_parse():
    assert logs.lines_wanted(None) == 1000
    assert logs.lines_wanted("") == 1000
    assert logs.lines_wanted("25") == 25


@pytest.mark.parametrize("raw", ["0", "-3", "ten", "1.5"])
def test_log_lines_must_be_positive_integers(raw):
    with pytest.raises(BadRequest, match="log_lines must be a positive number"):
        logs.lines_wanted(raw)


def test_no_logger_without_etcd_or_announcement():
    assert logs.logger_url(None) is None
    assert logs.logger_url({}) is None


def test_logger_url_from_its_announcement():
    announced = {"/deis/logs/host": "10.0.0.5", "/deis/logs/port": "514", "/deis/logs/httpPort": "8088"}
    assert logs.logger_url(announced) == "http://10.0.0.5:8088"
    assert logs.logger_url({"/deis/logs/host": "10.0.0.5"}) is None


@pytest.mark.parametrize("raw", ["10001", "99999999999999999999999", "9" * 5000])
def test_log_lines_are_at_most_ten_thousand(raw):
    with pytest.raises(BadRequest, match="log_lines must be at most 10000"):
        logs.lines_wanted(raw)
    assert logs.lines_wanted("10000") == 10000
