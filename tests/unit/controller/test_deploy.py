"""The order of deploys, scales and restarts, on the in-memory scheduler."""

import contextlib

import pytest

from controller.scheduler import ContainerSpec, State, Status
from controller.scheduler.fake import FakeScheduler
from controller.services.deploy import Deployer
from controller.services.health import CannotStart, Check, HealthCheck, Unhealthy
from deis.errors import EtcdUnavailable

APP = "app"


def spec(version, kind="web", num=1):
    port = 5000 if kind in ("web", "cmd") else None
    return ContainerSpec(name=f"{APP}_v{version}.{kind}.{num}", image="img", port=port, labels={"deis.app": APP})


class RecordedRoutes:
    """Routes that write into the scheduler's journal, so one list holds the whole order."""

    def __init__(self, journal, fail_withdraw=False):
        self.journal, self.fail_withdraw = journal, fail_withdraw

    def announced(self, app, names):
        self.journal += [("announced", name) for name in names]

    @contextlib.contextmanager
    def withdrawn(self, app, names):
        if self.fail_withdraw and names:
            raise EtcdUnavailable("etcd did not answer")
        self.journal += [("withdrawn", name) for name in names]
        yield
        self.journal += [("unmarked", name) for name in names]

    @contextlib.contextmanager
    def held(self, app, names):
        self.journal += [("held", name) for name in names]
        yield  # like EtcdRoutes: released only when the block passed
        self.journal += [("released", name) for name in names]


@pytest.fixture
def scheduler():
    return FakeScheduler()


def deployer(scheduler, **routes):
    health = HealthCheck(scheduler, timeout=0.5, interval=0.01, probe=lambda spec, check: (True, ""))
    return Deployer(scheduler, health, RecordedRoutes(scheduler.journal, **routes), grace=0)


def test_replace_starts_the_new_set_before_withdrawing_and_stopping_the_old(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1), spec(1, "worker")])
    scheduler.journal.clear()

    deploy.replace(APP, [spec(2), spec(2, "worker")], [spec(1).name, spec(1, "worker").name])

    verbs = [verb for verb, _ in scheduler.journal]
    assert verbs.index("announced") < verbs.index("withdrawn") < verbs.index("stop")
    assert ("withdrawn", spec(1).name) in scheduler.journal
    # Workers are not routed, so not withdrawn, but stopped all the same.
    assert ("withdrawn", spec(1, "worker").name) not in scheduler.journal
    assert ("stop", spec(1, "worker").name) in scheduler.journal
    assert verbs.index("destroy", verbs.index("stop")) < verbs.index("unmarked")
    assert scheduler.containers(APP) == [spec(2).name, spec(2, "worker").name]


def test_a_crash_at_boot_removes_the_new_set_and_leaves_the_old_running(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1)])
    scheduler.fail_start = {spec(2, num=2).name}

    with pytest.raises(Unhealthy, match="web.2 exited with code 1 before it answered on port 5000"):
        deploy.replace(APP, [spec(2), spec(2, num=2)], [spec(1).name])

    assert scheduler.containers(APP) == [spec(1).name]
    assert scheduler.state(spec(1).name).state is State.up
    assert not any(verb in ("withdrawn", "stop") for verb, _ in scheduler.journal)


class NoNode(FakeScheduler):
    """Places nothing: every container is refused by the engine, as Swarm's with no node matching."""

    def state(self, name):
        return Status(State.error, detail="no node matches the app's tags (environ=nowhere)")


def test_a_container_the_engine_cannot_place_fails_at_once_as_cannot_start():
    deploy = deployer(NoNode())

    with pytest.raises(CannotStart, match=r"web.1 cannot start: no node matches the app's tags \(environ=nowhere\)"):
        deploy.start(APP, [spec(1)])


def test_new_containers_are_held_back_until_all_answer_and_a_failed_set_is_never_released(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1), spec(1, num=2)])
    verbs = [verb for verb, _ in scheduler.journal]
    assert verbs.index("held") < verbs.index("create") and verbs.index("start") < verbs.index("released")
    assert verbs.index("released") < verbs.index("announced")

    scheduler.journal.clear()
    scheduler.fail_start = {spec(2, num=2).name}
    with pytest.raises(Unhealthy):
        deploy.replace(APP, [spec(2), spec(2, num=2)], [spec(1).name, spec(1, num=2).name])
    verbs = [verb for verb, _ in scheduler.journal]
    assert "held" in verbs and "released" not in verbs and "announced" not in verbs
    assert ("destroy", spec(2).name) in scheduler.journal  # removed while still held back


