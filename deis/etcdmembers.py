"""Which etcd member a client talks to: the list in ``DEIS_ETCD`` and the rule that picks one (pure).

``DEIS_ETCD`` names one member or several, comma-separated, in the order a
client should prefer them (on a cluster: its own node's member first)::

    http://10.0.0.11:2379,http://10.0.0.12:2379,http://10.0.0.13:2379

The rule, in one place (:class:`Members`): a client sends each request to
the *current* member; when that member fails to answer (connection refused
or timed out, or it says it has no leader), the same request goes to the
next member, once per member, in list order, wrapping round. The first one
that answers becomes current, so later requests go straight to it. Once
every :data:`RETURN_AFTER` seconds a client that moved off its first member
tries that one first again, and stays if it answers: a node's member that
comes back gets its own node's components back (no hop across the network,
and load spread as the lists were written), and the cost while it is still
down is one refused connection (or one share of the timeout) per period.

What may be sent again is decided by :class:`deis.etcd.Etcd`, which knows
what each request does; this module only chooses where.

No etcd client library we could use knows a member list (etcd3gw, which
we used before, talks to one host and port; :mod:`deis.etcd` says why we
left it), hence this module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from deis.errors import ConfigurationError

SCHEMES = ("http", "https")
#: Seconds after which a client that moved off its first member tries it first again.
RETURN_AFTER = 30.0


def parse(text: str) -> tuple[str, ...]:
    """Return the member URLs of a ``DEIS_ETCD`` value, validated, without trailing slashes.

    A member named twice counts once, at its first place, so a list can say
    "mine first, then all of them" (what a Swarm task's value does:
    :mod:`deisctl.swarm.specs`). Raises :class:`ConfigurationError` naming
    the first bad entry.
    """
    entries = [entry.strip() for entry in text.split(",")]
    if not any(entries):
        raise ConfigurationError("DEIS_ETCD is empty; set it to etcd member URLs such as http://127.0.0.1:2379")
    return tuple(dict.fromkeys(_validated(entry, text) for entry in entries))


def _validated(entry: str, text: str) -> str:
    where = f"etcd member {entry!r} in DEIS_ETCD={text!r}"
    if not entry:
        raise ConfigurationError(f"empty entry in DEIS_ETCD={text!r}; separate member URLs with single commas")
    url = urlsplit(entry)
    if url.scheme not in SCHEMES:
        raise ConfigurationError(f"{where} must start with http:// or https://")
    try:
        port = url.port
    except ValueError:
        raise ConfigurationError(f"{where} has a port that is not a number from 0 to 65535") from None
    if not url.hostname:
        raise ConfigurationError(f"{where} names no host; write it as http://<host>:<port>")
    if port is None:
        raise ConfigurationError(f"{where} names no port; write it as http://{url.hostname}:2379")
    if url.path.strip("/") or url.query or url.fragment or url.username:
        raise ConfigurationError(f"{where} must be only scheme, host and port, e.g. http://{url.hostname}:{port}")
    return f"{url.scheme}://{url.netloc}"


class Members:
    """The member list of one client and which of them it talks to now (thread-safe)."""

    def __init__(self, urls: tuple[str, ...], return_after: float = RETURN_AFTER,
                 clock: Callable[[], float] = time.monotonic):
        if not urls:
            raise ValueError("an etcd client needs at least one member")
        self.urls = tuple(urls)
        self.return_after = return_after
        self._clock = clock
        self._current = 0
        #: When the first member last failed.
        self._first_failed = clock()
        self._lock = threading.Lock()

    @property
    def current(self) -> str:
        """The member requests go to first."""
        return self.urls[self._current]

    def attempts(self) -> tuple[str, ...]:
        """Every member once: the current one first, then the rest in list order (wrapping round).

        The first member goes first instead when the client moved off it
        at least ``return_after`` seconds ago.
        """
        start = self._current
        order = self.urls[start:] + self.urls[:start]
        if start and self._clock() - self._first_failed >= self.return_after:
            return (self.urls[0], *(url for url in order if url != self.urls[0]))
        return order

    def answered(self, url: str) -> None:
        """``url`` answered: make it current."""
        with self._lock:
            self._current = self.urls.index(url)

    def failed(self, url: str) -> None:
        """``url`` did not answer: move on to the next member, unless another thread already did."""
        with self._lock:
            if url == self.urls[0]:
                self._first_failed = self._clock()
            if self.urls[self._current] == url:
                self._current = (self._current + 1) % len(self.urls)

    def __repr__(self) -> str:
        return f"Members({', '.join(self.urls)}; current {self.current})"
