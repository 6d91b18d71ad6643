"""The publisher's reconcile loop: running, healthy web/cmd containers → etcd routes.

Level-triggered, in the sample-controller shape: Docker events only wake the
loop; every pass (:meth:`Publisher.reconcile`) reads the containers of this
engine, the draining markers and the health-check settings fresh, and makes
``/deis/services/<app>/<container>`` match — writing routes of healthy
containers under this publisher's lease and deleting routes of containers that
stopped, died or are being drained. A full pass also runs every ``resync``
seconds, so a missed event never leaves a wrong route.

A publisher that stops (SIGTERM, ``deisctl restart publisher``, an upgrade)
or crashes leaves its lease to expire rather than revoking it: the containers
it announced are still running, and its successor adopts their routes
(:meth:`Publisher._known_here`) and re-attaches them to its own lease within
its first pass, so a restart never withdraws a running container (57 requests
answered 503 over 1.2 s when the stop revoked the lease; issue 17). A publisher
that does not come back loses its routes after the TTL, as before; routers keep
those of still-answering containers for a short grace (:mod:`router.held`).
"""

from __future__ import annotations

import logging
import threading

import docker

from deis import dockerevents, health, isolation, keys
from deis.errors import TemporaryError
from deis.etcd import Etcd, Lease
from publisher.routes import Candidate, candidate, split_address, v1_name

log = logging.getLogger(__name__)

#: How soon to look again while a routable container has not answered yet.
PENDING_INTERVAL = 0.2
#: Failed checks in a row before a routed, still-running container loses its
#: route: under load one connect can stall past the timeout, and withdrawing a
#: live route for that turned into 503s (measured in bench/router).
WITHDRAW_AFTER_FAILURES = 3


class Publisher:
    """Publishes the routable containers of one Docker engine."""

    def __init__(self, client: docker.DockerClient, etcd: Etcd, network: str = isolation.NETWORK,
                 resync: float = 5.0, health_timeout: float = 1.0):
        self.client = client
        self.etcd = etcd
        self.network = network
        self.resync = resync
        self.health_timeout = health_timeout
        self.wake = threading.Event()
        self._published: set[str] = set()
        self._failures: dict[str, int] = {}

    def run(self, stop: threading.Event, ttl: int = 20) -> None:
        """Publish until ``stop`` is set; the routes outlive the return by the lease's TTL."""
        dockerevents.wake_on_events(self.client, self.wake, stop)
        threading.Thread(target=self._watch_markers, args=(stop,), name="etcd-draining", daemon=True).start()
        lease = self.etcd.lease(ttl).__enter__()
        try:
            while not stop.is_set():
                try:
                    pending = self.reconcile(lease)
                except (TemporaryError, docker.errors.DockerException) as exc:
                    log.warning("sync failed, retrying: %s", exc)
                    pending = True
                self.wake.wait(PENDING_INTERVAL if pending else self.resync)
                self.wake.clear()
        finally:
            lease.abandon()  # the containers run on: a successor re-announces them before the TTL ends

    def reconcile(self, lease: Lease) -> bool:
        """Make this engine's routes in etcd match its containers; True if some are pending."""
        draining = self._draining()
        candidates = [c for c in (self._candidate(attrs, draining) for attrs in self._running()) if c]
        checks = self._healthcheck_paths()
        current, _ = self.etcd.get_prefix(keys.services())
        healthy = {c for c in candidates if self._passes(c, c.check_path(checks.get(c.app)), current)}
        self._withdraw(current, {keys.service(c.app, c.name) for c in healthy})
        for route in healthy:
            self._publish(route, current, lease)
        return len(healthy) < len(candidates)

    def _passes(self, route: Candidate, check_path: str | None, current: dict[str, str]) -> bool:
        """Whether ``route`` should be routed: healthy, or routed and not yet failing repeatedly.

        A route a previous run published (in etcd with this address) counts as
        routed: one slow check right after a restart must not withdraw it.
        """
        key = keys.service(route.app, route.name)
        if health.answers(*split_address(route.address), check_path, self.health_timeout)[0]:
            self._failures.pop(key, None)
            return True
        if key not in self._published and current.get(key) != route.address:
            return False
        self._failures[key] = self._failures.get(key, 0) + 1
        if self._failures[key] < WITHDRAW_AFTER_FAILURES:
            log.warning("%s failed a health check (%d in a row); still routed", key, self._failures[key])
            return True
        self._failures.pop(key, None)
        return False

    def _candidate(self, attrs: dict, draining: set[str]) -> Candidate | None:
        return candidate(attrs, draining, self.network)

    def _running(self) -> list[dict]:
        return [container.attrs for container in self.client.containers.list(filters={"status": "running"})]

    def _draining(self) -> set[str]:
        markers, _ = self.etcd.get_prefix(keys.draining_markers())
        return {key.rsplit("/", 1)[-1] for key in markers}

    def _healthcheck_paths(self) -> dict[str, str]:
        config, _ = self.etcd.get_prefix(keys.app_configs())
        suffix = "/" + "healthcheck_url"
        return {key[: -len(suffix)].rsplit("/", 1)[-1]: value for key, value in config.items() if key.endswith(suffix)}

    def _withdraw(self, current: dict[str, str], desired: set[str]) -> None:
        mine = self._published | self._known_here(current)
        for key in sorted(mine - desired):
            lease_free_delete = key in current
            self._published.discard(key)
            if lease_free_delete:
                self.etcd.delete(key)
                log.info("withdrew %s", key)

    def _known_here(self, current: dict[str, str]) -> set[str]:
        """Routes in etcd whose container lives on this engine (a previous run's, say)."""
        names = {v1_name(c["Names"][0], c.get("Labels")) for c in self.client.api.containers(all=True)
                 if c.get("Names")}
        return {key for key in current if key.rsplit("/", 1)[-1] in names}

    def _publish(self, route: Candidate, current: dict[str, str], lease: Lease) -> None:
        key = keys.service(route.app, route.name)
        if current.get(key) == route.address and key in self._published:
            return
        if self.etcd.put_unless(key, route.address, keys.draining(route.app, route.name), lease):
            self._published.add(key)
            log.info("published %s = %s", key, route.address)

    def _watch_markers(self, stop: threading.Event) -> None:
        """Wake the loop when a draining marker appears or goes (a restart re-announces at once)."""
        prefix = keys.draining_markers()
        while not stop.is_set():
            try:
                for _event in self.etcd.watch_prefix(prefix, self.etcd.revision() + 1, stop):
                    self.wake.set()
            except TemporaryError as exc:
                log.warning("watch on draining markers broke (%s); watching again", exc)
                stop.wait(1)
