"""Rolling updates on a cluster (rolling-restart, each step of upgrade): how far one is, from the API's answers."""

import pytest

from deis.errors import TemporaryError
from deisctl.swarm import cluster, rollout, specs


def task(task_id, node, state="running", desired="running", err=""):
    return {"ID": task_id, "NodeID": node, "DesiredState": desired,
            "Status": {"State": state, **({"Err": err} if err else {})}}


def service(update=None, replicas=None, force=0):
    mode = {"Replicated": {"Replicas": replicas}} if replicas is not None else {"Global": {}}
    found = {"ID": "s1", "Version": {"Index": 7},
             "Spec": {"Name": "deis-router", "Mode": mode, "TaskTemplate": {"ForceUpdate": force}}}
    if update:
        found["UpdateStatus"] = update
    return found


OLD = [task("a", "n2"), task("b", "n3")]
EARLIER = rollout.before(service({"State": "completed", "StartedAt": "t0"}), OLD)


def test_before_remembers_running_tasks_and_the_last_updates_start():
    found = rollout.before(service({"State": "completed", "StartedAt": "t0"}),
                           [*OLD, task("c", "n1", "shutdown", "shutdown")])
    assert found == rollout.Before(frozenset({"a", "b"}), ("n2", "n3"), "t0")


def test_half_way_one_new_task_runs_and_the_old_one_on_the_other_node_is_pending():
    tasks = [task("a", "n2", "shutdown", "shutdown"), task("b", "n3"), task("c", "n2")]
    progress = rollout.judge(EARLIER, service({"State": "updating", "StartedAt": "t1"}), tasks)
    assert progress.restarted == (("c", "n2"),) and progress.pending == ("n3",) and progress.wanted == 2
    assert not progress.done and not progress.failed


def test_a_new_task_still_starting_is_pending_without_a_node_name():
    tasks = [task("a", "n2", "shutdown", "shutdown"), task("b", "n3"), task("c", "n2", "starting")]
    progress = rollout.judge(EARLIER, service({"State": "updating", "StartedAt": "t1"}), tasks)
    assert progress.restarted == () and progress.pending == ("n3", "")
    assert rollout.pending_text(progress, {"n3": "h3"}) == "the task on h3, a new task"


def test_every_task_new_is_done_only_once_swarm_says_completed():
    tasks = [task("c", "n2"), task("d", "n3"), task("a", "n2", "shutdown", "shutdown")]
    updating = rollout.judge(EARLIER, service({"State": "updating", "StartedAt": "t1"}), tasks)
    assert not updating.done and updating.pending == ()
    assert rollout.pending_text(updating, {}) == "Swarm's word that the update completed"
    assert rollout.judge(EARLIER, service({"State": "completed", "StartedAt": "t1"}), tasks).done


def test_the_last_updates_completed_state_is_not_mistaken_for_this_ones():
    progress = rollout.judge(EARLIER, service({"State": "completed", "StartedAt": "t0"}), OLD)
    assert progress.state == "" and not progress.done and progress.pending == ("n2", "n3")


def test_a_service_without_update_status_is_done_when_its_tasks_are_all_new_and_running():
    earlier = rollout.before(service(), OLD)
    assert rollout.judge(earlier, service(), [task("c", "n2"), task("d", "n3")]).done


def test_a_replicated_service_wants_its_replicas():
    earlier = rollout.before(service(replicas=2), [task("a", "n1")])
    progress = rollout.judge(earlier, service(replicas=2), [task("c", "n1")])
    assert progress.wanted == 2 and progress.pending == ("",) and not progress.done


@pytest.mark.parametrize("state", ["paused", "rollback_started", "rollback_completed"])
def test_a_paused_or_rolled_back_update_failed_with_swarms_message_and_the_tasks_error(state):
    tasks = [task("a", "n2", "shutdown", "shutdown"), task("b", "n3"),
             task("c", "n2", "rejected", "shutdown", err="No such image: deis/router:v9")]
    status = {"State": state, "StartedAt": "t1", "Message": "update paused due to failure of task c"}
    progress = rollout.judge(EARLIER, service(status), tasks)
    assert progress.failed and not progress.done
    assert progress.error == "update paused due to failure of task c; the task said: No such image: deis/router:v9"


def test_a_restart_bumps_force_update_and_keeps_the_rest_of_the_spec():
    spec = {"Name": "deis-router", "Labels": {"x": "y"}, "TaskTemplate": {"ContainerSpec": {"Image": "i"}}}
    assert specs.bumped(spec) == {**spec, "TaskTemplate": {"ContainerSpec": {"Image": "i"}, "ForceUpdate": 1}}
    assert specs.bumped(specs.bumped(spec))["TaskTemplate"]["ForceUpdate"] == 2


# -- following an update through a fake manager ---------------------------------------------


