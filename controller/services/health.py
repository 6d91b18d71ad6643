"""Waiting until a new container answers, before any old one is withdrawn.

A routable container passes the probe of :mod:`deis.health` (the publisher's
too): ``HEALTHCHECK_URL`` (from its config) answers 200 over HTTP, or, without
one, its port accepts a TCP connection, on the container's own IP. Other types
pass once running. A container that exits while we wait fails at once, so a
release that crashes at boot is refused in about a second, not after a
timeout. ``HEALTHCHECK_TIMEOUT`` (per probe, default 1 s) and
``HEALTHCHECK_INITIAL_DELAY`` (default 0 s) are Deis v1's config keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from controller.config_rules import HEALTHCHECK_SECONDS, healthcheck_seconds
from controller.scheduler import ContainerSpec, Scheduler, State
from deis import health, naming
from deis.errors import PermanentError

#: States from which a container will not answer without someone acting.
_DEAD = {State.crashed, State.down, State.destroyed, State.error}


class Unhealthy(PermanentError):
    """A new container did not come up; the message says which and why."""


class CannotStart(Unhealthy):
    """The engine could not run a new container at all (no node may take it): it never wrote a line."""


@dataclass(frozen=True)
class Check:
    """How to probe one container, from its environment."""

    url: str | None = None
    timeout: float = 1.0
    initial_delay: float = 0.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Check:
        """Read ``HEALTHCHECK_URL``, ``_TIMEOUT`` and ``_INITIAL_DELAY``."""
        return cls(health.check_path(env.get("HEALTHCHECK_URL")), _seconds(env, "HEALTHCHECK_TIMEOUT"),
                   _seconds(env, "HEALTHCHECK_INITIAL_DELAY"))

    def describe(self, listen: int) -> str:
        """Say what is probed: ``GET /health on port 5000`` or ``port 5000``."""
        return f"GET {self.url} on port {listen}" if self.url else f"port {listen}"


def _seconds(env: Mapping[str, str], key: str) -> float:
    # Values set before config validation bounded them read as the default, never as a week.
    seconds = healthcheck_seconds(key, env.get(key))
    return HEALTHCHECK_SECONDS[key][0] if seconds is None else seconds


def short_name(spec: ContainerSpec) -> str:
    """Return ``web.1`` for ``app_v3.web.1``."""
    parsed = naming.parse_container_name(spec.name)
    return parsed.process if parsed else spec.name


Probe = Callable[[ContainerSpec, Check], tuple[bool, str]]


class HealthCheck:
    """Waits for containers of ``scheduler`` to answer, up to ``timeout`` seconds each."""

    def __init__(self, scheduler: Scheduler, timeout: float = 60.0, interval: float = 0.2,
                 probe: Probe | None = None):
        self.scheduler = scheduler
        self.timeout = timeout
        self.interval = interval
        self.probe = probe or self.answers

    def wait(self, spec: ContainerSpec, stop: threading.Event | None = None) -> None:
        """Return once ``spec``'s container answers; raise :class:`Unhealthy` otherwise."""
        stop = stop or threading.Event()
        check = Check.from_environment(spec.environment)
        if stop.wait(check.initial_delay):
            return
        deadline = time.monotonic() + self.timeout
        reason = "it did not start"
        while not stop.is_set():
            status = self.scheduler.state(spec.name)
            if status.state is State.error and status.detail:
                raise CannotStart(f"{short_name(spec)} cannot start: {status.detail}")
            if status.state in _DEAD:
                raise Unhealthy(f"{short_name(spec)} exited with code {status.exit_code} before it answered"
                                f"{self._on(spec, check)}")
            if status.state is State.up:
                if spec.port is None:
                    return
                ok, reason = self.probe(spec, check)
                if ok:
                    return
            if time.monotonic() > deadline:
                raise Unhealthy(f"{short_name(spec)} did not answer{self._on(spec, check)} "
                                f"within {self.timeout:g} s ({reason})")
            stop.wait(self.interval)

    def answers(self, spec: ContainerSpec, check: Check) -> tuple[bool, str]:
        """Probe the container once, where its scheduler can reach it: ``(passed, why not)``."""
        return self.scheduler.probe(spec.name, spec.port, check.url, check.timeout)

    @staticmethod
    def _on(spec: ContainerSpec, check: Check) -> str:
        return f" on {check.describe(spec.port)}" if spec.port else ""
