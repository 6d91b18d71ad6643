from pathlib import Path

from deis.paths import Paths
from deisctl import infrastructure as infra

PATHS = Paths(Path("/data"))


def flag(argv, name):
    return argv[argv.index(name) + 1]


def test_etcd_listens_on_the_configured_loopback_ports_with_data_in_the_data_dir():
    argv = infra.etcd_program(PATHS, {"DEIS_ETCD": "http://127.0.0.1:23790", "DEIS_ETCD_PEER_PORT": "23800"}).argv
    assert flag(argv, "--data-dir") == "/data/etcd"
    assert flag(argv, "--listen-client-urls") == "http://127.0.0.1:23790"
    assert flag(argv, "--listen-peer-urls") == "http://127.0.0.1:23800"
    assert flag(argv, "--initial-cluster") == "deis=http://127.0.0.1:23800"


def test_etcd_defaults_to_2379_and_2380():
    assert infra.etcd_addresses({}) == {"client": ("127.0.0.1", 2379), "peer": ("127.0.0.1", 2380)}


def test_dockerd_keeps_its_data_under_the_data_dir():
    argv = infra.docker_program(PATHS, {}).argv
    assert flag(argv, "--data-root") == "/data/docker"
    assert flag(argv, "--host") == "unix:///var/run/docker.sock"
    assert flag(infra.docker_program(PATHS, {"DOCKER_HOST": "unix:///x.sock"}).argv, "--host") == "unix:///x.sock"


def test_dockerd_leaves_app_containers_running_when_it_stops():
    program = infra.docker_program(PATHS, {})
    assert "--live-restore" in program.argv
    assert program.stop_as_group is False  # dockerd alone gets SIGTERM; it shuts its containerd down itself


def test_redis_binds_loopback_on_the_configured_port():
    argv = infra.redis_program(PATHS, {"DEIS_REDIS_PORT": "7000"}).argv
    assert flag(argv, "--bind") == "127.0.0.1"
    assert flag(argv, "--port") == "7000"
    assert flag(argv, "--dir") == "/data/redis"
    assert flag(argv, "--daemonize") == "no"
