"""The router's loop: mirror ``/deis/`` from etcd, render nginx, reload when it changed.

The router keeps a local mirror of ``/deis/`` (list, then watch from the
list's revision + 1; relist on compaction and every ``resync`` seconds) and
converges nginx to it: :meth:`Router.reconcile` renders the whole configuration
from the mirror, and only when the text (or a certificate) changed does it
validate the candidate with ``nginx -t`` and reload. Syncs are coalesced to at
most one per ``reload_interval`` however fast routes churn. A candidate nginx
rejects is never loaded: the last good config keeps serving and the reason is
published at ``/deis/router/errors/<host>``.

After each sync the router records the etcd revision it has applied at
``/deis/router/hosts/<host>`` (leased), so the scheduler can wait until every
router has dropped a container before stopping it. If etcd goes away, nginx
keeps serving the last configuration; if nginx dies, it is started again.

A route deleted because its lease expired (not by its publisher or the
scheduler) is held while its backend answers, for a short grace, so an etcd
outage longer than the lease TTL does not empty nginx when etcd returns:
:mod:`router.held` says how the two are told apart and why.

The router process and its nginx are separate lives: nginx runs daemonized, and
stopping this loop (SIGTERM, a crash, ``deisctl restart router``) leaves it
serving; the next router adopts it. Only an operator's ``deisctl stop router``
stops nginx as well.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from deis import keys
from deis.errors import TemporaryError
from deis.etcd import Compacted, Etcd, Event, Lease
from router import certs, model
from router.held import HeldRoutes, is_route
from router.nginx import Nginx, NginxError
from router.render import Ports, certificate_files, render

log = logging.getLogger(__name__)

#: Our own status keys: changes to them never need a sync.
_OWN_PREFIXES = (keys.component("router", "hosts/"), keys.component("router", "errors/"))
#: Keys under /deis/ that no route depends on.
_IGNORED_PREFIXES = _OWN_PREFIXES + (keys.draining_markers(), keys.lock(""))

TICK = 0.2
#: Seconds between attempts while etcd does not answer: a refused connection costs
#: nothing, and each second waited is a second of stale routes after etcd returns (T6).
ETCD_RETRY = 0.3


@dataclass
class _Relist:
    """Sentinel queued by a watch that hit compaction."""


def relevant(key: str) -> bool:
    """True when a change of ``key`` can change the nginx configuration."""
    return not key.startswith(_IGNORED_PREFIXES)


class Router:
    """One router: an nginx on this host, configured from etcd."""

    def __init__(self, etcd: Etcd, nginx: Nginx, ports: Ports, host: str,
                 reload_interval: float = 1.0, resync: float = 30.0):
        self.etcd = etcd
        self.nginx = nginx
        self.ports = ports
        self.host = host
        self.reload_interval = reload_interval
        self.resync = resync
        self.mirror: dict[str, str] = {}
        #: The lease each route key in the mirror was written with (to classify its delete).
        self.leases: dict[str, int] = {}
        self.held = HeldRoutes()
        self.revision = 0
        self.reloads = 0
        self._applied_text: str | None = None
        self._recorded: tuple[int, str] | None = None
        #: The skipped values already logged: each gets one journal line, not one per sync (T7).
        self._logged_errors: set[str] = set()
        self._events: queue.Queue = queue.Queue()
        self._dead_leases: dict[int, bool] = {}
        self._watch_stop = threading.Event()

    # -- the loop -------------------------------------------------------------

    def run(self, stop: threading.Event, ttl: int = 20) -> None:
        """Serve until ``stop`` is set."""
        lease, etcd_down = None, False
        dirty, last_sync, last_list = False, 0.0, 0.0
        while not stop.is_set():
            try:
                if lease is None:
                    lease = self.etcd.lease(ttl).__enter__()
                if time.monotonic() - last_list > self.resync:
                    self._list_and_watch()
                    dirty, last_list = True, time.monotonic()
                dirty |= self._drain_events() or bool(self.held)
                if dirty and time.monotonic() - last_sync >= self.reload_interval:
                    self.reconcile(lease)
                    dirty, last_sync = False, time.monotonic()
                etcd_down = False
            except _RelistNeeded:
                last_list = 0.0
                continue
            except TemporaryError as exc:
                if not etcd_down:
                    log.warning("etcd unavailable (%s); nginx keeps serving the last configuration", exc)
                if lease is not None:
                    lease.abandon()  # else its thread re-grants later and re-writes a stale revision
                lease, last_list, etcd_down = None, 0.0, True
                stop.wait(ETCD_RETRY)
            except Exception:  # noqa: BLE001 - the loop must outlive any bug; nginx keeps serving
                log.exception("router sync failed; retrying")
                dirty = True
                stop.wait(1.0)
            self._keep_nginx_alive()
            stop.wait(TICK)
        self._watch_stop.set()
        if lease is not None:
            lease.__exit__(None, None, None)

    def reconcile(self, lease: Lease | None = None) -> bool:
        """Converge nginx to the mirror; return True when nginx was reloaded."""
        for key in self.held.prune(self.mirror):
            if key not in self.mirror:
                log.info("dropped held route %s", key)
        table = model.build(self.held.overlay(self.mirror), certs.problem)
        text = render(table, self.ports, self.nginx.paths)
        files = certificate_files(table)
        errors = list(table.errors)
        reloaded = False
        if text != self._applied_text or not self.nginx.pid():
            problem = self.nginx.check(text, files)
            if problem is None:
                self.nginx.apply(text)
                self._applied_text, reloaded = text, True
                self.reloads += 1
                log.info("nginx reloaded at revision %d (%d apps)", self.revision, len(table.apps))
            else:
                errors.append(f"nginx rejected the new configuration; still serving the previous one: {problem}")
                log.error("%s", errors[-1])
        for error in table.errors:
            if error not in self._logged_errors:
                log.warning("skipped: %s", error)
        self._logged_errors = set(table.errors)
        if lease is not None:
            self._record(lease, errors)
        return reloaded

    # -- etcd -----------------------------------------------------------------

    def _list_and_watch(self) -> None:
        self._watch_stop.set()
        self._watch_stop = threading.Event()
        snapshot, revision = self.etcd.get_prefix(keys.ROOT)
        # The leases as of the snapshot's own revision: read later, a lease revoked in between would
        # leave its routes in the snapshot without a lease, and their deletes could not be classified
        # (one run in six of the etcd-pause test lost a route that way).
        leases = self.etcd.leases(keys.services(), revision)
        gone = {key: (self.mirror[key], lease) for key, lease in self.leases.items()
                if key not in snapshot and key in self.mirror}
        for key in snapshot:
            self.held.release(key)
        self.mirror, self.revision, self.leases = snapshot, revision, leases
        self._dead_leases = {}
        for key, (value, lease) in gone.items():
            self._classify_delete(key, value, lease)
        self._events = queue.Queue()
        threading.Thread(target=self._watch, args=(revision + 1, self._watch_stop, self._events),
                         name="etcd-watch", daemon=True).start()

    def _watch(self, start: int, stop: threading.Event, events: queue.Queue) -> None:
        try:
            for event in self.etcd.watch_prefix(keys.ROOT, start, stop, max_backoff=ETCD_RETRY):
                events.put(event)
        except Compacted as exc:
            log.warning("%s under the watch; relisting %s from the current revision", exc, keys.ROOT)
            events.put(_Relist())

    def _drain_events(self) -> bool:
        changed = False
        self._dead_leases = {}
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return changed
            if isinstance(item, _Relist):
                raise _RelistNeeded()
            changed |= self._apply_event(item)

    def _apply_event(self, event: Event) -> bool:
        # Every key is mirrored (held routes look at draining markers); only relevant ones need a sync.
        if event.type == "put":
            self.mirror[event.key] = event.value
            self.held.release(event.key)
            if is_route(event.key):
                self.leases[event.key] = event.lease
        else:
            value = self.mirror.pop(event.key, None)
            lease = self.leases.pop(event.key, 0)
            if value is not None and is_route(event.key):
                self._classify_delete(event.key, value, lease)
        if not relevant(event.key):
            return False
        self.revision = max(self.revision, event.revision)
        return True

    def _classify_delete(self, key: str, value: str, lease: int) -> None:
        """Hold a route deleted with its lease (not on purpose); see :mod:`router.held`."""
        if not lease or not self._lease_gone(lease):
            return
        self.held.hold(key, value)
        log.warning("%s went with its expired lease; holding it while %s answers (grace %g s)",
                    key, value, self.held.grace)

    def _lease_gone(self, lease: int) -> bool:
        if lease not in self._dead_leases:
            try:
                self._dead_leases[lease] = not self.etcd.lease_alive(lease)
            except TemporaryError:
                self._dead_leases[lease] = True  # etcd flaky again: holding is bounded, dropping is an outage
        return self._dead_leases[lease]

    def _record(self, lease: Lease, errors: list[str]) -> None:
        """Publish the applied revision and the skipped keys, when they changed."""
        state = (self.revision, "\n".join(errors))
        if state == self._recorded:
            return
        lease.put(keys.router_host(self.host), str(self.revision))
        lease.put(keys.router_errors(self.host), state[1])
        self._recorded = state

    # -- nginx ----------------------------------------------------------------

    def _keep_nginx_alive(self) -> None:
        if self._applied_text is None or self.nginx.pid() is not None:
            return
        log.error("nginx is not running; starting it with the last good configuration")
        try:
            self.nginx.start()
        except NginxError as exc:
            log.error("%s", exc)


class _RelistNeeded(Exception):
    """The watch fell behind etcd's compaction: list again."""
