"""Finding this container's address on one of its networks (the engine faked)."""

import socket

import docker

from deis import taskaddress


class Engine:
    def __init__(self, networks):
        self.api = self
        self.networks, self.asked, self.closed = networks, [], False

    def inspect_container(self, name):
        self.asked.append(name)
        return {"NetworkSettings": {"Networks": self.networks}}

    def close(self):
        self.closed = True


def test_the_address_on_the_named_network_of_this_container():
    engine = Engine({"deis-apps": {"IPAddress": "10.0.2.3"}, "deis-platform": {"IPAddress": "10.0.1.3"}})
    assert taskaddress.address_on("deis-platform", engine) == "10.0.1.3"
    assert engine.asked == [socket.gethostname()] and engine.closed


def test_nothing_when_not_on_that_network():
    assert taskaddress.address_on("deis-platform", Engine({"deis-apps": {"IPAddress": "10.0.2.3"}})) == ""


def test_main_exits_1_when_the_engine_does_not_answer(monkeypatch, capsys):
    def refuse(**_):
        raise docker.errors.DockerException("no socket")
    monkeypatch.setattr(docker, "from_env", refuse)
    assert taskaddress.main(["deis-platform"]) == 1
    assert capsys.readouterr().out == ""
