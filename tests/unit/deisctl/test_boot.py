"""The boot unit deisctl writes: rendered from its template without systemd (pure)."""

from __future__ import annotations

from pathlib import Path

from deis.paths import Paths
from deisctl import boot

PATHS = Paths(Path("/data"))


def unit_lines() -> list[str]:
    return boot.render_unit(PATHS, "/opt/deis/bin/deisctl").splitlines()


def test_unit_starts_the_platform_with_deisctl_and_tracks_supervisord():
    lines = unit_lines()
    assert "ExecStart=/opt/deis/bin/deisctl --data-dir /data start platform" in lines
    assert "Type=forking" in lines
    assert "PIDFile=/data/run/supervisord.pid" in lines  # the pidfile supervisord.conf names
    assert "ExecStop=/opt/deis/bin/deisctl --data-dir /data stop platform docker" in lines


def test_unit_waits_for_the_network_restarts_on_failure_and_spares_the_app_containers():
    lines = unit_lines()
    assert "Wants=network-online.target" in lines
    assert any(line.startswith("After=network-online.target") for line in lines)
    assert "Restart=on-failure" in lines
    assert "KillMode=process" in lines
    assert "WantedBy=multi-user.target" in lines


def test_unit_reads_the_settings_from_a_private_file_in_the_data_dir():
    assert "EnvironmentFile=-/data/supervisor/deisctl.env" in unit_lines()


def test_environment_file_keeps_the_platform_settings_quoted():
    text = boot.render_environment({"DEIS_ETCD": "http://127.0.0.1:2379", "HOME": "/root",
                                    "DOCKER_HOST": "unix:///var/run/docker.sock", "DEIS_ODD": 'a "b" $c\\'})
    assert text == ('DEIS_ETCD="http://127.0.0.1:2379"\n'
                    'DEIS_ODD="a \\"b\\" \\$c\\\\"\n'
                    'DOCKER_HOST="unix:///var/run/docker.sock"\n')
