"""Builder settings that decide where it listens."""

from builder.__main__ import config_from
from builder.settings import SETTINGS


def test_the_ssh_server_binds_loopback_unless_configured_for_a_cluster():
    assert config_from(SETTINGS.bind(None, environ={})).bind == "127.0.0.1"
    assert config_from(SETTINGS.bind(None, environ={"HOST": "10.0.0.4"})).bind == "10.0.0.4"
    assert config_from(SETTINGS.bind(None, environ={"DEIS_BUILDER_BIND": "0.0.0.0"})).bind == "0.0.0.0"
