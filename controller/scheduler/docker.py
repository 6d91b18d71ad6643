"""The ``docker`` backend: app containers on a Docker engine, through the Docker SDK.

Every container is hardened the same way (reliability plan T18): all
capabilities dropped, ``no-new-privileges``, a PID limit, the memory and CPU
limits of its process type, no mounts, never privileged, its json-file log
capped (3 × 10 MB), and running as its image's ``USER`` (the scheduler never
sets one, so an image that drops root stays unprivileged). Long-running
processes get Docker's ``on-failure`` restart policy, whose delay doubles after
each crash (from 100 ms up to a minute) and resets once a container has run for
10 s — the exponential backoff of T19; a new release is a new container, so it
starts with a fresh backoff.

Every container joins the app network (:mod:`deis.isolation`), which the
scheduler ensures — with the host firewall that guards it — before it creates
any container, so no app container ever runs unfenced, and rules lost to a
firewall reload come back at the next deploy. No port is
published on the host: routers reach a container at its address on that
network, so the router's whitelist and HTTPS rules cannot be bypassed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from controller.scheduler.base import (
    ContainerSpec,
    ImageUnavailable,
    Scheduler,
    SchedulerError,
    State,
    Status,
)
from deis import isolation
from deis.errors import DeisError
from deis.hardening import DEFAULT_PIDS_LIMIT, hardening

log = logging.getLogger(__name__)

DEFAULT_HOST = "unix:///var/run/docker.sock"
#: Docker restarts forever with growing delays; giving up would leave a release silently dead.
RESTART_POLICY = {"Name": "on-failure", "MaximumRetryCount": 0}
#: An app's stdout/stderr on the host: at most 3 files of 10 MB (v1 had no cap, so a
#: chatty app filled the disk). logspout reads them through the Docker API, which
#: serves the json-file driver's rotated files as one stream.
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}}
#: The label that names a container's app.
APP_LABEL = "deis.app"
#: Engine events after which an app may be missing a container (``docker rm -f`` sends both).
LOSS_EVENTS = ("die", "destroy")
#: Seconds one events request spans. The next one starts a second before it ended
#: (Docker's filter is by whole seconds), so none is missed and ``stop`` is seen.
EVENTS_WINDOW = 5


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    """Re-raise Docker SDK and transport errors as :class:`SchedulerError`."""
    try:
        yield
    except (DockerException, requests.RequestException) as exc:
        raise SchedulerError(f"the Docker engine failed while {action}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    return getattr(exc, "explanation", None) or str(exc)


def _status_class(exc: APIError) -> str:
    """Return ``4xx``/``5xx`` for the engine's answer (``an error`` when it had no status)."""
    code = getattr(exc, "status_code", None)
    return f"HTTP {code // 100}xx" if isinstance(code, int) else "an error"


def status_of(attrs: dict) -> Status:
    """Map ``docker inspect`` attributes to a v1 :class:`Status`."""
    state = attrs.get("State") or {}
    exit_code = state.get("ExitCode")
    restarts = int(attrs.get("RestartCount") or 0)
    return Status(_state_of(state), exit_code if _has_exited(state, restarts) else None, restarts)


def _has_exited(state: dict, restarts: int) -> bool:
    return state.get("Status") in {"exited", "restarting", "dead"} or restarts > 0


def _state_of(state: dict) -> State:
    status = state.get("Status")
    if status == "running":
        return State.crashed if state.get("Restarting") else State.up
    if status == "exited":
        return State.down if state.get("ExitCode") == 0 else State.crashed
    return {
        "created": State.created,
        "restarting": State.crashed,
        "paused": State.down,
        "removing": State.destroyed,
        "dead": State.error,
    }.get(status, State.error)


def create_options(spec: ContainerSpec, pids_limit: int, network: str = isolation.NETWORK) -> dict:
    """Return the keyword arguments of ``containers.create`` for ``spec`` (pure)."""
    options = {
        "image": spec.image,
        "name": spec.name,
        "command": spec.command,
        "entrypoint": spec.entrypoint,
        "environment": dict(spec.environment),
        "labels": dict(spec.labels),
        "detach": True,
        **hardening(pids_limit),
        # The app network, and no published port: only the routers reach the app.
        "network_mode": network,
        "log_config": LOG_CONFIG,
        # An init (Docker's tini) as PID 1 forwards SIGTERM: an app process that is
        # PID 1 itself gets no default signal handling, so a stop waited out the whole
        # grace period (30 s per container on every redeploy, measured in bench/push).
        "init": True,
    }
    if spec.memory:
        options["mem_limit"] = spec.memory
    if spec.cpu_shares:
        options["cpu_shares"] = spec.cpu_shares
    if spec.restart:
        options["restart_policy"] = dict(RESTART_POLICY)
    return options


