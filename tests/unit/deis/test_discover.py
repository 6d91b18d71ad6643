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


def test_addresses_are_every_instance_and_the_single_pair_once_each():
    snapshot = {keys.instance("controller", "10.0.1.4:8000"): "10.0.1.4:8000",
                keys.instance("controller", "10.0.1.3:8000"): "10.0.1.3:8000",
                keys.host("controller"): "10.0.1.3", keys.port("controller"): "8000",
                keys.instance("controller", "bad"): "no-port",
                keys.instance("builder", "10.0.1.5:2223"): "10.0.1.5:2223"}
    assert keys.addresses(snapshot, "controller") == [("10.0.1.3", 8000), ("10.0.1.4", 8000)]
    assert keys.addresses({keys.host("logs"): "h", keys.port("logs"): "514"}, "logs") == [("h", 514)]
    assert keys.addresses({}, "logs") == []
