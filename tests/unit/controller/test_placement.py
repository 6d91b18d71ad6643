"""The swarm backend's pure parts: service names, tags, spread, task states, service specs, back-off."""

import pytest

from controller.scheduler import ContainerSpec, State, Status, placement
from controller.scheduler.swarm import FIRST_DELAY, MAX_DELAY, _relaxed, backoff_delay, service_spec, status_of


@pytest.mark.parametrize("container, service", [
    ("myapp_v3.web.1", "myapp_v3-web-1"),
    ("my-app_v12.worker-high.10", "my-app_v12-worker-high-10"),
    ("a_v1.run.1", "a_v1-run-1"),
])
def test_service_names_are_dns_labels_and_map_back(container, service):
    assert placement.service_name(container) == service
    assert placement.container_name(service) == container
    assert placement.app_of(service) == container.partition("_")[0]


def test_names_that_would_collide_with_dashes_alone_do_not():
    """``x-v1-web`` v2 type ``y`` and ``x`` v1 type ``web-v2-y`` would both be ``x-v1-web-v2-y-1``."""
    assert placement.service_name("x-v1-web_v2.y.1") != placement.service_name("x_v1.web-v2-y.1")


def test_a_long_name_is_cut_and_hashed_within_63_characters():
    long_app = "a" * 64
    first = placement.service_name(f"{long_app}_v1.web.1")
    second = placement.service_name(f"{long_app}_v1.web.2")
    assert len(first) <= 63 and len(second) <= 63 and first != second
    assert placement.container_name(first) is None  # the deis.name label is what the backend reads back


def test_tags_become_node_label_constraints_and_back():
    constraints = placement.tag_constraints({"region": "eu", "environ": "prod"})
    assert constraints == ["node.labels.environ==prod", "node.labels.region==eu"]
    assert placement.tags_of([*constraints, "node.id!=abc"]) == {"environ": "prod", "region": "eu"}
    assert placement.node_matches({"environ": "prod", "region": "eu", "x": "y"}, {"environ": "prod"})
    assert not placement.node_matches({"environ": "staging"}, {"environ": "prod"})
    assert placement.node_matches({}, {})


@pytest.mark.parametrize("siblings, expected", [
    ({}, []),
    ({"n1": 1}, ["node.id!=n1"]),
    ({"n1": 1, "n2": 1}, ["node.id!=n1", "node.id!=n2"]),
    ({"n1": 1, "n2": 1, "n3": 1}, []),  # every node has one: a fourth goes anywhere
    ({"n1": 2, "n2": 1, "n3": 1}, ["node.id!=n1"]),
    ({"elsewhere": 5}, []),  # a sibling on a node that may not run it does not count
])
def test_spread_keeps_a_container_off_the_fuller_nodes(siblings, expected):
    assert placement.spread_constraints(["n3", "n1", "n2"], siblings) == expected


def test_no_eligible_node_means_no_spread():
    assert placement.spread_constraints([], {"n1": 1}) == []


def test_a_task_no_node_can_take_says_why():
    error = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    assert placement.unplaceable(["node.labels.environ==prod"], error).startswith(
        "no node matches the app's tags (environ=prod)")
    assert placement.unplaceable(["node.id!=n1"], error) is None  # spread: relaxed by repair, not an error
    assert placement.unplaceable([], error) == f"no node can run it ({error})"


def task(state, created="2026-01-01T00:00:01.5Z", desired="running", node="n1", err=None, exit_code=None,
         updated=None, task_id="t"):
    status = {"State": state}
    if err:
        status["Err"] = err
    if exit_code is not None:
        status["ContainerStatus"] = {"ExitCode": exit_code}
    return {"ID": task_id, "CreatedAt": created, "UpdatedAt": updated or created, "DesiredState": desired,
            "NodeID": node, "Status": status}


HOSTS = {"n1": "h1", "n2": "h2"}


