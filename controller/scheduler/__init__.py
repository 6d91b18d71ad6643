"""Scheduler backends, picked by name from :data:`BACKENDS` (Deis v1's ``SCHEDULER_MODULE``).

``docker`` drives the Docker engine through the Docker SDK; ``swarm`` runs each
container as a service of a Docker Swarm, through its manager; ``fake`` keeps
containers in memory for unit tests of deploy logic.
"""

from __future__ import annotations

import importlib
from typing import Any

from controller.scheduler.base import (
    ContainerSpec,
    ImageUnavailable,
    Scheduler,
    SchedulerError,
    State,
    Status,
)
from deis.errors import ConfigurationError

__all__ = ["BACKENDS", "ContainerSpec", "ImageUnavailable", "Scheduler", "SchedulerError",
           "State", "Status", "load"]

#: Backend name → ``module:class``.
BACKENDS = {
    "docker": "controller.scheduler.docker:DockerScheduler",
    "fake": "controller.scheduler.fake:FakeScheduler",
    "swarm": "controller.scheduler.swarm:SwarmScheduler",
}


def load(name: str, **options: Any) -> Scheduler:
    """Return an instance of the backend called ``name``."""
    try:
        module_name, class_name = BACKENDS[name].split(":")
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigurationError(f"unknown scheduler {name!r}: set schedulerModule to one of {known}") from None
    backend = getattr(importlib.import_module(module_name), class_name)
    return backend(**options)
