"""Routes in etcd, seen from a deploy: wait for new ones, withdraw old ones.

The publisher writes ``/deis/services/<app>/<container>``; routers render them
and record the etcd revision they have applied under ``/deis/router/hosts/``.
A deploy waits for the publisher to announce its new containers and for every
router to apply that, then withdraws the old containers — draining marker
first, so the publisher cannot re-announce them, then the route — and waits
for every router to apply the withdrawal before anything is stopped. With no
router registered nothing routes, so nothing is waited for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Protocol

from deis import keys, naming
from deis.errors import TemporaryError
from deis.etcd import Etcd

log = logging.getLogger(__name__)


#: The value of a draining marker the reconcile loop sets for a container on a lost node
#: (a deploy's markers hold ``1``): only these does it remove again.
LOST = "node down"


class NotAnnounced(TemporaryError):
    """The publisher did not announce a new container in time."""


class Routes(Protocol):
    """What a deploy needs of the routing layer."""

    def announced(self, app: str, names: list[str]) -> None:
        """Return once ``names`` are routed (or raise :class:`NotAnnounced`)."""

    def withdrawn(self, app: str, names: list[str]) -> contextlib.AbstractContextManager[None]:
        """Withdraw ``names`` for the ``with`` block; routers have applied it when it starts."""

    def held(self, app: str, names: list[str]) -> contextlib.AbstractContextManager[None]:
        """Keep ``names`` from being announced during the ``with`` block, and after it if it raised."""


    def fence(self, lost: Iterable[str]) -> list[str]:
        """Keep the routes of ``lost`` containers withdrawn, and stop fencing the others; say what changed."""


class NoRoutes:
    """No etcd configured: nothing is routed, so there is nothing to wait for."""

    def fence(self, lost: Iterable[str]) -> list[str]:
        """Do nothing: nothing is routed."""
        return []

    def announced(self, app: str, names: list[str]) -> None:
        """Return at once."""

    @contextlib.contextmanager
    def withdrawn(self, app: str, names: list[str]) -> Iterator[None]:
        """Do nothing."""
        yield

    @contextlib.contextmanager
    def held(self, app: str, names: list[str]) -> Iterator[None]:
        """Do nothing."""
        yield


def applied_revision(value: str) -> int:
    """Parse what a router recorded: a revision, or JSON with a ``revision`` field."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return int(json.loads(value).get("revision", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


