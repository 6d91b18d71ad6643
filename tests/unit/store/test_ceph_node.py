"""One daemon of a multi-host Ceph cluster: its layout, its conf and its pool convergence, without Ceph."""

import json

import pytest

from deis.settings import Settings
from store.ceph import Cluster, Identity, Layout, node
from store.ceph.cluster import CephError
from store.settings import SETTINGS, monitors

ENVIRON = {"DEIS_STORE_BACKEND": "ceph", "DEIS_STORE_DAEMON": "osd", "DEIS_STORE_NODE": "h2",
           "DEIS_STORE_MONITORS": "h1=10.0.0.11,h2=10.0.0.12,h3=10.0.0.13", "DEIS_DATA_DIR": "/var/lib/deis"}


def settings(**environ) -> Settings:
    return SETTINGS.bind(environ={**ENVIRON, **environ})


def test_monitors_parse_in_order_and_refuse_what_is_not_name_equals_address():
    assert monitors("h1=10.0.0.11, h2=10.0.0.12,") == (("h1", "10.0.0.11"), ("h2", "10.0.0.12"))
    with pytest.raises(ValueError, match="NAME=ADDRESS"):
        monitors("h1")


def test_a_node_s_layout_takes_its_address_from_the_monitors_and_replicates_on_three():
    layout = node.layout_of(settings())
    assert (layout.node, layout.host, layout.size, layout.min_size) == ("h2", "10.0.0.12", 3, 2)
    assert str(layout.root) == "/var/lib/deis/ceph" and layout.log_to_stderr
    assert layout.mon_data.name == "ceph-h2" and layout.rgw_id == "h2"
    assert node.store_url(layout) == "s3://deis?endpoint=http://10.0.0.12:7480"
    with pytest.raises(CephError, match="not among the monitors"):
        node.layout_of(settings(DEIS_STORE_NODE="h9"))


def test_cluster_conf_lists_every_monitor_places_copies_on_hosts_and_logs_to_stderr(tmp_path):
    layout = Layout(tmp_path, host="10.0.0.12", node="h2", size=3, min_size=2, log_to_stderr=True,
                    monitors=(("h1", "10.0.0.11"), ("h2", "10.0.0.12")))
    conf = layout.render_conf("f")
    assert "mon host = [v2:10.0.0.11:3300],[v2:10.0.0.12:3300]\n" in conf
    assert "osd pool default size = 3\nosd pool default min size = 2\n" in conf
    assert "crush location = root=default host=h2" in conf and "chooseleaf type = 0" not in conf
    assert "mon allow pool size one" not in conf and "log to stderr = true" in conf and "log file" not in conf
    assert "[client.rgw.h2]" in conf and "beast endpoint=10.0.0.12:7480" in conf
    assert "client mount timeout = 30" in conf, "daemons give up on absent monitors"


def test_one_host_conf_keeps_its_single_monitor_and_size_one(tmp_path):
    conf = Layout(tmp_path).render_conf("f")
    assert "mon host = [v2:127.0.0.1:3300]\n" in conf and "osd pool default min size = 1" in conf
    assert "osd crush chooseleaf type = 0" in conf and "crush location" not in conf


def test_daemons_of_a_node_are_named_after_it(tmp_path):
    cluster = Cluster(Layout(tmp_path, node="h2", osd_id=4), Identity.generate())
    assert cluster.argv("mon")[-2:] == ["-i", "h2"] and cluster.argv("mgr")[-2:] == ["-i", "h2"]
    assert cluster.argv("osd")[-2:] == ["-i", "4"] and cluster.argv("radosgw")[-1] == "client.rgw.h2"


class Pools(Cluster):
    """A cluster whose ``ceph`` answers from a pool table and records what it was told."""

    def __init__(self, layout, pools):
        super().__init__(layout, Identity.generate())
        self.pools, self.told = pools, []

    def ceph(self, *args, **options):
        if args[:3] == ("osd", "pool", "ls"):
            return json.dumps(self.pools)
        self.told.append(args)
        return ""


def test_pools_converge_to_the_layout_s_size_and_min_size_idempotently(tmp_path):
    layout = Layout(tmp_path, node="h1", size=3, min_size=2)
    cluster = Pools(layout, [{"pool_name": "deis", "size": 3, "min_size": 2},
                             {"pool_name": ".rgw.root", "size": 1, "min_size": 1}])
    assert node.replicate_pools(cluster) == [".rgw.root"]
    assert cluster.told == [("osd", "pool", "set", ".rgw.root", "size", "3"),
                            ("osd", "pool", "set", ".rgw.root", "min_size", "2")]
    settled = Pools(layout, [{"pool_name": "deis", "size": 3, "min_size": 2}])
    assert node.replicate_pools(settled) == [] and settled.told == []
