from deis.ports import environment_port
from publisher.routes import candidate


def attrs(name="myapp_v2.web.1", running=True, env=("PORT=5000",), ip="172.18.0.5", network="deis-apps"):
    return {
        "Name": f"/{name}",
        "State": {"Running": running},
        "Config": {"Env": list(env)},
        "NetworkSettings": {"Networks": {network: {"IPAddress": ip}}, "Ports": {}},
    }


def test_web_container_routes_to_its_own_address_on_the_app_network_and_port():
    route = candidate(attrs(), draining=set())
    assert (route.app, route.name, route.address) == ("myapp", "myapp_v2.web.1", "172.18.0.5:5000")
    assert candidate(attrs(network="overlay", ip="10.0.9.3"), set(), "overlay").address == "10.0.9.3:5000"


def test_port_comes_from_the_port_variable_not_the_lowest_exposed_port():
    route = candidate(attrs(env=("PORT=8080",)), draining=set())
    assert route.address == "172.18.0.5:8080"
    assert environment_port(["A=1"]) == 5000


def test_a_published_host_port_is_never_announced():
    """Routes go to the container, so the router's whitelist and HTTPS rules cannot be walked around."""
    published = attrs()
    published["NetworkSettings"]["Ports"] = {"5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32002"}]}
    assert candidate(published, set()).address == "172.18.0.5:5000"


def test_only_running_web_and_cmd_containers_not_draining_are_routed():
    assert candidate(attrs(name="myapp_v2.cmd.1"), set()) is not None
    assert candidate(attrs(name="myapp_v2.worker.1"), set()) is None
    assert candidate(attrs(name="myapp_v2.run.1"), set()) is None
    assert candidate(attrs(name="deis-router"), set()) is None
    assert candidate(attrs(running=False), set()) is None
    assert candidate(attrs(), {"myapp_v2.web.1"}) is None


def test_a_release_container_is_probed_on_its_own_healthcheck_url_not_the_apps_config_in_etcd():
    """etcd gets a new HEALTHCHECK_URL only once its deploy succeeded: until then it is the old release's (T2)."""
    route = candidate(attrs(env=("PORT=5000", "DEIS_RELEASE=v3", "HEALTHCHECK_URL=/fail")), set())
    assert route.check_path(configured=None) == "/fail"
    unset = candidate(attrs(env=("PORT=5000", "DEIS_RELEASE=v4")), set())
    assert unset.check_path(configured="/fail") is None  # config:unset: a TCP connect, as the controller waited


def test_a_container_not_started_by_the_controller_is_probed_on_the_apps_config():
    assert candidate(attrs(env=("PORT=5000", "HEALTHCHECK_URL=/own")), set()).check_path("/health") == "/health"
    assert candidate(attrs(), set()).check_path(None) is None


def test_a_swarm_task_container_is_routed_by_its_v1_name_label():
    task = attrs(name="myapp_v2-web-1.1.k3j5x9q2m0rr")
    task["Config"]["Labels"] = {"deis.name": "myapp_v2.web.1"}
    route = candidate(task, draining=set())
    assert (route.app, route.name) == ("myapp", "myapp_v2.web.1")
    assert candidate(task, draining={"myapp_v2.web.1"}) is None
    assert candidate(attrs(name="myapp_v2-web-1.1.k3j5x9q2m0rr"), set()) is None