class EtcdRoutes:
    """Routes in etcd, with the waits of a zero-downtime deploy."""

    def __init__(self, etcd: Etcd, router_timeout: float = 30.0, announce_timeout: float = 30.0,
                 marker_ttl: int = 60, interval: float = 0.1):
        self.etcd = etcd
        self.router_timeout = router_timeout
        self.announce_timeout = announce_timeout
        self.marker_ttl = marker_ttl
        self.interval = interval

    def routers(self) -> dict[str, int]:
        """Return each registered router's applied revision."""
        recorded, _ = self.etcd.get_prefix(keys.router_host(""))
        return {key: applied_revision(value) for key, value in recorded.items()}

    def wait_for_routers(self, revision: int) -> None:
        """Wait until every router has applied ``revision``; a laggard is logged, not waited on forever."""
        deadline = time.monotonic() + self.router_timeout
        while lagging := [k for k, applied in self.routers().items() if applied < revision]:
            if time.monotonic() > deadline:
                log.warning("routers %s have not applied revision %d after %g s; going on",
                            ", ".join(lagging), revision, self.router_timeout)
                return
            time.sleep(self.interval)

    def announced(self, app: str, names: list[str]) -> None:
        """Wait until the publisher has announced ``names`` and every router has applied it."""
        if not names or not self.routers():
            return
        deadline = time.monotonic() + self.announce_timeout
        while missing := self._missing(app, names):
            if time.monotonic() > deadline:
                raise NotAnnounced(f"the publisher did not announce {', '.join(missing)} within "
                                   f"{self.announce_timeout:g} s; is deis-publisher running?")
            time.sleep(self.interval)
        # Wait for the announcements' own revisions: the global revision also
        # counts routers' status writes, which they never "apply".
        written = self.etcd.mod_revisions(keys.services(app))
        self.wait_for_routers(max(written[keys.service(app, name)] for name in names))

    def _missing(self, app: str, names: list[str]) -> list[str]:
        routed = self.etcd.mod_revisions(keys.services(app))
        return [name for name in names if keys.service(app, name) not in routed]

    @contextlib.contextmanager
    def withdrawn(self, app: str, names: list[str]) -> Iterator[None]:
        """Mark ``names`` draining, delete their routes, wait for routers; unmark on leaving.

        The markers are leased: if the controller dies mid-way they expire
        after ``marker_ttl`` seconds instead of hiding a container forever.
        """
        if not names:
            yield
            return
        with self.etcd.lease(self.marker_ttl) as lease:
            for name in names:
                lease.put(keys.draining(app, name), "1")
            deleted = [self.etcd.delete_at(keys.service(app, name)) for name in names]
            # Routes already gone (a dead container's) need no wait; ours need
            # the routers to reach the revision of our own delete.
            if any(deleted):
                self.wait_for_routers(max(filter(None, deleted)))
            yield

    @contextlib.contextmanager
    def held(self, app: str, names: list[str]) -> Iterator[None]:
        """Hold ``names`` back from the publisher until the ``with`` block has passed.

        A deploy judges its new containers together: one that never answers
        fails the release, and a release that failed must never have served a
        request. So each new container carries a draining marker from before
        it is created until every new one has answered; only then does the
        publisher announce them. If the block raises, the markers stay (leased,
        ``marker_ttl`` seconds) while the caller removes the containers, so a
        healthy container of a failed release is never routed.
        """
        if not names:
            yield
            return
        lease = self.etcd.lease(self.marker_ttl).__enter__()
        lease.abandon()  # on failure the markers must outlive this block; they expire instead
        for name in names:
            self.etcd.put(keys.draining(app, name), "1", lease=lease)
        yield
        for name in names:
            self.etcd.delete(keys.draining(app, name))

    def fence(self, lost: Iterable[str]) -> list[str]:
        """Withdraw the routes of ``lost`` containers (on a node the engine marks down); say what changed.

        The draining marker goes first (value :data:`LOST`, leased for
        ``marker_ttl`` seconds, not refreshed), so the lost node's publisher
        cannot announce the container again should it still reach etcd; then
        the route is deleted, which routers apply at once (its publisher's lease
        still exists). A container no longer lost (its replacement runs on a
        ready node, under the same name) loses the marker, so its new
        publisher announces it. Level-triggered: the reconcile loop calls it on
        every pass with what the engine says now; an expired marker of a
        container still lost is set again.
        """
        markers, _ = self.etcd.get_prefix(keys.draining_markers())
        wanted = {keys.draining(parsed.app, name): (parsed.app, name)
                  for name in lost if (parsed := naming.parse_container_name(name))}
        done = []
        new = [pair for marker, pair in sorted(wanted.items()) if marker not in markers]
        if new:
            lease = self.etcd.lease(self.marker_ttl).__enter__()
            lease.abandon()  # the marker outlives a leader that dies; it expires instead of hiding a name forever
            for app, name in new:
                self.etcd.put(keys.draining(app, name), LOST, lease=lease)
        # Every route of a lost container, not only the newly marked: a pass that failed
        # between marker and delete (etcd electing a leader) leaves the route to this one.
        routes, _ = self.etcd.get_prefix(keys.services()) if wanted else ({}, 0)
        for app, name in sorted(wanted.values()):
            if keys.service(app, name) in routes and self.etcd.delete(keys.service(app, name)):
                done.append(f"{name}: its node is down; its route is withdrawn")
        for marker, value in sorted(markers.items()):
            if value == LOST and marker not in wanted:
                self.etcd.delete(marker)
                done.append(f"{keys.relative(marker, keys.draining_markers())}: no longer on a lost node; "
                            "it may be announced again")
        return done
