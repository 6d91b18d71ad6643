"""When an app's routes were withdrawn, routers applied them, and its containers got SIGTERM and SIGKILL.

The reliability tests (T1 deploy order, T3 graceful stop) check the order of a
stop from the outside: etcd's watch gives the revision and time at which each
route under ``keys.services(app)`` was deleted and the revisions the routers
recorded under ``keys.component("router", "hosts/")``; the Docker engine's
``kill`` events give the time each container got signal 15 and signal 9.
Times are this process's ``time.monotonic()`` at arrival.
"""

from __future__ import annotations

import threading
import time

from deis import keys


class Timeline:
    """When routes were deleted, routers applied revisions and containers got SIGTERM and SIGKILL."""

    def __init__(self, etcd, docker_client, app: str):
        self.app, self.stop = app, threading.Event()
        #: container -> (revision of its route's delete, time)
        self.deleted: dict[str, tuple[int, float]] = {}
        #: (revision a router recorded, time)
        self.applied: list[tuple[int, float]] = []
        #: container -> time of its first SIGTERM
        self.terminated: dict[str, float] = {}
        #: container -> time of its first SIGKILL
        self.killed: dict[str, float] = {}
        self._etcd = etcd
        self._stream = docker_client.events(decode=True, filters={"type": "container", "event": "kill",
                                                                   "label": f"deis.app={app}"})
        start = etcd.revision() + 1
        threading.Thread(target=self._watch, args=(start,), daemon=True).start()
        threading.Thread(target=self._follow, daemon=True).start()

    def _watch(self, start: int) -> None:
        routes, routers = keys.services(self.app), keys.component("router", "hosts/")
        for event in self._etcd.watch_prefix(keys.ROOT, start, self.stop):
            if event.type == "delete" and event.key.startswith(routes):
                self.deleted.setdefault(event.key.rsplit("/", 1)[-1], (event.revision, time.monotonic()))
            elif event.type == "put" and event.key.startswith(routers) and event.value:
                self.applied.append((int(event.value), time.monotonic()))

    def _follow(self) -> None:
        for event in self._stream:
            attributes = event.get("Actor", {}).get("Attributes", {})
            name, signal = attributes.get("name", ""), attributes.get("signal")
            if signal == "15":
                self.terminated.setdefault(name, time.monotonic())
            elif signal == "9":
                self.killed.setdefault(name, time.monotonic())

    def close(self) -> None:
        """Stop following etcd and the engine."""
        self.stop.set()
        self._stream.close()

    def router_applied(self, name: str) -> float | None:
        """Return when a router first recorded a revision at or past the delete of ``name``'s route."""
        if name not in self.deleted:
            return None
        revision = self.deleted[name][0]
        return min((at for seen, at in self.applied if seen >= revision), default=None)

    def order_problems(self) -> list[str]:
        """Each stopped container whose route was not withdrawn and applied by the router before its SIGTERM."""
        problems = []
        for name, sigterm in sorted(self.terminated.items()):
            if name not in self.deleted:
                problems.append(f"{name}: SIGTERM with its route never deleted")
                continue
            deleted_at, applied_at = self.deleted[name][1], self.router_applied(name)
            if not (deleted_at < sigterm):
                problems.append(f"{name}: route deleted {deleted_at - sigterm:+.2f} s after SIGTERM")
            elif applied_at is None or applied_at > sigterm:
                problems.append(f"{name}: SIGTERM before the router applied revision {self.deleted[name][0]}")
        return problems

    def grace_taken(self, name: str) -> float | None:
        """Seconds from ``name``'s SIGTERM to its SIGKILL; ``None`` when it was not killed."""
        if name not in self.killed or name not in self.terminated:
            return None
        return self.killed[name] - self.terminated[name]
