"""Which lease-expired routes the router keeps, and for how long (pure: fake clock and probe)."""

from deis import keys
from router.held import HeldRoutes, is_route

ROUTE = keys.service("app", "app_v1.web.1")


def held(answering=True):
    now = [100.0]
    routes = HeldRoutes(grace=10, answers=lambda address: answering, clock=lambda: now[0])
    routes.hold(ROUTE, "10.0.0.2:5000")
    return routes, now


def test_only_container_keys_are_routes():
    assert is_route(ROUTE)
    assert not is_route(keys.app_marker("app"))
    assert not is_route(keys.domain("example.com"))


def test_a_held_route_is_served_until_the_grace_ends():
    routes, now = held()
    assert routes.overlay({}) == {ROUTE: "10.0.0.2:5000"}
    now[0] += 9.9
    assert routes.prune({}) == []
    now[0] += 0.2
    assert routes.prune({}) == [ROUTE]
    assert routes.overlay({}) == {} and not routes


def test_a_backend_that_stops_answering_is_dropped_at_once():
    routes, _ = held(answering=False)
    assert routes.prune({}) == [ROUTE]


def test_a_draining_marker_drops_it_and_a_new_announcement_replaces_it():
    routes, _ = held()
    assert routes.prune({keys.draining("app", "app_v1.web.1"): "1"}) == [ROUTE]
    routes, _ = held()
    assert routes.overlay({ROUTE: "10.0.0.3:5000"}) == {ROUTE: "10.0.0.3:5000"}
    assert routes.prune({ROUTE: "10.0.0.3:5000"}) == [ROUTE]


def test_holding_again_does_not_extend_the_grace():
    routes, now = held()
    now[0] += 8
    routes.hold(ROUTE, "10.0.0.2:5000")
    now[0] += 3
    assert routes.prune({}) == [ROUTE]
