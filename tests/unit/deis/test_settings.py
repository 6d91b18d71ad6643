import pytest

from deis.errors import ConfigurationError
from deis.settings import Setting, Settings, as_bool


class FakeEtcd:
    """Settings need only ``get``; a dict stands in for etcd in pure-logic tests."""

    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


DECLARED = [
    Setting("port", default=8000, parse=int),
    Setting("registrationMode", default="enabled"),
    Setting("domain", env="DEIS_DOMAIN", key="/deis/platform/domain", required=True),
    Setting("debug", default=False, parse=as_bool),
]


def settings(environ=None, etcd=None):
    return Settings("controller", DECLARED, environ=environ or {}, etcd=FakeEtcd({} if etcd is None else etcd))


def test_environment_wins_over_etcd_and_default():
    s = settings({"DEIS_CONTROLLER_PORT": "9000"}, {"/deis/controller/port": "8500"})
    assert s.resolve("port") == (9000, "env")


def test_etcd_wins_over_default():
    s = settings(etcd={"/deis/controller/registrationMode": "admin_only"})
    assert s.resolve("registrationMode") == ("admin_only", "etcd")


def test_default_when_nothing_is_set():
    assert settings().resolve("port") == (8000, "default")


def test_declared_env_and_key_names_are_used():
    s = settings({"DEIS_DOMAIN": "example.com"})
    assert s.get("domain") == "example.com"
    assert settings(etcd={"/deis/platform/domain": "x.io"}).get("domain") == "x.io"


def test_missing_required_setting_says_how_to_set_it():
    with pytest.raises(ConfigurationError, match="deisctl config controller set domain="):
        settings().get("domain")


def test_unparseable_value_names_its_source():
    with pytest.raises(ConfigurationError, match="'port' from etcd is invalid"):
        settings(etcd={"/deis/controller/port": "eighty"}).get("port")


def test_unknown_setting_lists_known_ones():
    with pytest.raises(ConfigurationError, match="known: debug, domain, port, registrationMode"):
        settings().get("prot")


@pytest.mark.parametrize("text,value", [("true", True), ("YES", True), ("1", True), ("off", False), ("0", False)])
def test_as_bool(text, value):
    assert as_bool(text) is value


def test_as_bool_refuses_garbage():
    with pytest.raises(ValueError):
        as_bool("maybe")


def test_values_are_read_on_each_access():
    values = {}
    s = settings(etcd=values)
    assert s.get("registrationMode") == "enabled"
    values["/deis/controller/registrationMode"] = "disabled"
    assert s.get("registrationMode") == "disabled"