def test_a_failed_withdrawal_undoes_the_new_set(scheduler):
    deployer(scheduler).start(APP, [spec(1)])
    with pytest.raises(EtcdUnavailable):
        deployer(scheduler, fail_withdraw=True).replace(APP, [spec(2)], [spec(1).name])
    assert scheduler.containers(APP) == [spec(1).name]


def test_start_replaces_a_leftover_with_the_same_name(scheduler):
    scheduler.create(spec(2))
    deployer(scheduler).start(APP, [spec(2)])
    assert scheduler.state(spec(2).name).state is State.up


def test_retire_withdraws_before_stopping(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1), spec(1, num=2)])
    scheduler.journal.clear()
    deploy.retire(APP, [spec(1, num=2).name])
    assert scheduler.journal == [("withdrawn", spec(1, num=2).name), ("stop", spec(1, num=2).name),
                                 ("destroy", spec(1, num=2).name), ("unmarked", spec(1, num=2).name)]


def test_restart_goes_one_container_at_a_time(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1), spec(1, num=2)])
    scheduler.journal.clear()
    deploy.restart(APP, [spec(1), spec(1, num=2)])
    first, second = spec(1).name, spec(1, num=2).name
    assert scheduler.journal == [
        ("withdrawn", first), ("stop", first), ("start", first), ("unmarked", first),
        ("withdrawn", second), ("stop", second), ("start", second), ("unmarked", second),
    ]


def test_health_check_times_out_when_nothing_answers(scheduler):
    health = HealthCheck(scheduler, timeout=0.05, interval=0.01, probe=lambda spec, check: (False, "refused"))
    scheduler.create(spec(1))
    scheduler.start(spec(1).name)
    with pytest.raises(Unhealthy, match=r"web.1 did not answer on port 5000 within 0.05 s \(refused\)"):
        health.wait(spec(1))


def test_health_check_names_the_url_from_the_environment(scheduler):
    health = HealthCheck(scheduler, timeout=0.05, interval=0.01, probe=lambda spec, check: (False, "500"))
    web = ContainerSpec(name=f"{APP}_v1.web.1", image="img", port=8000,
                        environment={"HEALTHCHECK_URL": "health"})
    scheduler.create(web)
    scheduler.start(web.name)
    with pytest.raises(Unhealthy, match="on GET /health on port 8000"):
        health.wait(web)


@pytest.mark.parametrize("value", ["1e12", "nan", "inf", "-5", "soon"])
def test_health_check_reads_absurd_stored_seconds_as_the_default(value):
    check = Check.from_environment({"HEALTHCHECK_TIMEOUT": value, "HEALTHCHECK_INITIAL_DELAY": value})
    assert (check.timeout, check.initial_delay) == (1.0, 0.0)
    assert Check.from_environment({"HEALTHCHECK_INITIAL_DELAY": "2.5"}).initial_delay == 2.5


def test_a_leftover_named_like_a_new_container_is_not_retired_after_the_start(scheduler):
    deploy = deployer(scheduler)
    deploy.start(APP, [spec(1)])
    scheduler.create(spec(2))  # left by an interrupted deploy of v2
    deploy.replace(APP, [spec(2)], [spec(1).name, spec(2).name])
    assert scheduler.containers(APP) == [spec(2).name]
    assert scheduler.state(spec(2).name).state is State.up


def test_every_stop_takes_the_apps_grace_or_else_the_platforms(scheduler):
    deploy = deployer(scheduler)  # the platform's grace: 0
    deploy.start(APP, [spec(1), spec(1, num=2), spec(1, num=3)])
    deploy.replace(APP, [spec(2)], [spec(1).name], grace=45)
    deploy.restart(APP, [spec(1, num=2)], grace=7)
    deploy.retire(APP, [spec(1, num=3).name], grace=None)
    assert scheduler.stop_timeouts == {spec(1).name: 45, spec(1, num=2).name: 7, spec(1, num=3).name: 0}


def test_the_health_check_asks_the_scheduler_to_probe_where_it_can_reach_the_container(scheduler):
    class ProbingScheduler(FakeScheduler):
        """A cluster backend: this process cannot reach the containers, the backend probes for it."""

        def probe(self, name, port, path, timeout):
            self.journal.append(("probed", name, port, path, timeout))
            return True, ""

    probing = ProbingScheduler()
    new = ContainerSpec(name=f"{APP}_v2.web.1", image="img", port=5000,
                        environment={"HEALTHCHECK_URL": "/up", "HEALTHCHECK_TIMEOUT": "2"})
    probing.create(new)
    probing.start(new.name)

    HealthCheck(probing, timeout=0.5, interval=0.01).wait(new)

    assert ("probed", new.name, 5000, "/up", 2.0) in probing.journal
    assert FakeScheduler().probe(new.name, 5000, None, 1) == (False, "it has no IP address yet")
