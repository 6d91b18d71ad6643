"""The contract every scheduler backend keeps (:class:`controller.scheduler.base.Scheduler`).

The controller drives containers by name alone — create, start, stop,
destroy, state, address, run — and its deploy order relies on what each call
promises. This module holds those promises as one test class; each backend's
test module subclasses it and provides three fixtures:

* ``scheduler``: the backend under test;
* ``image``: a local image with ``sh`` and ``httpd`` (busybox);
* ``answers``: a function ``(address, port) -> bool`` telling whether an HTTP
  server answers there as a router of that backend would reach it.

So the docker backend (``tests/integration/controller/test_scheduler_contract.py``)
and the swarm backend (``tests/cluster/``) pass the very same tests.
"""

from __future__ import annotations

import time
import uuid

import pytest

from controller.scheduler.base import ContainerSpec, State

#: A web process: busybox httpd in the foreground, serving its release on $PORT.
WEB = 'echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'


def wait_for(predicate, timeout: float, what):
    """Poll ``predicate`` until it returns something true; fail naming ``what`` after ``timeout`` s.

    ``what`` is a sentence, or a function returning one when the wait fails (to tell the state then).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what() if callable(what) else what} not reached within {timeout} s"
        time.sleep(0.1)


class SchedulerContract:
    """What every backend does; subclass it as ``Test<Backend>Contract`` in a test module."""

    @pytest.fixture
    def app(self, scheduler):
        """A unique app id; every container of it is destroyed afterwards."""
        app_id = f"contract{uuid.uuid4().hex[:8]}"
        yield app_id
        for name in scheduler.containers(app_id):
            scheduler.destroy(name)

    def web(self, app: str, image: str, num: int = 1, command: str = WEB, restart: bool = True) -> ContainerSpec:
        return ContainerSpec(name=f"{app}_v1.web.{num}", image=image, command=["sh", "-c", command],
                             environment={"PORT": "5000", "DEIS_RELEASE": "v1"}, port=5000,
                             labels={"deis.app": app, "deis.release": "v1", "deis.type": "web", "deis.num": str(num)},
                             restart=restart)

    def test_a_started_container_is_up_and_answers_at_its_address(self, scheduler, image, answers, app):
        spec = self.web(app, image)
        scheduler.create(spec)
        assert scheduler.state(spec.name).state in (State.created, State.down, State.initialized)
        scheduler.start(spec.name)
        wait_for(lambda: scheduler.state(spec.name).state == State.up, 30, f"{spec.name} up")
        address = wait_for(lambda: scheduler.address(spec.name), 30, f"an address of {spec.name}")
        wait_for(lambda: answers(address, 5000), 30, f"{spec.name} answering at {address}:5000")

    def test_containers_lists_only_the_apps_own(self, scheduler, image, app):
        other = f"{app}x"
        try:
            for spec in (self.web(app, image, 1), self.web(app, image, 2), self.web(other, image, 1)):
                scheduler.create(spec)
            assert scheduler.containers(app) == [f"{app}_v1.web.1", f"{app}_v1.web.2"]
        finally:
            for name in scheduler.containers(other):
                scheduler.destroy(name)

    def test_stop_ends_the_process_and_destroy_removes_it(self, scheduler, image, app):
        spec = self.web(app, image)
        scheduler.create(spec)
        scheduler.start(spec.name)
        wait_for(lambda: scheduler.state(spec.name).state == State.up, 30, f"{spec.name} up")
        scheduler.stop(spec.name, 5)
        assert scheduler.state(spec.name).state in (State.down, State.crashed)
        scheduler.destroy(spec.name)
        assert scheduler.state(spec.name).state == State.destroyed
        assert scheduler.containers(app) == []

    def test_stop_and_destroy_of_an_absent_container_are_fine(self, scheduler, app):
        scheduler.stop(f"{app}_v1.web.9", 1)
        scheduler.destroy(f"{app}_v1.web.9")
        assert scheduler.state(f"{app}_v1.web.9").state == State.destroyed

    def test_a_crashing_container_is_reported_crashed_with_its_exit_code(self, scheduler, image, app):
        spec = self.web(app, image, command="sleep 0.5; exit 7")
        scheduler.create(spec)
        scheduler.start(spec.name)
        status = wait_for(lambda: (s := scheduler.state(spec.name)).exit_code == 7 and s, 30,
                          f"{spec.name} exited 7")
        assert status.state in (State.crashed, State.up)  # up again: restarted after its back-off
        wait_for(lambda: scheduler.state(spec.name).state == State.crashed, 30, f"{spec.name} shown crashed")

    def test_run_returns_exit_code_and_output_and_leaves_nothing(self, scheduler, image, app):
        command = ["sh", "-c", "echo out; echo err >&2; exit 3"]
        spec = ContainerSpec(name=f"{app}_v1.run.1", image=image, command=command,
                             labels={"deis.app": app, "deis.type": "run"}, restart=False)
        code, output = scheduler.run(spec, 60)
        assert code == 3 and sorted(output.split()) == ["err", "out"]
        assert scheduler.containers(app) == []

    def test_ensure_image_of_a_local_image_and_its_ports(self, scheduler, image):
        scheduler.ensure_image(image)
        assert scheduler.image_port(image) is None  # busybox exposes nothing
