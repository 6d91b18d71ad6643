"""Pure parsing and rendering of the resource modules (v1's output formats)."""

import click
import pytest

from deis.cli import apps, builds, certs, config, keys, limits, logs, ps, releases, tags


def test_apps_info_block_has_v1_labels():
    text = apps.format_info({"id": "myapp", "uuid": "u", "owner": "alice", "url": "myapp.example.com",
                             "created": "c", "updated": "d"})
    assert text.splitlines() == ["=== myapp Application", "updated:  d", "uuid:     u", "created:  c",
                                 "url:      myapp.example.com", "owner:    alice", "id:       myapp"]


def test_config_list_is_aligned_and_oneline_is_pairs():
    values = {"PORT": "5000", "DEBUG": "true"}
    assert config.format_config("myapp", values, False) == "=== myapp Config\nDEBUG      true\nPORT       5000\n"
    assert config.format_config("myapp", values, True) == "DEBUG=true PORT=5000\n"


def test_config_pairs_split_on_the_first_equals():
    assert config.parse_pairs(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(click.BadParameter, match="'NOEQUALS' is not in the format KEY=value"):
        config.parse_pairs(["NOEQUALS"])


def test_env_file_round_trip_skips_comments():
    assert config.parse_env_file("# c\n\nA=1\nB=two words\n") == {"A": "1", "B": "two words"}
    assert config.format_env_file({"B": 2, "A": "1"}) == "A=1\nB=2\n"


def test_config_pull_merge_keeps_local_values_unless_overwrite():
    local, remote = {"A": "local", "KEEP": "me"}, {"A": "remote", "NEW": "n"}
    assert config.merge_pulled(local, remote, False, False) == {"A": "local", "KEEP": "me", "NEW": "n"}
    assert config.merge_pulled(local, remote, True, False)["A"] == "remote"


def test_ssh_key_is_read_from_a_path_and_base64_encoded(tmp_path):
    key = tmp_path / "id_rsa"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n")
    assert config.encode_ssh_key(str(key)).startswith("LS0tLS1CRUdJTiBSU0Eg")
    with pytest.raises(click.BadParameter, match="SSH_KEY is not an SSH private key"):
        config.encode_ssh_key("not a key")


def test_limits_block_shows_unlimited_and_pairs():
    assert limits.format_limits("myapp", {"web": "256M"}, {}) == (
        "=== myapp Limits\n\n--- Memory\nweb     256M\n\n--- CPU\nUnlimited\n")


def test_tags_block():
    assert tags.format_tags("myapp", {"environ": "prod"}) == "=== myapp Tags\nenviron     prod\n"


def test_ps_list_groups_by_type_and_orders_by_number():
    procs = [{"type": "web", "num": 2, "state": "up", "release": "v2"},
             {"type": "worker", "num": 1, "state": "crashed", "release": "v2"},
             {"type": "web", "num": 10, "state": "up", "release": "v2"},
             {"type": "web", "num": 1, "state": "up", "release": "v2"}]
    assert ps.format_processes("myapp", procs, 4).splitlines() == [
        "=== myapp Processes", "--- web:", "web.1 up (v2)", "web.2 up (v2)", "web.10 up (v2)",
        "--- worker:", "worker.1 crashed (v2)"]


def test_ps_list_on_a_cluster_names_each_containers_node_and_one_host_keeps_v1s_line():
    procs = [{"type": "web", "num": 1, "state": "up", "release": "v2", "host": "h2"},
             {"type": "web", "num": 2, "state": "up", "release": "v2", "host": None}]
    assert ps.format_processes("myapp", procs, 2).splitlines()[2:] == ["web.1 up (v2) on h2", "web.2 up (v2)"]


def test_ps_scale_targets():
    assert ps.parse_targets(["web=3", "worker=0"]) == {"web": 3, "worker": 0}
    with pytest.raises(click.BadParameter, match="does not match the pattern 'type=num', ex: web=2"):
        ps.parse_targets(["web"])


def test_ps_restart_paths():
    assert ps.restart_path("a", None) == "/v1/apps/a/containers/restart/"
    assert ps.restart_path("a", "web") == "/v1/apps/a/containers/web/restart/"
    assert ps.restart_path("a", "web.2") == "/v1/apps/a/containers/web/2/restart/"


def test_releases_list_and_info():
    rows = [{"version": 2, "created": "2014-01-02T00:00:00UTC", "summary": "alice deployed x"}]
    assert releases.format_releases("myapp", rows, 2) == (
        "=== myapp Releases (1 of 2)\nv2\t2014-01-02T00:00:00UTC\talice deployed x\n")
    info = releases.format_release("myapp", {"version": 1, "build": None, "config": "c", "owner": "o",
                                              "created": "t", "summary": "s", "updated": "u", "uuid": "x"})
    assert info.splitlines()[:2] == ["=== myapp Release v1", "config:  c"]
    assert releases.parse_version("v3") == releases.parse_version("3") == 3
    with pytest.raises(click.BadParameter):
        releases.parse_version("three")


def test_procfile_lines():
    assert builds.parse_procfile("web: ./server --port $PORT\n# c\nworker: 'python w.py'\n") == {
        "web": "./server --port $PORT", "worker": "python w.py"}
    with pytest.raises(click.BadParameter, match="line 1"):
        builds.parse_procfile("nonsense")


def test_builds_list():
    assert builds.format_builds("a", [{"uuid": "u1", "created": "c1"}], 1) == "=== a Builds\nu1 c1\n"


def test_certs_table_and_empty():
    assert certs.format_certs([]) == "No certs\n"
    table = certs.format_certs([{"common_name": "www.example.com", "expires": "2030-01-01T00:00:00UTC"}])
    assert table.splitlines() == ["Common Name      Expires", "---------------  ----------------------",
                                  "www.example.com  2030-01-01T00:00:00UTC"]


def test_keys_list_abbreviates_public_keys():
    public = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0123456789 alice@laptop"
    assert keys.format_keys("alice", [{"id": "alice@laptop", "public": public}], 1) == (
        "=== alice Keys\nalice@laptop ssh-rsa AAAAB3Nz...ice@laptop\n")


def test_key_id_is_the_comment_or_the_file_name(tmp_path):
    with_comment, without = tmp_path / "id_rsa.pub", tmp_path / "work.pub"
    with_comment.write_text("ssh-rsa AAAA alice@laptop\n")
    without.write_text("ssh-ed25519 AAAA\n")
    assert keys.read_key(with_comment).id == "alice@laptop"
    assert keys.read_key(without).id == "work"


def test_log_sources_and_colours_are_stable():
    line = "2016-01-01T00:00:00UTC myapp[web.1]: listening"
    assert logs.source_of(line) == "myapp[web.1]"
    assert logs.colour_of("myapp[web.1]") == logs.colour_of("myapp[web.1]")
    assert logs.source_of("plain") == ""


