"""The controller side of image hygiene, without services: settings and the registry's address."""

import pytest

from controller.settings import SETTINGS
from deis import keys
from deis.errors import ConfigurationError
from deis.images import registry_address


class Keys(dict):
    def get(self, key, default=None):
        return super().get(key, default)


def test_retention_defaults_to_five_and_reads_the_controller_setting():
    assert SETTINGS.bind(Keys(), environ={}).get("imageRetention") == 5
    assert SETTINGS.bind(Keys({keys.component("controller", "imageRetention"): "3"}), environ={}) \
        .get("imageRetention") == 3
    assert SETTINGS.env_name("imageRetention") == "DEIS_CONTROLLER_IMAGERETENTION"


def test_retention_below_one_is_refused():
    with pytest.raises(ConfigurationError, match="positive integer"):
        SETTINGS.bind(Keys(), environ={"DEIS_CONTROLLER_IMAGERETENTION": "0"}).get("imageRetention")


def test_registry_address_is_the_announced_one():
    announced = Keys({keys.host("registry"): "127.0.0.1", keys.port("registry"): "5000"})
    assert registry_address(announced) == "127.0.0.1:5000"
    assert registry_address(Keys()) is None
    assert registry_address(None) is None
