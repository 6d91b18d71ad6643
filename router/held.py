"""Routes whose lease expired under them, kept for a short grace while their backends answer.

A route (``/deis/services/<app>/<container>``) lives on its publisher's lease,
so a publisher that dies takes its routes with it. But leases also expire when
*etcd* stalls longer than their TTL (paused, a stuck disk, a host asleep): the
moment etcd resumes it revokes every lease whose deadline passed, and the
routes of containers that never stopped are deleted in one burst, while the
publishers re-announce them a second or two later. Applying that burst emptied
nginx for ~1.1 s (55 of 1,959 requests answered 503; issue 17). So the router
tells the two kinds of delete apart by asking etcd about the key's lease:

* the lease still exists: someone deleted the key on purpose — the publisher
  withdrawing a stopped or unhealthy container, the scheduler withdrawing one it
  is about to stop. Applied at once, as before, so a deploy's wait for the
  routers' recorded revision stays as prompt as it was.
* the lease is gone (expired or revoked) and the container is not being drained:
  the route is *held* — nginx keeps it for at most ``grace`` seconds while its
  backend still accepts connections, until a publisher announces the key again.

Why here and not in the key layout (routes owned by a per-host presence key
that the router grants a grace): that would change the §3 contract every reader
of ``/deis/services/`` relies on, and a lost host would leave keys nobody
deletes; leases stay the one clean-up mechanism, and only how their expiry is
applied changes. The hold is level-triggered and bounded: every pass re-checks
each held route and drops it when the key is back, a draining marker appears,
the backend stops answering or the grace ends; a dead container is never held,
so the T6 bound (no route to a dead container) is unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from deis import health, keys

#: Seconds a lease-expired route may be held: publishers re-announce within ~2 s of etcd's return.
GRACE = 10.0
#: Connect timeout of the "does the backend still answer" probe.
PROBE_TIMEOUT = 0.2


def is_route(key: str) -> bool:
    """True for ``/deis/services/<app>/<container>`` (not an app's own marker key)."""
    return key.startswith(keys.services()) and "/" in keys.relative(key, keys.services())


def backend_answers(address: str) -> bool:
    """True when ``ip:port`` accepts a TCP connection within :data:`PROBE_TIMEOUT`."""
    host, _, port = address.rpartition(":")
    return port.isdigit() and len(port) <= 5 and health.port_open(host, int(port), PROBE_TIMEOUT)[0]


@dataclass
class _Held:
    value: str
    until: float


class HeldRoutes:
    """The routes a router keeps although etcd deleted them with their lease."""

    def __init__(self, grace: float = GRACE, answers: Callable[[str], bool] = backend_answers,
                 clock: Callable[[], float] = time.monotonic):
        self.grace = grace
        self._answers = answers
        self._clock = clock
        self._routes: dict[str, _Held] = {}

    def __bool__(self) -> bool:
        return bool(self._routes)

    def __contains__(self, key: str) -> bool:
        return key in self._routes

    def hold(self, key: str, value: str) -> None:
        """Keep the route ``key`` = ``value`` for up to the grace from now."""
        self._routes.setdefault(key, _Held(value, self._clock() + self.grace))

    def release(self, key: str) -> None:
        """Stop holding ``key`` (it was announced again)."""
        self._routes.pop(key, None)

    def prune(self, mirror: Mapping[str, str]) -> list[str]:
        """Drop held routes that are back in ``mirror``, draining, past the grace or not answering; return them."""
        now = self._clock()
        dropped = [key for key, held in self._routes.items()
                   if key in mirror or _draining(key, mirror) or now > held.until or not self._answers(held.value)]
        for key in dropped:
            del self._routes[key]
        return dropped

    def overlay(self, mirror: Mapping[str, str]) -> dict[str, str]:
        """Return ``mirror`` with the held routes added (what nginx should serve)."""
        return {**{key: held.value for key, held in self._routes.items()}, **mirror}


def _draining(key: str, mirror: Mapping[str, str]) -> bool:
    app, _, container = keys.relative(key, keys.services()).partition("/")
    return keys.draining(app, container) in mirror
