"""Reading where a component announced itself: the reverse of ``announce``."""

from deis import keys
from deis.etcd import discover


def test_discover_returns_host_and_port():
    assert discover({keys.host("logs"): "10.0.0.2", keys.port("logs"): "514"}, "logs") == ("10.0.0.2", 514)


def test_discover_is_none_without_a_whole_announcement():
    assert discover({}, "logs") is None
    assert discover({keys.host("logs"): "10.0.0.2"}, "logs") is None
    assert discover({keys.host("logs"): "10.0.0.2", keys.port("logs"): "x"}, "logs") is None


def test_discover_reads_another_port_key():
    found = {keys.host("logs"): "h", keys.logger_http_port(): "8088"}
    assert discover(found, "logs", port_key=keys.logger_http_port()) == ("h", 8088)
