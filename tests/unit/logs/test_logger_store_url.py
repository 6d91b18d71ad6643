"""Where the logger keeps its logs: an explicit URL, else the store's append URL, else its URL (pure)."""

from deis import keys
from logger.settings import SETTINGS, store_url


class Keys(dict):
    def get(self, key, default=None):
        return super().get(key, default)


S3 = "s3://deis?endpoint=http://127.0.0.1:7480"
RADOS = "rados://deis?conf=/var/lib/deis/ceph/ceph.conf"


def test_on_ceph_the_logs_go_to_the_pool_that_appends_natively():
    etcd = Keys({keys.component("store", "url"): S3, keys.component("store", "appendUrl"): RADOS})
    assert store_url(SETTINGS.bind(etcd, environ={})) == RADOS


def test_without_an_append_url_the_store_url_is_used():
    etcd = Keys({keys.component("store", "url"): "file:///var/lib/deis/store"})
    assert store_url(SETTINGS.bind(etcd, environ={})) == "file:///var/lib/deis/store"


def test_a_url_given_in_the_environment_wins():
    etcd = Keys({keys.component("store", "url"): S3, keys.component("store", "appendUrl"): RADOS})
    assert store_url(SETTINGS.bind(etcd, environ={"DEIS_LOGGER_STOREURL": S3})) == S3