@pytest.mark.parametrize("tasks, replicas, constraints, expected", [
    ([], 0, [], Status(State.created)),
    ([], 1, [], Status(State.initialized)),
    ([task("running")], 1, [], Status(State.up, host="h1")),
    ([task("starting")], 1, [], Status(State.initialized, host="h1")),
    # A crash, and the next task waiting out its restart delay: crashed, with the exit code.
    ([task("failed", "2026-01-01T00:00:01Z", "shutdown", exit_code=7),
      task("ready", "2026-01-01T00:00:02.25Z", "ready")], 1, [], Status(State.crashed, 7, 1, "h1")),
    ([task("failed", "2026-01-01T00:00:01Z", "shutdown", exit_code=7),
      task("running", "2026-01-01T00:00:02.123456789Z", node="n2")], 1, [], Status(State.up, 7, 1, "h2")),
    # The controller raised the restart delay of a crash loop: Swarm's update shut down the task waiting
    # out the old delay (it never ran), and its new one is preparing: still crashed, with the app's code.
    ([task("failed", "2026-01-01T00:00:01Z", "shutdown", exit_code=3),
      task("shutdown", "2026-01-01T00:00:02Z", "shutdown"),
      task("preparing", "2026-01-01T00:00:02.5Z")], 1, [], Status(State.crashed, 3, 1, "h1")),
    # Stopped: the newest task's own end, not the crash before it.
    ([task("failed", "2026-01-01T00:00:01Z", "shutdown", exit_code=3),
      task("shutdown", "2026-01-01T00:00:02Z", "shutdown", exit_code=143)], 0, [], Status(State.down, 143, 1, "h1")),
    ([task("shutdown", desired="shutdown", exit_code=143)], 0, [], Status(State.down, 143, 0, "h1")),
    ([task("complete", desired="shutdown", exit_code=0)], 1, [], Status(State.down, 0, 0, "h1")),
    ([task("rejected", desired="shutdown", err="No such image: x")], 1, [],
     Status(State.error, None, 0, "h1", "No such image: x")),
    ([task("pending", node="", err="no suitable node (scheduling constraints not satisfied on 3 nodes)")], 1,
     ["node.id!=n1"], Status(State.initialized)),
])
def test_task_states_map_to_v1_states(tasks, replicas, constraints, expected):
    assert status_of(tasks, replicas, constraints, HOSTS) == expected


def test_a_pending_task_no_tagged_node_can_take_is_an_error_with_the_sentence():
    pending = task("pending", node="", err="no suitable node (scheduling constraints not satisfied on 3 nodes)")
    status = status_of([pending], 1, ["node.labels.environ==prod"], HOSTS)
    assert status.state is State.error and status.host is None
    assert status.detail.startswith("no node matches the app's tags (environ=prod)")


def test_the_service_spec_is_hardened_labelled_placed_and_publishes_nothing():
    spec = ContainerSpec(name="a_v2.web.1", image="img", command=["sh", "-c", "x"], environment={"PORT": "5000"},
                         labels={"deis.app": "a"}, port=5000, memory=64, cpu_shares=512, tags={"environ": "prod"})
    body = service_spec(spec, "deis-apps", pids_limit=100, grace=5)
    container, task_ = body["TaskTemplate"]["ContainerSpec"], body["TaskTemplate"]
    assert body["Name"] == "a_v2-web-1" and body["Mode"] == {"Replicated": {"Replicas": 0}}
    assert body["Labels"] == container["Labels"] == {"deis.app": "a", "deis.name": "a_v2.web.1"}
    assert container["CapabilityDrop"] == ["ALL"] and container["Init"] is True
    assert container["Args"] == ["sh", "-c", "x"] and "Command" not in container  # the image's ENTRYPOINT stays
    assert container["StopGracePeriod"] == 5 * 10**9 and container["Env"] == ["PORT=5000"]
    assert task_["Resources"] == {"Limits": {"Pids": 100, "MemoryBytes": 64}}  # CPU shares: no Swarm equivalent
    assert task_["RestartPolicy"] == {"Condition": "on-failure", "Delay": int(FIRST_DELAY * 1e9), "MaxAttempts": 0}
    assert task_["Placement"] == {"Constraints": ["node.labels.environ==prod"]}
    assert task_["Networks"] == [{"Target": "deis-apps"}]
    assert task_["LogDriver"] == {"Name": "json-file", "Options": {"max-size": "10m", "max-file": "3"}}
    assert "EndpointSpec" not in body


def test_one_offs_are_never_restarted_and_an_entrypoint_replaces_the_images():
    spec = ContainerSpec(name="a_v2.run.1", image="img", entrypoint=["/bin/sh", "-c"], command=["ls"], restart=False)
    body = service_spec(spec, "deis-apps")
    assert body["TaskTemplate"]["RestartPolicy"] == {"Condition": "none"}
    assert body["TaskTemplate"]["ContainerSpec"]["Command"] == ["/bin/sh", "-c"]
    assert body["TaskTemplate"]["ContainerSpec"]["Args"] == ["ls"]


def test_the_restart_delay_doubles_up_to_a_minute():
    delays = [FIRST_DELAY]
    for _ in range(12):
        delays.append(backoff_delay(delays[-1]))
    assert delays[:5] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert delays[-1] == MAX_DELAY
    assert backoff_delay(0) == 2 * FIRST_DELAY


def test_relaxing_spread_keeps_the_tags():
    spec = {"TaskTemplate": {"Placement": {"Constraints": ["node.labels.environ==prod", "node.id!=n1"]}}}
    _relaxed(spec)
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.labels.environ==prod"]