class FakeAPI:
    """A manager whose service goes through ``states`` (one per look) while its tasks are replaced."""

    def __init__(self, looks):
        self.looks = looks
        self.updates = []

    def tasks(self, filters):
        return self.looks[0][1]

    def inspect_service(self, service_id):
        found = self.looks[0][0]
        if len(self.looks) > 1:
            self.looks.pop(0)
        return found

    def update_service(self, service_id, version, **arguments):
        self.updates.append((service_id, version, arguments))


class FakeCluster:
    def __init__(self, api):
        self.client = type("Client", (), {"api": api})()

    def nodes(self):
        return [{"ID": "n2", "Description": {"Hostname": "h2"}}, {"ID": "n3", "Description": {"Hostname": "h3"}}]

    def services(self):
        return {"router": service({"State": "completed", "StartedAt": "t0"})}

    service = cluster.Cluster.service  # the real lookup, over the fake services()


def test_a_restart_reports_each_node_as_its_new_task_runs(monkeypatch):
    monkeypatch.setattr(rollout, "POLL", 0)
    updating = {"State": "updating", "StartedAt": "t1"}
    api = FakeAPI([
        (service({"State": "completed", "StartedAt": "t0"}), OLD),
        (service(updating), [task("b", "n3"), task("c", "n2")]),
        (service({"State": "completed", "StartedAt": "t1"}), [task("c", "n2"), task("d", "n3")]),
    ])
    lines = []
    rollout.Rollout(FakeCluster(api), lines.append, timeout=5).restart("router")
    assert lines == ["router: task on h2 restarted (1/2)", "router: task on h3 restarted (2/2)"]
    (service_id, version, arguments), = api.updates
    assert (service_id, version) == ("s1", 7) and arguments["task_template"]["ForceUpdate"] == 1


def test_a_paused_restart_says_why_and_raises(monkeypatch):
    monkeypatch.setattr(rollout, "POLL", 0)
    paused = {"State": "paused", "StartedAt": "t1", "Message": "update paused due to failure of task c"}
    api = FakeAPI([(service({"State": "completed", "StartedAt": "t0"}), OLD),
                   (service(paused), [task("b", "n3"), task("c", "n2", "failed", "shutdown", err="exit 1")])])
    with pytest.raises(rollout.RolloutError, match="router: Swarm paused the update: update paused .*exit 1"):
        rollout.Rollout(FakeCluster(api), print, timeout=5).restart("router")


def test_a_slow_restart_gives_up_waiting_saying_what_is_pending(monkeypatch):
    monkeypatch.setattr(rollout, "POLL", 0)
    api = FakeAPI([(service({"State": "completed", "StartedAt": "t0"}), OLD),
                   (service({"State": "updating", "StartedAt": "t1"}), [task("b", "n3"), task("c", "n2", "starting")])])
    with pytest.raises(TemporaryError, match=r"not restarted after 0 s: waiting for the task on h3, a new task"):
        rollout.Rollout(FakeCluster(api), print, timeout=0.01).restart("router")


# -- start on a service whose last update stopped short -----------------------------------------


def test_a_stopped_update_is_named_with_swarms_message_and_a_finished_one_is_not():
    paused = {"State": "paused", "Message": "update paused due to failure of task c"}
    assert specs.stopped_update(service(paused)) == ("Swarm paused the update: update paused due to failure "
                                                    "of task c")
    assert specs.stopped_update(service({"State": "rollback_completed"})) == "Swarm rolled the update back"
    assert specs.stopped_update(service({"State": "completed"})) is None
    assert specs.stopped_update(service()) is None


def test_start_updates_again_a_service_with_its_spec_whose_last_update_stopped_short(monkeypatch):
    """Level-triggered: the spec is already the desired one, but its tasks are not (as ``upgrade`` resumes)."""
    desired = {"Name": "deis-router", "Labels": {specs.HASH_LABEL: "h1"}, "TaskTemplate": {"ForceUpdate": 0}}
    stopped = {**service({"State": "paused", "Message": "task c failed"}),
               "Spec": {**service()["Spec"], "Labels": {specs.HASH_LABEL: "h1"}}}
    finished = {**stopped, "ID": "s2", "UpdateStatus": {"State": "completed"}}
    api = FakeAPI([])
    found = cluster.Cluster.__new__(cluster.Cluster)
    found.client = type("Client", (), {"api": api})()
    monkeypatch.setattr(found, "desired", lambda components: {"router": desired, "publisher": desired}, raising=False)
    monkeypatch.setattr(found, "services", lambda: {"router": stopped, "publisher": finished}, raising=False)
    monkeypatch.setattr(found, "wait_until_running", lambda *args: None, raising=False)
    lines = []
    found.apply(["router", "publisher"], lines.append)
    assert lines[:2] == ["router: its last update stopped short (Swarm paused the update: task c failed); "
                         "updating it again", "publisher: unchanged"]
    (service_id, version, arguments), = api.updates
    assert (service_id, version) == ("s1", 7)
    assert arguments["task_template"]["ForceUpdate"] == 1, "past the service's own: the failed task is replaced"
