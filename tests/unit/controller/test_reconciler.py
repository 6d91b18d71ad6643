"""The reconcile loop's decisions: who acts, what is synced, when a failing app is tried again.

The restore itself (PostgreSQL, Docker, the app lock) is exercised for real in
``tests/integration/controller/test_scheduler_reconcile.py``; here it is a
function that answers what a test tells it to.
"""

import logging
from types import SimpleNamespace

import pytest

from controller import reconciler, recovery
from controller.errors import Conflict
from controller.scheduler import SchedulerError
from deis.errors import EtcdUnavailable


class Leadership:
    """Leads when told to."""

    def __init__(self, leading=True):
        self.leading = leading

    def held(self):
        return self.leading

    def release(self):
        self.leading = False


class Restores:
    """What ``recovery.restore_app`` answers per app (names, or an exception to raise), and who asked."""

    def __init__(self):
        self.answers, self.calls = {}, []

    def restore_app(self, database, runtime, app_id):
        self.calls.append(app_id)
        answer = self.answers.get(app_id, [])
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def restores(monkeypatch):
    table = Restores()
    monkeypatch.setattr(recovery, "restore_app", table.restore_app)
    monkeypatch.setattr(recovery, "app_ids", lambda database: sorted(table.answers))
    return table


class Repairs:
    """A backend's repair step that counts its calls, or fails when told to."""

    def __init__(self):
        self.calls, self.error, self.lost = 0, None, []

    def unreachable(self):
        return list(self.lost)

    def repair(self):
        self.calls += 1
        if self.error:
            raise self.error
        return []


class Fences:
    """Routes that record what they were asked to fence, or fail when told to."""

    def __init__(self):
        self.calls, self.error = [], None

    def fence(self, lost):
        if self.error:
            raise self.error
        self.calls.append(list(lost))
        return [f"{name}: its node is down; its route is withdrawn" for name in lost]


def loop(leading=True, interval=10.0):
    runtime = SimpleNamespace(scheduler=Repairs(), deployer=SimpleNamespace(routes=Fences()))
    return reconciler.Reconciler(None, runtime, Leadership(leading), lambda: interval)


def test_every_pass_of_the_leader_fences_what_the_backend_calls_unreachable_before_syncing_apps(restores):
    run = loop()
    run.runtime.scheduler.lost = ["app_v1.web.2"]
    restores.answers["app"] = []
    run.enqueue("app")

    run.run_once()
    run.runtime.deployer.routes.error = EtcdUnavailable("etcd did not answer")
    run.wake.clear()
    run.run_once()

    assert run.runtime.deployer.routes.calls == [["app_v1.web.2"]]
    assert restores.calls == ["app"], "a failing fence does not stop the pass"
    assert run.runtime.scheduler.calls == 2
    assert run.wake.wait(reconciler.FENCE_RETRY + 1), "a failed fence is tried again soon, not at the next interval"


def test_every_pass_of_the_leader_runs_the_backends_repair_and_a_failing_one_waits_for_the_next(restores):
    run = loop()
    run.run_once()
    run.runtime.scheduler.error = SchedulerError("the Swarm manager failed while listing services")
    assert run.run_once() == {}
    assert run.runtime.scheduler.calls == 2
    run.leadership.leading = False
    run.run_once()
    assert run.runtime.scheduler.calls == 2


def test_a_pass_syncs_what_was_enqueued_and_a_resync_enqueues_every_app(restores):
    restores.answers.update({"a": ["a_v2.web.2"], "b": []})
    run = loop()
    run.enqueue("b")
    assert run.run_once() == {}
    assert restores.calls == ["b"]
    assert run.run_once(resync=True) == {"a": ["a_v2.web.2"]}
    assert restores.calls == ["b", "a", "b"]
    assert run.passes == 2


def test_a_replica_that_does_not_lead_syncs_nothing_and_forgets_its_queue(restores):
    restores.answers["a"] = ["a_v2.web.2"]
    run = loop(leading=False)
    run.enqueue("a")
    assert run.run_once(resync=True) == {}
    assert restores.calls == [] and run.passes == 0
    run.leadership.leading = True
    assert run.run_once() == {}  # the leader's own passes cover it


def test_an_app_being_changed_is_tried_again_at_the_next_pass(restores):
    restores.answers["a"] = Conflict("another change")
    run = loop()
    run.enqueue("a")
    assert run.run_once() == {}
    restores.answers["a"] = ["a_v2.web.1"]
    run.enqueue("a")
    assert run.run_once() == {"a": ["a_v2.web.1"]}


def test_an_app_that_will_not_start_is_said_once_in_its_log_and_tried_after_a_backoff(restores, caplog):
    restores.answers["a"] = SchedulerError("the engine refused")
    eager = loop(interval=0.0)  # every backoff is over at once
    with caplog.at_level(logging.INFO, logger="deis.app"):
        for _ in range(3):
            eager.enqueue("a")
            eager.run_once()
    assert restores.calls == ["a"] * 3
    said = [r.event for r in caplog.records if r.name == "deis.app"]
    assert said == ["could not restore the containers the engine had lost: the engine refused; retrying"]

    patient = loop(interval=10.0)
    for _ in range(2):
        patient.enqueue("a")
        patient.run_once()
    assert restores.calls == ["a"] * 4  # the second pass fell within the 10 s backoff


def test_the_backoff_doubles_from_the_interval_up_to_its_bound():
    assert [reconciler.backoff(10.0, n) for n in (1, 2, 3)] == [10.0, 20.0, 40.0]
    assert reconciler.backoff(10.0, 30) == reconciler.MAX_BACKOFF
