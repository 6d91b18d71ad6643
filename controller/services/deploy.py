"""Zero-downtime changes of running containers (DESIGN.md §3), below the data model.

The order of every change is the same: start the new containers, held back
from the routers, and wait until each answers; release them to the publisher
and wait for it and the routers to route them; then
withdraw the old ones from the routers, and only then stop them (SIGTERM,
grace period, SIGKILL) and remove them. If any new container fails to come
up, every new one is removed and the old ones were never touched: the
previous release keeps serving. A restart replaces containers one at a time,
so an app with two or more containers of a type keeps answering throughout.

Every call that stops containers takes the app's own ``grace`` (its
``KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS``, read by the caller from
the app's config); ``None`` means the platform's ``stopGracePeriod``.

:class:`Deployer` knows containers and routes, not releases; the callers in
``controller.services.containers`` turn releases into :class:`ContainerSpec`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from controller.scheduler import ContainerSpec, Scheduler
from controller.services.health import HealthCheck
from controller.services.routes import NoRoutes, Routes
from deis import naming
from deis.errors import DeisError

log = logging.getLogger(__name__)

#: Docker's and Heroku's default: 30 s between SIGTERM and SIGKILL.
DEFAULT_GRACE = 30.0
#: Parallel calls to the engine; enough to overlap waits, few enough not to flood it.
WORKERS = 8


def routable(names: Iterable[str]) -> list[str]:
    """Return the names of ``web``/``cmd`` containers (the routed ones)."""
    return [n for n in names if (parsed := naming.parse_container_name(n)) and parsed.routable]


def _parallel(call: Callable[[object], None], items: list) -> None:
    """Call ``call`` on every item concurrently; raise the first error after all finish."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(items))) as pool:
        for future in [pool.submit(call, item) for item in items]:
            future.result()


class Deployer:
    """Starts, replaces, restarts and retires containers of one scheduler."""

    def __init__(self, scheduler: Scheduler, health: HealthCheck | None = None, routes: Routes | None = None,
                 grace: float = DEFAULT_GRACE):
        self.scheduler = scheduler
        self.health = health or HealthCheck(scheduler)
        self.routes = routes or NoRoutes()
        self.grace = grace

    def replace(self, app: str, specs: list[ContainerSpec], old: list[str], grace: float | None = None) -> None:
        """Bring ``specs`` up, then retire ``old`` with ``grace``; on a failed start nothing old is touched."""
        new_names = {spec.name for spec in specs}
        # A leftover with a new name is replaced by start(), so it must not be retired after it.
        old = [name for name in old if name not in new_names]
        self.start(app, specs)
        try:
            with self.routes.withdrawn(app, routable(old)):
                self._stop_and_remove(old, grace)
        except DeisError:
            # Withdrawal failed (etcd away) before anything old stopped: undo the new set.
            self._remove([spec.name for spec in specs])
            raise

    def start(self, app: str, specs: list[ContainerSpec]) -> None:
        """Create and start ``specs`` and wait until each answers and is routed; all or none.

        The new containers are held back from the publisher until all of them
        answer, so a container of a set that fails never serves a request.
        """
        names = routable(spec.name for spec in specs)
        try:
            with self.routes.held(app, names):
                for spec in specs:
                    # A leftover of an interrupted attempt would hold the name.
                    self.scheduler.destroy(spec.name)
                    self.scheduler.create(spec)
                    self.scheduler.start(spec.name)
                self._wait_healthy(specs)
            self.routes.announced(app, names)
        except BaseException:
            self._remove([spec.name for spec in specs])
            raise

    def retire(self, app: str, names: list[str], grace: float | None = None) -> None:
        """Withdraw ``names`` from the routers, then stop (with ``grace``) and remove them."""
        with self.routes.withdrawn(app, routable(names)):
            self._stop_and_remove(names, grace)

    def restart(self, app: str, specs: list[ContainerSpec], grace: float | None = None) -> None:
        """Restart each container in turn: withdraw, stop (with ``grace``), start, wait until it answers."""
        for spec in specs:
            with self.routes.withdrawn(app, routable([spec.name])):
                self.scheduler.stop(spec.name, self.grace if grace is None else grace)
                self.scheduler.start(spec.name)
                self.health.wait(spec)

    def _wait_healthy(self, specs: list[ContainerSpec]) -> None:
        if not specs:
            return
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(specs))) as pool:
            futures = [pool.submit(self.health.wait, spec, stop) for spec in specs]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            # One failure decides the deploy; tell the other waits to give up.
            stop.set()
            for future in done:
                future.result()

    def _stop_and_remove(self, names: list[str], grace: float | None) -> None:
        """Stop then remove ``names``; failures are logged: the next deploy removes leftovers."""
        seconds = self.grace if grace is None else grace
        try:
            _parallel(lambda name: self.scheduler.stop(name, seconds), names)
            _parallel(self.scheduler.destroy, names)
        except DeisError as exc:
            log.warning("could not retire every old container (%s); the next deploy removes the rest", exc)

    def _remove(self, names: list[str]) -> None:
        try:
            _parallel(self.scheduler.destroy, names)
        except DeisError as exc:
            log.error("could not remove new containers %s: %s", ", ".join(names), exc)
