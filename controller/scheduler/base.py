"""The scheduler interface: what the controller needs of a container runtime.

A backend runs containers named ``<app>_v<N>.<type>.<num>`` from a
:class:`ContainerSpec` and reports their :class:`Status`. It knows nothing of
releases, routes or health: ``controller.services.deploy`` orders the calls.
Errors of the runtime are translated at the backend into::

    SchedulerError (TemporaryError)      the engine failed or did not answer → 503
    ImageUnavailable (PermanentError)    the image is neither local nor pullable → 400
"""

from __future__ import annotations

import abc
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from deis import health
from deis.errors import PermanentError, TemporaryError


class SchedulerError(TemporaryError):
    """The container engine failed or did not answer; the message says which call."""


class ImageUnavailable(PermanentError):
    """An image is not present locally and could not be pulled."""


class State(enum.Enum):
    """Container states as Deis v1 named them (its ``JobState``)."""

    initialized = "initialized"
    created = "created"
    up = "up"
    down = "down"
    destroyed = "destroyed"
    crashed = "crashed"
    error = "error"


@dataclass(frozen=True)
class Status:
    """What a backend reports of one container."""

    state: State
    #: The last exit code, when the process has exited at least once.
    exit_code: int | None = None
    #: How often the engine restarted it after a crash.
    restarts: int = 0
    #: The node it runs on, on a cluster backend (``None`` on one host: ``deis ps`` then shows none).
    host: str | None = None
    #: Why it cannot run, in a sentence, when the state is ``error`` (``no node matches the app's tags``).
    detail: str | None = None


@dataclass(frozen=True)
class ContainerSpec:
    """Everything a backend needs to create one container."""

    name: str
    image: str
    #: Arguments after the entrypoint; ``None`` keeps the image's CMD.
    command: list[str] | None = None
    #: ``None`` keeps the image's ENTRYPOINT.
    entrypoint: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: The port the process listens on (set for routable types): health-checked and routed, never published.
    port: int | None = None
    memory: int | None = None  # bytes
    cpu_shares: int | None = None
    #: Long-running processes are restarted on failure (with backoff); one-offs are not.
    restart: bool = True
    #: The app's tags (``deis tags:set environ=prod``): on a cluster, only nodes labelled so run it.
    tags: dict[str, str] = field(default_factory=dict)


class Scheduler(abc.ABC):
    """A container runtime, driven by name (Deis v1's ``AbstractSchedulerClient``)."""

    @abc.abstractmethod
    def ensure_image(self, image: str) -> None:
        """Make ``image`` available to run, pulling it only when it is not local."""

    @abc.abstractmethod
    def image_port(self, image: str) -> int | None:
        """Return the lowest port ``image`` exposes, or ``None``."""

    @abc.abstractmethod
    def create(self, spec: ContainerSpec) -> None:
        """Create (but do not start) the container ``spec.name``."""

    @abc.abstractmethod
    def start(self, name: str) -> None:
        """Start the created container ``name``."""

    @abc.abstractmethod
    def stop(self, name: str, timeout: float) -> None:
        """Send SIGTERM, wait up to ``timeout`` seconds, then SIGKILL; absent is fine."""

    @abc.abstractmethod
    def destroy(self, name: str) -> None:
        """Remove the container ``name`` (killing it if needed); absent is fine."""

    @abc.abstractmethod
    def state(self, name: str) -> Status:
        """Return the status of ``name`` (``destroyed`` when it does not exist)."""

    @abc.abstractmethod
    def address(self, name: str) -> str | None:
        """Return the IP the container answers on from this host, or ``None``."""

    @abc.abstractmethod
    def containers(self, app: str) -> list[str]:
        """Return the names of every container labelled with ``app``."""

    @abc.abstractmethod
    def run(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]:
        """Run a one-off container to its end; return ``(exit code, output)`` and remove it."""

    def probe(self, name: str, port: int, path: str | None, timeout: float) -> tuple[bool, str]:
        """Probe container ``name`` once as :func:`deis.health.answers` does: ``(passed, why not)``.

        The default asks from this process, at :meth:`address`: right where the
        controller can reach the app network (one host). A backend whose app
        addresses this process cannot reach (a cluster's overlay) probes from
        where they can be reached.
        """
        ip = self.address(name)
        if not ip:
            return False, "it has no IP address yet"
        return health.answers(ip, port, path, timeout)

    def follow_losses(self, notify: Callable[[str], None], stop: threading.Event) -> None:
        """Call ``notify(app)`` each time a container of ``app`` dies or is removed, until ``stop`` is set.

        A hint only: it wakes the reconcile loop (:mod:`controller.reconciler`)
        sooner, which then reads the engine afresh. A backend without an event
        stream returns at once; the loop's periodic full pass is then enough.
        """
        return None

    def unreachable(self) -> list[str]:
        """Return the containers whose running copy is on a node the engine marks down, with none running elsewhere.

        Their routes point where no router can reach: the reconcile loop
        withdraws them at once (:meth:`controller.services.routes.EtcdRoutes.fence`)
        instead of waiting for the node's publisher's lease to run out. One
        host has no other node: nothing is ever unreachable.
        """
        return []

    def repair(self) -> list[str]:
        """Fix what the engine cannot fix alone; return what was changed, one line each.

        The reconcile loop calls it on every pass (level-triggered: it reads
        the engine afresh each time). Only a cluster backend has anything to
        do (:meth:`controller.scheduler.swarm.SwarmScheduler.repair`).
        """
        return []
