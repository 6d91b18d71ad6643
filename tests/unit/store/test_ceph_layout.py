"""The Ceph cluster's files and command lines, rendered without starting anything."""

import base64
import struct

from store.ceph import Cluster, Identity, Layout
from store.ceph.layout import keyrings


def test_cephx_keys_have_ceph_s_binary_header():
    raw = base64.b64decode(Identity.generate().admin_key)
    kind, _, _, length = struct.unpack("<hIIh", raw[:12])
    assert (kind, length, len(raw)) == (1, 16, 28)


def test_conf_keeps_everything_under_its_folder_and_never_sets_a_block_path(tmp_path):
    conf = Layout(tmp_path, mon_port=3301, rgw_port=7481).render_conf("f-s-i-d")
    assert "fsid = f-s-i-d" in conf and "mon host = [v2:127.0.0.1:3301]" in conf
    assert "beast endpoint=127.0.0.1:7481" in conf
    assert f"osd data = {tmp_path}/osd/$cluster-$id" in conf
    assert "bluestore block create = true" in conf and "\nbluestore block path" not in conf
    assert "auth allow insecure global id reclaim = false" in conf
    # The admin keyring only under [client.admin], never [global]: daemons would authenticate as admin.
    assert conf.index(f"keyring = {tmp_path}/admin.keyring") > conf.index("[client.admin]")
    assert "paxos propose interval" not in conf and "mon allow pool delete = false" in conf


def test_fast_settings_only_for_tests(tmp_path):
    conf = Layout(tmp_path, fast=True).render_conf("x")
    assert "paxos propose interval = 0.1" in conf and "osd op num shards = 2" in conf


def test_monitor_keyring_names_every_daemon_with_caps():
    identity = Identity.generate()
    mon = keyrings(identity)["mon"]
    for entity in ("[mon.]", "[client.admin]", "[client.rgw.gateway]", "[mgr.x]"):
        assert entity in mon
    assert f"key = {identity.admin_key}" in mon and 'caps mgr = "allow profile mgr"' not in mon


def test_daemons_run_in_the_foreground_with_the_cluster_s_conf(tmp_path):
    cluster = Cluster(Layout(tmp_path), Identity.generate())
    for daemon in ("mon", "mgr", "osd", "radosgw"):
        argv = cluster.argv(daemon)
        assert "-f" in argv and argv[argv.index("-c") + 1] == str(tmp_path / "ceph.conf")
