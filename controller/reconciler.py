"""The scheduler's reconcile loop: app containers the engine lost come back while the controller runs.

Level-triggered, in Kubernetes' sample-controller shape, like the publisher,
router and logspout:

* **Desired** is what PostgreSQL records: one row per ``<type>.<num>`` of each
  app's running release (its latest release, at its scale). **Actual** is what
  the engine has. :meth:`Reconciler.sync_app` compares the two for one app and
  starts what is missing, the way a deploy does (:mod:`controller.recovery`).
* **Triggers only enqueue an app.** Every ``reconcileInterval`` seconds
  :meth:`Reconciler.resync_all` enqueues every app; a container's ``die`` or
  ``destroy`` on the engine (:meth:`Scheduler.follow_losses`) enqueues its app
  at once. A missed event costs at most one interval, never a lost container.
* **Never racing a change.** A sync takes the app's lock (the PostgreSQL
  advisory lock deploys, scales, restarts, config changes and destroys hold)
  without waiting: an app being changed is skipped and tried on the next pass.
  A restore that fails is retried with a per-app backoff, doubling from one
  interval up to :data:`MAX_BACKOFF`, and said once in the app's log.
* **One replica acts.** Each pass starts by claiming the leased etcd key
  ``keys.leader("controller", "reconcile")`` (:mod:`deis.leadership`); a
  replica that does not hold it stands by. The app lock keeps even an overlap
  harmless: two restorers of one app take turns, the second finds nothing missing.
* **A lost node's routes** are withdrawn first in every pass: the containers
  the backend calls unreachable (:meth:`Scheduler.unreachable`, on a Swarm
  those of nodes marked down) are fenced with a draining marker and their
  routes deleted (:meth:`EtcdRoutes.fence`), seconds after the node's down
  event woke the loop instead of after the 20 s lease.
* **The backend's own repairs** run once per pass too
  (:meth:`Scheduler.repair`): on a Swarm, relaxing the spread of a task no
  node can take and raising the restart delay of a crash loop.
* **What it did** goes to the app's log as a ``<app>[deis-controller]`` line
  (``restored 1 container the engine had lost: myapp_v2.web.2``, through
  :mod:`controller.applog`) and to the controller's journal.

It runs as a child process of the gunicorn master (``python -m
controller.reconciler``, started by :mod:`controller.server`), so the master
never waits on health checks; it stops on SIGTERM and when the master is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

import docker.errors
import sqlalchemy.exc

from controller import applog, db, recovery
from controller import settings as controller_settings
from controller.errors import Conflict
from controller.services import events, runtime
from deis import keys, logconfig
from deis.errors import DeisError, TemporaryError
from deis.etcd import Etcd
from deis.leadership import Leadership
from deis.settings import Settings

log = logging.getLogger("controller.reconciler")  # also when run as __main__

#: Longest wait, in seconds, before an app whose containers would not start is tried again.
MAX_BACKOFF = 300.0
#: Seconds the leader key outlives a reconciler that died without giving it up.
LEADER_TTL = 10
#: Seconds before a pass whose fencing of lost nodes failed is made again (etcd electing a
#: leader after the very partition that lost the node), rather than at the next interval.
FENCE_RETRY = 1.0
#: Seconds between passes while ``reconcileInterval`` cannot be read (etcd away, a bad value).
DEFAULT_INTERVAL = 10.0


def backoff(interval: float, failures: int) -> float:
    """Return the seconds before an app that failed ``failures`` times in a row is tried again."""
    return min(interval * 2 ** (failures - 1), MAX_BACKOFF)


class Reconciler:
    """Converges every app's containers on the engine to what PostgreSQL records."""

    def __init__(self, database: db.Database, runtime_: runtime.Runtime, leadership: Leadership,
                 interval: Callable[[], float]):
        """``interval`` is asked before each full pass, so a changed setting applies without a restart."""
        self.database = database
        self.runtime = runtime_
        self.leadership = leadership
        self.interval = interval
        #: Set by :meth:`enqueue` (and on stop): the loop's sleep ends early.
        self.wake = threading.Event()
        #: Passes made while leading (each syncs the apps queued since the last one).
        self.passes = 0
        self._queue: set[str] = set()
        self._mutex = threading.Lock()
        self._failing: dict[str, tuple[int, float]] = {}  # app -> (failures in a row, monotonic time of next try)

    def enqueue(self, app_id: str) -> None:
        """Ask for ``app_id`` to be synced on the next pass (soon)."""
        with self._mutex:
            self._queue.add(app_id)
        self.wake.set()

    def resync_all(self) -> None:
        """Enqueue every app."""
        for app_id in recovery.app_ids(self.database):
            self.enqueue(app_id)

    def sync_app(self, app_id: str) -> list[str]:
        """Start the app's missing containers unless it is being changed; return their names."""
        failures, next_try = self._failing.get(app_id, (0, 0.0))
        if time.monotonic() < next_try:
            return []
        try:
            names = recovery.restore_app(self.database, self.runtime, app_id)
        except Conflict:
            log.info("%s is being changed right now; it is left for the next pass", app_id)
            return []
        except DeisError as exc:
            self._failed(app_id, failures + 1, exc)
            return []
        self._failing.pop(app_id, None)
        if names:
            log.warning("%s: brought back %d lost containers: %s", app_id, len(names), ", ".join(names))
        return names

    def _failed(self, app_id: str, failures: int, exc: DeisError) -> None:
        delay = backoff(self._interval(), failures)
        self._failing[app_id] = (failures, time.monotonic() + delay)
        log.error("could not bring back the lost containers of %s (%d in a row, next try in %.0f s): %s",
                  app_id, failures, delay, exc)
        if failures == 1:
            events.record(app_id, f"could not restore the containers the engine had lost: {exc}; retrying")

    def run_once(self, resync: bool = False) -> dict[str, list[str]]:
        """Sync the queued apps (every app with ``resync``) if this replica leads; return what came back."""
        if not self.leadership.held():
            self._take_queue()  # the leader sees the same engine and database
            return {}
        if resync:
            self.resync_all()
        self.passes += 1
        self._fence()  # first: requests fail until a lost node's routes are gone
        queued = self._take_queue()
        log.debug("pass %d: syncing %d apps", self.passes, len(queued))
        restored = {app_id: names for app_id in sorted(queued) if (names := self.sync_app(app_id))}
        self._repair()
        return restored

    def _fence(self) -> None:
        """Withdraw the routes of containers on nodes the engine marks down (a cluster backend's)."""
        try:
            for line in self.runtime.deployer.routes.fence(self.runtime.scheduler.unreachable()):
                log.warning("%s", line)
        except DeisError as exc:
            log.warning("could not withdraw the routes of lost nodes (%s); trying again in %g s", exc, FENCE_RETRY)
            timer = threading.Timer(FENCE_RETRY, self.wake.set)
            timer.daemon = True
            timer.start()

    def _repair(self) -> None:
        """Let the backend fix what its engine cannot (on a cluster: spread, restart back-off)."""
        try:
            self.runtime.scheduler.repair()
        except DeisError as exc:
            log.warning("the scheduler's repair step failed (%s); it runs again at the next pass", exc)

    def _take_queue(self) -> set[str]:
        with self._mutex:
            queued, self._queue = self._queue, set()
        return queued

    def run(self, stop: threading.Event) -> None:
        """Pass every interval and on each engine event until ``stop`` is set; then give leadership up."""
        threading.Thread(target=self.runtime.scheduler.follow_losses, args=(self.enqueue, stop),
                         name="engine-events", daemon=True).start()
        threading.Thread(target=lambda: (stop.wait(), self.wake.set()), name="stop-relay", daemon=True).start()
        next_resync = 0.0
        try:
            while not stop.is_set():
                resync = time.monotonic() >= next_resync
                if resync:
                    next_resync = time.monotonic() + self._interval()
                self.wake.clear()  # before the pass: an app enqueued during it wakes the next one
                self._pass(resync)
                self.wake.wait(max(0.0, next_resync - time.monotonic()))
        finally:
            self.leadership.release()

    def _pass(self, resync: bool) -> None:
        try:
            self.run_once(resync)
        except (sqlalchemy.exc.OperationalError, TemporaryError) as exc:
            # The database or etcd restarting (deisctl restart database): expected, one line, no traceback.
            log.warning("a reconcile pass could not run (%s); trying again at the next one", _first_line(exc))
        except Exception:  # noqa: BLE001 - a bug: the loop outlives it, with the traceback to fix it
            log.exception("a reconcile pass failed; trying again at the next one")

    def _interval(self) -> float:
        try:
            return self.interval()
        except Exception as exc:  # noqa: BLE001 - etcd away or a bad value: keep the default
            log.warning("cannot read reconcileInterval (%s); using %g s", exc, DEFAULT_INTERVAL)
            return DEFAULT_INTERVAL


