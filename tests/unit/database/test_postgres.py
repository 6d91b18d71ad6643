"""The cluster's command lines and the never-wipe rule, without starting PostgreSQL."""

import pytest

from database import postgres
from deis.errors import ConfigurationError


@pytest.fixture
def cluster(tmp_path):
    return postgres.Cluster(tmp_path / "database", "127.0.0.1", 6543, 100, user="postgres")


def test_server_listens_on_loopback_with_its_socket_in_the_data_folder(cluster):
    argv = cluster.postgres_argv()
    assert argv[0].endswith("/postgres")
    assert argv[1:] == ["-D", str(cluster.data), "-p", "6543", "-k", str(cluster.data),
                        "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100"]


def test_initdb_uses_peer_locally_and_passwords_over_tcp(cluster):
    argv = cluster.initdb_argv()
    assert argv[0].endswith("/initdb")
    assert "--auth-local=peer" in argv and "--auth-host=scram-sha-256" in argv
    assert argv[argv.index("-U") + 1] == "postgres"


def test_psql_reads_its_script_from_stdin_over_the_socket(cluster):
    argv = cluster.psql_argv()
    assert argv[argv.index("-h") + 1] == str(cluster.data)
    assert argv[-2:] == ["-f", "-"]


def test_newest_installed_version_is_preferred():
    assert postgres._version("/usr/lib/postgresql/15/bin/postgres") > postgres._version(
        "/usr/lib/postgresql/9.6/bin/postgres")


def test_existing_cluster_is_reused_untouched(cluster):
    cluster.data.mkdir()
    (cluster.data / "PG_VERSION").write_text("15\n")
    (cluster.data / "base").mkdir()
    assert cluster.ensure_initialized() is False
    assert sorted(p.name for p in cluster.data.iterdir()) == ["PG_VERSION", "base"]


def test_folder_with_something_else_is_refused_and_left_alone(cluster):
    cluster.data.mkdir()
    (cluster.data / "precious.txt").write_text("keep me")
    with pytest.raises(ConfigurationError, match="is not empty but holds no PostgreSQL cluster"):
        cluster.ensure_initialized()
    assert (cluster.data / "precious.txt").read_text() == "keep me"


def test_bootstrap_script_takes_secrets_from_the_environment():
    script = postgres.BOOTSTRAP.read_text()
    assert "\\getenv password DEIS_DATABASE_PASSWORD" in script
    assert "%L" in script and "%I" in script  # quoted by PostgreSQL's format(), never by us
