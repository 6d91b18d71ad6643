"""The ``fake`` backend: containers in a dict, for unit tests of deploy logic.

Every call is appended to :attr:`FakeScheduler.journal` as ``(verb, name)``,
so a test can assert the order of a deploy. ``fail_start`` names containers
whose start fails (a crash at boot); ``missing_images`` names images that
cannot be pulled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from controller.scheduler.base import (
    ContainerSpec,
    ImageUnavailable,
    Scheduler,
    SchedulerError,
    State,
    Status,
)


@dataclass
class FakeContainer:
    """One in-memory container."""

    spec: ContainerSpec
    state: State = State.created
    exit_code: int | None = None


class FakeScheduler(Scheduler):
    """An in-memory scheduler that records what it was asked to do."""

    def __init__(self, fail_start: Iterable[str] = (), missing_images: Iterable[str] = (),
                 run_result: tuple[int, str] | None = None):
        self.containers_by_name: dict[str, FakeContainer] = {}
        self.journal: list[tuple[str, str]] = []
        #: The grace each container got at its last stop.
        self.stop_timeouts: dict[str, float] = {}
        self.fail_start = set(fail_start)
        self.missing_images = set(missing_images)
        self.run_result = run_result

    def ensure_image(self, image: str) -> None:
        """Fail for images listed in ``missing_images``."""
        self.journal.append(("pull", image))
        if image in self.missing_images:
            raise ImageUnavailable(f"Image {image!r} is not on this host and could not be pulled")

    def image_port(self, image: str) -> int | None:
        """Images expose nothing here."""
        return None

    def create(self, spec: ContainerSpec) -> None:
        """Record a created container; a duplicate name fails as Docker's does."""
        self.journal.append(("create", spec.name))
        if spec.name in self.containers_by_name:
            raise SchedulerError(f"the name {spec.name} is already in use")
        self.containers_by_name[spec.name] = FakeContainer(spec)

    def start(self, name: str) -> None:
        """Mark ``name`` up, or crashed (exit 1) when it is in ``fail_start``."""
        self.journal.append(("start", name))
        container = self._get(name)
        if name in self.fail_start:
            container.state, container.exit_code = State.crashed, 1
        else:
            container.state = State.up

    def stop(self, name: str, timeout: float) -> None:
        """Mark ``name`` down (exit 143, as after SIGTERM)."""
        self.journal.append(("stop", name))
        self.stop_timeouts[name] = timeout
        if name in self.containers_by_name:
            container = self.containers_by_name[name]
            container.state, container.exit_code = State.down, 143

    def destroy(self, name: str) -> None:
        """Forget ``name``."""
        self.journal.append(("destroy", name))
        self.containers_by_name.pop(name, None)

    def state(self, name: str) -> Status:
        """Return the recorded status."""
        container = self.containers_by_name.get(name)
        if container is None:
            return Status(State.destroyed)
        return Status(container.state, container.exit_code)

    def address(self, name: str) -> str | None:
        """Containers have no address here."""
        return None

    def containers(self, app: str) -> list[str]:
        """Return the names of ``app``'s containers."""
        return sorted(n for n, c in self.containers_by_name.items() if c.spec.labels.get("deis.app") == app)

    def run(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]:
        """Return ``run_result``, or ``(0, <the spec as JSON>)`` as Deis v1's mock did."""
        self.journal.append(("run", spec.name))
        if self.run_result is not None:
            return self.run_result
        return 0, json.dumps({"name": spec.name, "image": spec.image, "entrypoint": spec.entrypoint,
                              "command": spec.command})

    def _get(self, name: str) -> FakeContainer:
        try:
            return self.containers_by_name[name]
        except KeyError:
            raise SchedulerError(f"no such container: {name}") from None