def _stop_on_signals_or_orphaning(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM/SIGINT, and once the parent (gunicorn's master) is gone."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()

    def watch_parent() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                log.info("the controller is gone; the reconcile loop stops")
                stop.set()

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()


def _runtime_when_up(settings: Settings, stop: threading.Event) -> runtime.Runtime | None:
    """Return the scheduler runtime once the engine answers; None if stopped first."""
    while not stop.is_set():
        try:
            return runtime.from_settings(settings)
        except (DeisError, docker.errors.DockerException) as exc:
            log.warning("the container engine does not answer (%s); the reconcile loop waits for it", exc)
            stop.wait(DEFAULT_INTERVAL)
    return None


def main() -> int:
    """Run the reconcile loop until SIGTERM or the controller's exit; exit 0."""
    logconfig.configure("controller")
    stop = threading.Event()
    _stop_on_signals_or_orphaning(stop)
    etcd = Etcd()
    settings = controller_settings.load(etcd=etcd)
    applog.install(etcd)
    runtime_ = _runtime_when_up(settings, stop)
    if runtime_ is None:
        return 0
    database = db.Database(controller_settings.database_url(settings))
    leadership = Leadership(etcd, keys.leader("controller", "reconcile"), ttl=LEADER_TTL)
    try:
        Reconciler(database, runtime_, leadership, lambda: settings.get("reconcileInterval")).run(stop)
    finally:
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _first_line(exc: Exception) -> str:
    """The first line of ``exc``'s message (SQLAlchemy appends the statement and a link)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
