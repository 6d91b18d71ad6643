"""Controller settings: names, environment variables, overrides."""

import pytest

from controller import settings
from deis.errors import ConfigurationError


def test_defaults():
    values = settings.load(etcd=None).bind(environ={})
    assert values.get("port") == 8000
    assert values.get("registrationMode") == "enabled"
    assert values.get("subdomain") == "deis"


def test_database_url_comes_from_deis_database_url():
    assert settings.SETTINGS.env_name("databaseUrl") == "DEIS_DATABASE_URL"
    assert settings.SETTINGS.env_name("registrationMode") == "DEIS_CONTROLLER_REGISTRATIONMODE"
    assert settings.SETTINGS.key("platformDomain") == "/deis/platform/domain"


def test_overrides_win():
    assert settings.load({"registrationMode": "admin_only"}).get("registrationMode") == "admin_only"


def test_unknown_registration_mode_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        settings.load({"registrationMode": "sometimes"}).get("registrationMode")


def test_the_api_listens_on_loopback_unless_configured_for_a_cluster():
    from controller.server import bind_address

    assert bind_address(settings.load(etcd=None).bind(environ={})) == "127.0.0.1"
    assert bind_address(settings.load(etcd=None).bind(environ={"DEIS_CONTROLLER_HOST": "10.0.0.4"})) == "10.0.0.4"
    assert bind_address(settings.load(etcd=None).bind(environ={"DEIS_CONTROLLER_BIND": "0.0.0.0"})) == "0.0.0.0"


def test_the_app_network_is_a_platform_setting():
    assert settings.load(etcd=None).bind(environ={}).get("appNetwork") == "deis-apps"
    assert settings.SETTINGS.key("appNetwork") == "/deis/platform/appNetwork"
    assert settings.SETTINGS.env_name("appNetwork") == "DEIS_APP_NETWORK"


def test_the_reconcile_interval_is_bounded():
    assert settings.load(etcd=None).bind(environ={}).get("reconcileInterval") == 10.0
    assert settings.load({"reconcileInterval": "1"}).get("reconcileInterval") == 1.0
    for outside in ("0.5", "301", "soon"):
        with pytest.raises(ConfigurationError):
            settings.load({"reconcileInterval": outside}).get("reconcileInterval")
