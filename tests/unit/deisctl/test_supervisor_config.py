import configparser
import shlex
from pathlib import Path

from deis.paths import Paths
from deisctl.infrastructure import Program
from deisctl.supervisor import render_program, render_supervisord

PATHS = Paths(Path("/data"))


def parse(text):
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_program_section_restarts_with_backoff_and_logs_to_its_journal():
    section = parse(render_program("etcd", Program(["/usr/bin/etcd", "--name", "deis"]), PATHS, {}))["program:etcd"]
    assert shlex.split(section["command"]) == ["/usr/bin/etcd", "--name", "deis"]
    assert section["autorestart"] == "true"
    assert int(section["startretries"]) > 1
    assert section["autostart"] == "false"
    assert section["stdout_logfile"] == "/data/logs/etcd.log"
    assert section["redirect_stderr"] == "true"
    assert section["stopasgroup"] == "true"


def test_programs_start_in_the_data_root_so_a_lost_component_folder_does_not_stop_them():
    section = parse(render_program("database", Program(["deis-database"]), PATHS, {}))["program:database"]
    assert section["directory"] == "/data"


def test_program_environment_passes_deis_settings_and_escapes_percent():
    environ = {"DEIS_ETCD": "http://127.0.0.1:2379", "SECRET_TOKEN": "nope", "DEIS_X": "50%"}
    text = render_program("redis", Program(["redis-server", "--x", "a%b"]), PATHS, environ)
    section = parse(text)["program:redis"]
    assert 'DEIS_ETCD="http://127.0.0.1:2379"' in section["environment"]
    assert 'DEIS_DATA_DIR="/data"' in section["environment"]
    assert 'DEIS_X="50%%"' in section["environment"]
    assert "SECRET_TOKEN" not in section["environment"]
    assert "a%%b" in section["command"]


def test_supervisord_conf_keeps_its_socket_and_programs_in_the_data_dir():
    parser = parse(render_supervisord(PATHS))
    assert parser["unix_http_server"]["file"] == "/data/run/supervisor.sock"
    assert parser["unix_http_server"]["chmod"] == "0700"
    assert parser["include"]["files"] == "/data/supervisor/programs/*.conf"
    assert "deisctl.restarts /data/run/restarts.json" in parser["eventlistener:deis-restarts"]["command"]


def test_a_manager_that_stops_its_children_itself_gets_the_signal_alone():
    text = render_program("database", Program(["deis-database"], stop_as_group=False), PATHS, {})
    section = parse(text)["program:database"]
    assert section["stopasgroup"] == "false"
    assert section["killasgroup"] == "true"  # the SIGKILL escalation still reaches PostgreSQL


def test_supervisord_and_every_program_write_private_files():
    assert parse(render_supervisord(PATHS))["supervisord"]["umask"] == "077"
    section = parse(render_program("registry", Program(["deis-registry"]), PATHS, {}))["program:registry"]
    assert section["umask"] == "077"
