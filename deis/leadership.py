"""One replica at a time: a leased etcd key, held by the replica that created it.

On a cluster a component runs as several replicas; a duty that must be done
once (the controller's reconcile loop) is done only by the replica whose
:meth:`Leadership.held` answers True. Each call claims the key when nobody
holds it (an etcd transaction that writes it only if it does not exist) and
otherwise reads who does. The key lives on a kept-alive lease: a holder that
dies frees it after ``ttl`` seconds, one that calls :meth:`Leadership.release`
frees it at once. A lease lost to an etcd outage is not re-written blindly
(unlike an announcement): whoever claims first afterwards holds the duty.

A duty must still be safe if two replicas briefly overlap (a holder paused
past its lease): leadership saves work, it does not replace the duty's own
locking.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from deis.errors import EtcdUnavailable
from deis.etcd import Etcd, Lease

log = logging.getLogger(__name__)

#: Seconds the key outlives a holder that died without releasing it.
DEFAULT_TTL = 10


def replica_name() -> str:
    """Return a name unique to this process: ``<host>/<pid>/<random>``."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Leadership:
    """Claims of the leased key ``key`` by the replica called ``owner``."""

    def __init__(self, etcd: Etcd, key: str, ttl: int = DEFAULT_TTL, owner: str | None = None):
        self.etcd = etcd
        self.key = key
        self.ttl = ttl
        self.owner = owner or replica_name()
        self._lease: Lease | None = None
        self._leading: bool | None = None

    def held(self) -> bool:
        """Claim the key if nobody holds it; return whether this replica holds it now.

        False while etcd does not answer: a replica that cannot tell stands by.
        """
        try:
            if self._lease is None:
                self._lease = self.etcd.lease(self.ttl).__enter__()
            if self.etcd.put_unless(self.key, self.owner, guard=self.key, lease=self._lease):
                return self._note(True, self.owner)
            holder = self.etcd.get(self.key)
            return self._note(holder == self.owner, holder)
        except EtcdUnavailable as exc:
            self.release()  # a lease etcd may have expired meanwhile; the next claim takes a new one
            return self._note(False, f"nobody known (etcd: {exc})")

    def release(self) -> None:
        """Give the key up now (revoking the lease deletes it), if this replica holds one."""
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.__exit__(None, None, None)

    def _note(self, leading: bool, holder: str | None) -> bool:
        if leading != self._leading:
            if leading:
                log.info("%s holds %s: this replica does the work", self.owner, self.key)
            else:
                log.info("standing by: %s is held by %s", self.key, holder)
        self._leading = leading
        return leading
