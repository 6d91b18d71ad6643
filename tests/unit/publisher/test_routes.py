from publisher.routes import candidate, container_port


def attrs(name="myapp_v2.web.1", running=True, env=("PORT=5000",), ip="172.17.0.5", ports=None):
    return {
        "Name": f"/{name}",
        "State": {"Running": running},
        "Config": {"Env": list(env)},
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": ip}}, "Ports": ports or {}},
    }


def test_web_container_routes_to_its_own_address_and_port():
    route = candidate(attrs(), host="", draining=set())
    assert (route.app, route.name, route.address) == ("myapp", "myapp_v2.web.1", "172.17.0.5:5000")


def test_port_comes_from_the_port_variable_not_the_lowest_exposed_port():
    ports = {"22/tcp": [{"HostPort": "32001"}], "8080/tcp": [{"HostPort": "32002"}]}
    route = candidate(attrs(env=("PORT=8080",), ports=ports), host="10.0.0.9", draining=set())
    assert route.address == "10.0.0.9:32002"
    assert container_port(["A=1"]) == 5000


def test_with_a_host_address_but_no_published_port_there_is_no_route():
    assert candidate(attrs(), host="10.0.0.9", draining=set()) is None


def test_only_running_web_and_cmd_containers_not_draining_are_routed():
    assert candidate(attrs(name="myapp_v2.cmd.1"), "", set()) is not None
    assert candidate(attrs(name="myapp_v2.worker.1"), "", set()) is None
    assert candidate(attrs(name="myapp_v2.run.1"), "", set()) is None
    assert candidate(attrs(name="deis-router"), "", set()) is None
    assert candidate(attrs(running=False), "", set()) is None
    assert candidate(attrs(), "", {"myapp_v2.web.1"}) is None
