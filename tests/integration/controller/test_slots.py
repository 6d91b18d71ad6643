"""Per-user caps on long requests, on the real PostgreSQL: shared by processes, freed when one dies.

Two :class:`Slots` stand for two gunicorn workers (each has its own engine
and connections); the ``deis run`` test holds a run open in a thread.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from controller.db import engine_url
from controller.errors import TooManyRequests
from controller.scheduler.fake import FakeScheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import NoRoutes
from controller.services.runtime import Runtime
from controller.services.slots import Slots
from tests.integration.controller.conftest import _empty_tables, make_app, register
from tests.services import wait_until


@pytest.fixture
def slots(database_url):
    return Slots(database_url), Slots(database_url)


def test_a_user_gets_cap_slots_across_processes_then_429(slots):
    one, two = slots
    taken = [one.take("follow", 7, 3), two.take("follow", 7, 3), one.take("follow", 7, 3)]
    with pytest.raises(TooManyRequests, match="You already have 3 'deis logs -f' streams open"):
        two.take("follow", 7, 3)
    other_user, other_kind = two.take("follow", 8, 3), two.take("run", 7, 3)
    taken[1].release()
    taken[1].release()  # twice is harmless
    taken.append(one.take("follow", 7, 3))
    for slot in [*taken, other_user, other_kind]:
        slot.release()


def test_a_slot_of_a_process_that_died_is_free_again(slots, database_url):
    one, two = slots
    held = one.take("run", 7, 1)
    pid = held.connection.connection.dbapi_connection.get_backend_pid()
    with pytest.raises(TooManyRequests, match="'deis run' commands running"):
        two.take("run", 7, 1)
    engine = create_engine(engine_url(database_url))
    with engine.connect() as connection:  # what PostgreSQL does when a worker is killed: the session ends
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # pg_terminate_backend only signals: the session (and its advisory lock) ends a moment later.
        gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"
        wait_until(lambda: connection.execute(text(gone), {"pid": pid}).scalar() == 0, 10,
                   what="the killed session gone")
    engine.dispose()
    two.take("run", 7, 1).release()


# deis run

class BlockingScheduler(FakeScheduler):
    """A fake whose one-off runs wait until the test lets them end."""

    def __init__(self):
        super().__init__()
        self.running, self.finish = threading.Event(), threading.Event()

    def run(self, spec, timeout):
        self.running.set()
        self.finish.wait(10)
        return 0, "done\n"


@pytest.fixture
def app(database_url):
    application = make_app(database_url, maxRunsPerUser=1)
    fake = BlockingScheduler()
    health = HealthCheck(fake, probe=lambda spec, check: (True, ""))
    application.extensions["deis.runtime"] = Runtime(fake, Deployer(fake, health, NoRoutes(), grace=0))
    yield application
    fake.finish.set()
    application.extensions["deis.db"].dispose()
    _empty_tables(database_url)


def test_runs_past_max_runs_per_user_are_429_and_others_may_run(app, client):
    owner, other = register(client, "owner"), register(client, "other")
    for api, app_id in ((owner, "mine"), (other, "theirs")):
        assert api.post("/v1/apps/", json={"id": app_id}).status_code == 201
        assert api.post(f"/v1/apps/{app_id}/builds/", json={"image": "example/img"}).status_code == 201
    scheduler = app.extensions["deis.runtime"].scheduler
    first = []
    thread = threading.Thread(target=lambda: first.append(owner.post("/v1/apps/mine/run/", json={"command": "ls"})))
    thread.start()
    assert scheduler.running.wait(10)
    refused = owner.post("/v1/apps/mine/run/", json={"command": "ls"})
    assert refused.status == "429 TOO MANY REQUESTS"
    assert refused.get_json() == {"detail": "You already have 1 'deis run' commands running, the most allowed at once "
                                            "(an administrator sets maxRunsPerUser); end one and try again."}
    scheduler.finish.set()
    thread.join(10)
    assert first[0].get_json() == [0, "done\n"]
    assert other.post("/v1/apps/theirs/run/", json={"command": "ls"}).status_code == 200
    assert owner.post("/v1/apps/mine/run/", json={"command": "ls"}).status_code == 200