class DockerScheduler(Scheduler):
    """Containers on the engine at ``host`` (``DOCKER_HOST`` or the standard socket), on ``network``."""

    def __init__(self, host: str | None = None, pids_limit: int = DEFAULT_PIDS_LIMIT, timeout: float = 60,
                 network: str = isolation.NETWORK):
        self.host = host or os.environ.get("DOCKER_HOST", DEFAULT_HOST)
        self.pids_limit = pids_limit
        self.network = network
        self._isolating = threading.Lock()
        with _translated("connecting"):
            self.client = docker.DockerClient(base_url=self.host, timeout=timeout)

    def isolate(self) -> None:
        """Ensure the app network and the host firewall (idempotent; called before every create)."""
        with self._isolating:
            try:
                isolation.isolate(self.client, self.network)
            except DeisError as exc:
                raise SchedulerError(f"app containers cannot be isolated: {exc}") from exc

    def ensure_image(self, image: str) -> None:
        """Use ``image`` if it is local, else pull it from its registry."""
        with _translated(f"looking up image {image}"):
            try:
                self.client.images.get(image)
                return
            except ImageNotFound:
                pass
        try:
            with _translated(f"pulling {image}"):
                self.client.images.pull(image)
        except SchedulerError as exc:
            if isinstance(exc.__cause__, NotFound | APIError):
                # The engine's message may quote the registry's answer: whatever a tenant
                # pointed the engine at must not come back to them, so only the status class does.
                log.info("pulling %s failed: %s", image, _reason(exc.__cause__))
                raise ImageUnavailable(f"Image {image!r} is not on this host and could not be pulled "
                                       f"(the engine answered {_status_class(exc.__cause__)}); check its name "
                                       "and that its registry is reachable") from exc
            raise

    def image_port(self, image: str) -> int | None:
        """Return the lowest TCP port ``image`` EXPOSEs."""
        with _translated(f"inspecting image {image}"):
            config = self.client.images.get(image).attrs.get("Config") or {}
        ports = [int(p.split("/")[0]) for p in (config.get("ExposedPorts") or {}) if p.endswith("/tcp")]
        return min(ports) if ports else None

    def create(self, spec: ContainerSpec) -> None:
        """Create ``spec.name`` with the platform's hardening, on the app network."""
        self.isolate()
        with _translated(f"creating {spec.name}"):
            self.client.containers.create(**create_options(spec, self.pids_limit, self.network))

    def start(self, name: str) -> None:
        """Start ``name``."""
        with _translated(f"starting {name}"):
            self.client.api.start(name)

    def stop(self, name: str, timeout: float) -> None:
        """SIGTERM, ``timeout`` seconds of grace, SIGKILL (Docker's own ``stop``)."""
        with _translated(f"stopping {name}"), contextlib.suppress(NotFound):
            # The HTTP call lasts as long as the grace period; give it room.
            self.client.api.stop(name, timeout=int(timeout))

    def destroy(self, name: str) -> None:
        """Remove ``name`` by force."""
        with _translated(f"removing {name}"), contextlib.suppress(NotFound):
            self.client.api.remove_container(name, force=True)

    def state(self, name: str) -> Status:
        """Return the status of ``name``."""
        attrs = self._inspect(name)
        return Status(State.destroyed) if attrs is None else status_of(attrs)

    def address(self, name: str) -> str | None:
        """Return the container's IP on the app network (on its first network, for older containers)."""
        attrs = self._inspect(name) or {}
        return isolation.container_ip(attrs, self.network)

    def containers(self, app: str) -> list[str]:
        """Return the names of every container labelled ``deis.app=<app>``."""
        with _translated(f"listing containers of {app}"):
            found = self.client.api.containers(all=True, filters={"label": f"{APP_LABEL}={app}"})
        return sorted(c["Names"][0].lstrip("/") for c in found if c.get("Names"))

    def follow_losses(self, notify: Callable[[str], None], stop: threading.Event) -> None:
        """Call ``notify(app)`` on each ``die`` or ``destroy`` of an app container, until ``stop`` is set.

        A broken stream is reopened from where it broke; only the engine's
        clock bounds what it replays, and the reconcile loop's periodic pass
        covers whatever a gap would hide.
        """
        since = int(time.time())
        while not stop.is_set():
            until = int(time.time()) + EVENTS_WINDOW
            try:
                for event in self.client.events(since=since, until=until, decode=True, filters={
                        "type": "container", "event": list(LOSS_EVENTS), "label": APP_LABEL}):
                    if app := event.get("Actor", {}).get("Attributes", {}).get(APP_LABEL):
                        notify(app)
                since = min(until, int(time.time())) - 1  # a stream that ended early resumes where it did
            except (DockerException, requests.RequestException) as exc:
                log.warning("the Docker event stream broke (%s); reopening it", _reason(exc))
                stop.wait(1.0)

    def run(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]:
        """Run ``spec`` to its end and return ``(exit code, stdout and stderr)``."""
        self.create(spec)
        try:
            self.start(spec.name)
            exit_code = self._wait(spec.name, timeout)
            with _translated(f"reading the output of {spec.name}"):
                output = self.client.api.logs(spec.name, stdout=True, stderr=True)
            return exit_code, output.decode("utf-8", errors="replace")
        finally:
            self.destroy(spec.name)

    def _wait(self, name: str, timeout: float) -> int:
        try:
            result = self.client.api.wait(name, timeout=timeout)
        except requests.RequestException as exc:
            raise SchedulerError(f"{name} did not finish within {timeout:g} s and was killed") from exc
        except DockerException as exc:
            raise SchedulerError(f"the Docker engine failed while waiting for {name}: {_reason(exc)}") from exc
        return int(result.get("StatusCode", -1))

    def _inspect(self, name: str) -> dict | None:
        with _translated(f"inspecting {name}"):
            try:
                return self.client.api.inspect_container(name)
            except NotFound:
                return None
