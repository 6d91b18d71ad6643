"""The harness itself: each session service is real and usable."""

import subprocess

from tests import services


def test_postgres_accepts_queries(postgres_url):
    result = subprocess.run(["psql", postgres_url, "-tAc", "select current_user"], capture_output=True, text=True)
    assert result.stdout.strip() == "deis"


def test_base_image_runs_a_container_without_pulls(docker_client, base_image):
    output = docker_client.containers.run(base_image, ["sh", "-c", "echo hello from busybox"], remove=True)
    assert output == b"hello from busybox\n"


def test_free_port_is_bindable():
    import socket

    port = services.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
