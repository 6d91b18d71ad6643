"""``python3 -m deis.health``: the probe the swarm backend runs inside the app overlay."""

import socket

from deis import health


def test_the_command_line_probe_exits_0_when_the_port_accepts_and_prints_why_not_otherwise(capsys):
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert health.main(["127.0.0.1", str(port), "", "1"]) == 0
    assert health.main(["127.0.0.1", str(port), "", "1"]) == 1
    assert "connection failed" in capsys.readouterr().out
