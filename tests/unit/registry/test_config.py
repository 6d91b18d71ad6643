"""Rendering the registry config: folder or S3 storage, Redis cache, deletes, quoting."""

import pytest
import yaml

from deis import keys
from deis.errors import ConfigurationError
from registry.config import S3, RegistryConfig, bucket_of, endpoint_of, from_settings, render
from registry.settings import SETTINGS, default_storage_dir


class Keys(dict):
    """etcd as settings see it: a ``get``."""

    def get(self, key, default=None):
        return super().get(key, default)


def settings(environ=None, **etcd_values):
    return SETTINGS.bind(etcd=Keys(etcd_values), environ=environ or {"DEIS_DATA_DIR": "/data"})


def rendered(config: RegistryConfig) -> dict:
    return yaml.safe_load(render(config))


def test_folder_storage_with_redis_cache_and_deletes_by_default():
    config = rendered(RegistryConfig(storage_dir="/data/registry", port=5001))
    assert config["storage"]["filesystem"] == {"rootdirectory": "/data/registry"}
    assert "s3" not in config["storage"]
    assert config["storage"]["delete"] == {"enabled": True}
    assert config["storage"]["cache"] == {"blobdescriptor": "redis"}
    assert config["storage"]["redirect"] == {"disable": True}
    assert config["redis"]["addr"] == "127.0.0.1:6379" and config["redis"]["db"] == 0
    assert config["http"]["addr"] == "127.0.0.1:5001"
    assert "secret" not in config["http"]


def test_s3_storage_renders_every_parameter():
    s3 = S3(bucket="deis", access_key="AK", secret_key="SK", region="eu-west-1",
            endpoint="http://127.0.0.1:7480", root_directory="/registry")
    storage = rendered(RegistryConfig(s3=s3))["storage"]
    assert "filesystem" not in storage
    assert storage["s3"] == {
        "accesskey": "AK", "secretkey": "SK", "region": "eu-west-1", "regionendpoint": "http://127.0.0.1:7480",
        "bucket": "deis", "secure": False, "v4auth": True, "rootdirectory": "/registry", "forcepathstyle": True,
    }


def test_s3_without_endpoint_is_aws_over_https():
    storage = rendered(RegistryConfig(s3=S3(bucket="b")))["storage"]["s3"]
    assert "regionendpoint" not in storage and storage["secure"] is True


@pytest.mark.parametrize("value", ['se"cret', "a: b", "#x", "{x}", "line\nbreak", "back\\slash", "<&'>", "ünï"])
def test_values_survive_quoting(value):
    config = rendered(RegistryConfig(s3=S3(bucket="b", secret_key=value), http_secret=value))
    assert config["storage"]["s3"]["secretkey"] == value
    assert config["http"]["secret"] == value


def test_default_storage_dir_is_under_the_data_dir():
    assert default_storage_dir({"DEIS_DATA_DIR": "/data"}) == "/data/registry"


def test_settings_default_to_folder_storage_under_the_data_dir():
    config = from_settings(settings())
    assert config.s3 is None
    assert config.storage_dir == default_storage_dir()  # <DEIS_DATA_DIR>/registry, resolved at import
    assert (config.port, config.redis_port, config.redis_db) == (5000, 6379, 0)


def test_settings_read_redis_from_etcd_then_environment():
    assert from_settings(settings(**{keys.redis("host"): "10.0.0.5", keys.redis("port"): "6380"})).redis_address \
        == "10.0.0.5:6380"
    environ = {"DEIS_REDIS_PORT": "7000"}
    assert from_settings(settings(environ, **{keys.redis("port"): "6380"})).redis_port == 7000


def test_settings_choose_s3_when_the_store_is_an_s3_bucket():
    store = {keys.component("store", "backend"): "s3",
             keys.component("store", "url"): "s3://deis?endpoint=http://gw:7480",
             keys.store_gateway("accessKey"): "AK", keys.store_gateway("secretKey"): "SK"}
    s3 = from_settings(settings(**store)).s3
    assert s3 == S3(bucket="deis", access_key="AK", secret_key="SK", endpoint="http://gw:7480")


def test_settings_use_the_announced_ceph_gateway_for_a_named_bucket():
    store = {keys.component("store", "backend"): "rados", keys.component("store", "url"): "rados://deis",
             keys.component("registry", "bucketName"): "registry",
             keys.store_gateway("host"): "10.0.0.2", keys.store_gateway("port"): "7480"}
    s3 = from_settings(settings(**store)).s3
    assert (s3.bucket, s3.endpoint, s3.secure) == ("registry", "http://10.0.0.2:7480", False)


def test_ceph_store_without_a_bucket_keeps_folder_storage():
    assert from_settings(settings(**{keys.component("store", "backend"): "rados"})).s3 is None


def test_s3_store_without_bucket_is_refused_with_the_command_to_fix_it():
    with pytest.raises(ConfigurationError, match="deisctl config registry set bucketName="):
        from_settings(settings(**{keys.component("store", "backend"): "s3"}))


def test_file_store_ignores_s3_parameters():
    assert from_settings(settings(**{keys.component("registry", "bucketName"): "deis"})).s3 is None


def test_endpoint_and_bucket_of_store_urls():
    assert bucket_of("s3://deis?endpoint=http://gw:7480") == "deis"
    assert bucket_of("file:///var/lib/deis/store") == ""
    assert endpoint_of("s3://deis", "gw", "7480") == "http://gw:7480"
    assert endpoint_of("s3://deis", "", "") == ""
