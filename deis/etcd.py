"""etcd access for every component: keys, leases, a resumable watch, a lock.

We talk to etcd's v3 JSON gateway through ``etcd3gw`` (maintained; ``etcd3``
0.12 breaks with protobuf >= 4). Its errors are translated here, once, into
:class:`deis.errors.EtcdUnavailable`.

Two things are written here although etcd3gw has a version of them:

* **Watch.** etcd3gw's watcher runs the stream in a thread pool and drops the
  exception when the stream breaks, and it ignores compaction replies, so a
  consumer would sit on a dead watch or skip events without knowing.
  :func:`Etcd.watch_prefix` resumes from the last revision it delivered after
  any disconnect (etcd restart, proxy reset) and reports compaction as
  :class:`Compacted`, so the caller relists instead of missing a gap.
* **Lock.** etcd3gw's lock lives under its own ``/locks/`` prefix and tries
  once; ours lives under ``/deis/locks/`` and waits up to a deadline.

etcd3gw has no user/password login either: every client's session carries
:class:`deis.etcdauth.TokenAuth`, which authenticates as ``root`` when etcd
asks for it (the platform's etcd requires it; a test's own etcd does not).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import etcd3gw
import requests
from etcd3gw import exceptions as etcd_exceptions

from deis import etcdauth, keys
from deis.errors import EtcdUnavailable, TemporaryError

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://127.0.0.1:2379"
#: Announcement leases: a key vanishes 20 s after its writer stops refreshing.
ANNOUNCE_TTL = 20


def endpoint_from_env(environ=os.environ) -> str:
    """Return the etcd endpoint from ``DEIS_ETCD`` (default loopback :2379)."""
    return environ.get("DEIS_ETCD", DEFAULT_ENDPOINT)


@dataclass(frozen=True)
class Event:
    """One change under a watched prefix."""

    type: str  # "put" or "delete"
    key: str
    value: str | None
    revision: int
    #: The lease a put attached the key to (0: none; a delete carries none).
    lease: int = 0


class Compacted(TemporaryError):
    """The revision a watch wanted was compacted away; relist and watch again."""

    def __init__(self, compact_revision: int):
        super().__init__(f"etcd compacted history up to revision {compact_revision}")
        self.compact_revision = compact_revision


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(data: str | None) -> str:
    return base64.b64decode(data or "").decode("utf-8", errors="replace")


def _prefix_end(prefix: str) -> str:
    """Return the range end that makes ``[prefix, end)`` cover the prefix."""
    raw = prefix.encode()
    return (raw[:-1] + bytes([raw[-1] + 1])).decode()


@contextlib.contextmanager
def _translated(action: str):
    """Re-raise etcd3gw and requests errors as ``EtcdUnavailable``."""
    try:
        yield
    except (etcd_exceptions.Etcd3Exception, requests.RequestException) as exc:
        # etcd3gw's timeout error has no text: name it rather than end the sentence on ": ".
        raise EtcdUnavailable(f"etcd did not answer while {action}: {str(exc) or type(exc).__name__}") from exc


class Etcd:
    """A connection to etcd, e.g. ``Etcd("http://127.0.0.1:2379")``."""

    def __init__(self, endpoint: str | None = None, timeout: float = 5.0, environ: Mapping[str, str] | None = None):
        """``environ`` (default ``os.environ``) says where the root password is: :mod:`deis.etcdauth`."""
        self.endpoint = endpoint or endpoint_from_env()
        url = urlsplit(self.endpoint)
        self.timeout = timeout
        session = requests.Session()
        self._auth = session.auth = etcdauth.TokenAuth(
            f"{url.scheme or 'http'}://{url.netloc or '127.0.0.1:2379'}", timeout,
            os.environ if environ is None else environ)
        self._client = etcd3gw.Etcd3Client(
            host=url.hostname or "127.0.0.1",
            port=url.port or 2379,
            protocol=url.scheme or "http",
            timeout=timeout,
            api_path="/v3/",
            session=session,
        )

    # -- key/value ---------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the value at ``key``, or ``default`` when it is absent."""
        with _translated(f"reading {key}"):
            values = self._client.get(key)
        return values[0].decode() if values else default

    def put(self, key: str, value: str, lease: Lease | None = None) -> int:
        """Write ``value`` at ``key`` (attached to ``lease`` when given); return the write's revision."""
        payload = {"key": _b64(key), "value": _b64(value)}
        if lease is not None:
            payload["lease"] = lease.id
        return int(self._post("kv/put", payload, f"writing {key}")["header"]["revision"])

    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed."""
        with _translated(f"deleting {key}"):
            return self._client.delete(key)

    def delete_at(self, key: str) -> int | None:
        """Delete ``key``; return the revision of the delete, or None if it did not exist.

        Wait for routers to reach this revision before stopping what the key routed to.
        """
        result = self._post("kv/deleterange", {"key": _b64(key)}, f"deleting {key}")
        return int(result["header"]["revision"]) if int(result.get("deleted", 0)) else None

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key under ``prefix``."""
        with _translated(f"deleting {prefix}"):
            self._client.delete_prefix(prefix)

    def get_prefix(self, prefix: str) -> tuple[dict[str, str], int]:
        """Return ``({key: value}, revision)`` for every key under ``prefix``.

        The revision is the store's revision at the time of the read: watch
        from ``revision + 1`` to see every later change and nothing twice.
        """
        payload = {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix))}
        result = self._post("kv/range", payload, f"listing {prefix}")
        items = {
            _unb64(kv["key"]): _unb64(kv.get("value")) for kv in result.get("kvs", [])
        }
        return items, int(result["header"]["revision"])

    def leases(self, prefix: str, revision: int | None = None) -> dict[str, int]:
        """Return ``{key: id of the lease it is attached to}`` for every leased key under ``prefix``.

        With ``revision``, as the keys were at that revision (the one a
        :meth:`get_prefix` returned), so both reads describe the same moment.
        """
        payload = {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix)), "keys_only": True}
        if revision is not None:
            payload["revision"] = revision
        result = self._post("kv/range", payload, f"listing {prefix}")
        return {_unb64(kv["key"]): int(kv["lease"]) for kv in result.get("kvs", []) if int(kv.get("lease", 0))}

    def lease_alive(self, lease_id: int) -> bool:
        """True while the lease ``lease_id`` exists (granted, not expired nor revoked)."""
        result = self._post("kv/lease/timetolive", {"ID": lease_id}, "reading a lease")
        return int(result.get("TTL", -1)) > 0

    def mod_revisions(self, prefix: str) -> dict[str, int]:
        """Return ``{key: revision of its last write}`` for every key under ``prefix``."""
        payload = {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix)), "keys_only": True}
        result = self._post("kv/range", payload, f"listing {prefix}")
        return {_unb64(kv["key"]): int(kv["mod_revision"]) for kv in result.get("kvs", [])}

    def revision(self) -> int:
        """Return etcd's current revision."""
        result = self._post("kv/range", {"key": _b64("\0"), "limit": 1}, "reading revision")
        return int(result["header"]["revision"])

    def healthy(self) -> bool:
        """True when etcd answers its status call."""
        try:
            with _translated("checking health"):
                self._client.status()
        except EtcdUnavailable:
            return False
        return True

    def _post(self, path: str, payload: dict, action: str) -> dict:
        with _translated(action):
            return self._client.post(self._client.get_url(path), json=payload)

    # -- authentication ------------------------------------------------------

    def auth_enabled(self) -> bool:
        """True when etcd refuses a client without a token."""
        answer = self._anonymous("kv/range", {"key": _b64("\0"), "limit": 1}, "checking authentication")
        return etcdauth.refused(answer)

    def enable_auth(self, password: str) -> bool:
        """Require authentication, as ``root`` with ``password``; return True when this call turned it on.

        Idempotent: on an etcd that already requires it, only checks that
        ``password`` is accepted (raises ``EtcdUnavailable`` saying so if not).
        A ``root`` user left from an earlier setup gets ``password``.
        """
        if self.auth_enabled():
            etcdauth.authenticate(self._auth.base_url, password, self.timeout)
            return False
        user = {"name": etcdauth.ROOT_USER, "password": password}
        if self._anonymous("auth/user/add", user, "adding etcd's root user").status_code != 200:
            self._anonymous_ok("auth/user/changepw", user, "setting etcd's root password")
        self._anonymous_ok("auth/user/grant", {"user": etcdauth.ROOT_USER, "role": "root"}, "granting etcd's root role")
        self._anonymous_ok("auth/enable", {}, "enabling etcd authentication")
        return True

    def _anonymous(self, path: str, payload: dict, action: str) -> requests.Response:
        """POST without a token (our session would authenticate by itself)."""
        with _translated(action):
            return requests.post(self._client.get_url(path), json=payload, timeout=self.timeout)

    def _anonymous_ok(self, path: str, payload: dict, action: str) -> None:
        answer = self._anonymous(path, payload, action)
        if answer.status_code != 200:
            raise EtcdUnavailable(f"etcd refused {action}: {answer.text[:200]}")

    # -- leases --------------------------------------------------------------

    def lease(self, ttl: int = ANNOUNCE_TTL) -> Lease:
        """Return a :class:`Lease` (not yet granted; use it as a context manager)."""
        return Lease(self, ttl)

    # -- watch ---------------------------------------------------------------

    def watch_prefix(
        self,
        prefix: str,
        start_revision: int,
        stop: threading.Event | None = None,
        max_backoff: float = 2.0,
    ) -> Iterator[Event]:
        """Yield every change under ``prefix`` from ``start_revision`` on, forever.

        When the stream breaks (etcd restarts, the connection resets) the watch
        is re-created from the revision after the last one delivered, so no
        change is lost and none is delivered twice. Raises :class:`Compacted`
        when that revision is no longer in etcd's history. Ends when ``stop``
        is set (checked between events and reconnects).
        """
        stop = stop or threading.Event()
        next_revision = start_revision
        backoff, renewed = 0.1, False
        while not stop.is_set():
            try:
                for event in self._watch_stream(prefix, next_revision, stop):
                    next_revision = event.revision + 1
                    backoff, renewed = 0.1, False
                    yield event
            except WatchRefused as exc:
                log.info("watch on %s refused (%s); authenticating again", prefix, exc)
                with contextlib.suppress(EtcdUnavailable):
                    self._auth.renew(exc.token)
                    if not renewed:
                        # A restarted etcd forgot every token: watch again at once with the new one, not
                        # after the backoff (up to 2.9 s of stale routes after an etcd restart; T6).
                        # A new token refused again waits like any failure.
                        renewed = True
                        continue
            except (requests.RequestException, EtcdUnavailable, ValueError) as exc:
                log.info("watch on %s broke (%s); resuming at revision %d", prefix, exc, next_revision)
            if stop.wait(backoff):
                return
            backoff = min(backoff * 2, max_backoff)

    def _watch_stream(self, prefix: str, start_revision: int, stop: threading.Event) -> Iterator[Event]:
        request = {
            "create_request": {
                "key": _b64(prefix),
                "range_end": _b64(_prefix_end(prefix)),
                "start_revision": start_revision,
            }
        }
        response = self._client.session.post(
            self._client.get_url("watch"), json=request, stream=True, timeout=(self.timeout, None)
        )
        closer = threading.Thread(target=_close_when_set, args=(stop, response), daemon=True)
        closer.start()
        with contextlib.closing(response):
            if response.status_code != 200:
                raise EtcdUnavailable(f"watch refused: {response.status_code} {response.text[:200]}")
            try:
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    if line.strip():
                        yield from _events_of(json.loads(line), response.request.headers.get("Authorization"))
            except Exception:
                if stop.is_set():  # closed under the reader by _close_when_set
                    return
                raise
        if not stop.is_set():
            raise EtcdUnavailable("watch stream ended")

    # -- lock ----------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, name: str, ttl: int = 30, timeout: float = 10.0):
        """Hold the platform-wide lock ``name`` for the ``with`` block.

        Waits up to ``timeout`` seconds, then raises ``TemporaryError``. The
        lock key is leased, so a holder that dies frees it after ``ttl``.
        """
        key = keys.lock(name)
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        with self.lease(ttl) as lease:
            while not self._create(key, owner, lease):
                if time.monotonic() > deadline:
                    raise TemporaryError(f"lock {name!r} is held by another process; try again")
                time.sleep(0.1)
            try:
                yield
            finally:
                with contextlib.suppress(EtcdUnavailable):
                    self.delete(key)

    def put_unless(self, key: str, value: str, guard: str, lease: Lease | None = None) -> bool:
        """Write ``key`` only while ``guard`` does not exist, atomically; return whether written.

        The publisher uses this so a container the scheduler has marked as
        draining can never be re-announced by a sync that raced the marker.
        """
        put = {"key": _b64(key), "value": _b64(value)}
        if lease is not None:
            put["lease"] = lease.id
        txn = {
            "compare": [{"key": _b64(guard), "result": "EQUAL", "target": "CREATE", "create_revision": 0}],
            "success": [{"request_put": put}],
            "failure": [],
        }
        return bool(self._post("kv/txn", txn, f"writing {key}").get("succeeded"))

    def _create(self, key: str, value: str, lease: Lease) -> bool:
        """Write ``key`` only if it does not exist; return whether we did."""
        txn = {
            "compare": [{"key": _b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": 0}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value), "lease": lease.id}}],
            "failure": [],
        }
        return bool(self._post("kv/txn", txn, f"creating {key}").get("succeeded"))


def _close_when_set(stop: threading.Event, response: requests.Response) -> None:
    """Close a streaming response once ``stop`` is set, to unblock its reader."""
    while not stop.wait(0.5):
        if response.raw is None or response.raw.closed:
            return
    # close() alone does not wake a thread blocked in recv(); shutdown() does.
    with contextlib.suppress(Exception):
        sock = socket.fromfd(response.raw.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
    with contextlib.suppress(Exception):
        response.close()


class WatchRefused(EtcdUnavailable):
    """etcd cancelled a watch for want of a valid token (``token`` is the one it was sent)."""

    def __init__(self, reason: str, token: str | None):
        super().__init__(f"watch refused: {reason}")
        self.token = token


def _events_of(message: dict, token: str | None = None) -> Iterator[Event]:
    result = message.get("result")
    if result is None:
        raise EtcdUnavailable(f"watch error: {message.get('error', message)}")
    if int(result.get("compact_revision", 0) or 0) > 0:
        raise Compacted(int(result["compact_revision"]))
    if result.get("canceled"):
        reason = result.get("cancel_reason", "")
        if any(refusal in reason for refusal in etcdauth.REFUSALS):
            raise WatchRefused(reason, token)
        raise EtcdUnavailable(f"watch canceled: {reason}")
    for raw in result.get("events", []):
        kv = raw["kv"]
        kind = "delete" if raw.get("type") == "DELETE" else "put"
        value = None if kind == "delete" else _unb64(kv.get("value"))
        yield Event(kind, _unb64(kv["key"]), value, int(kv["mod_revision"]), int(kv.get("lease", 0)))


class Lease:
    """A lease kept alive by a background thread, with the keys attached to it.

    If the lease is lost (etcd restarted and the TTL ran out, or the host
    stalled), a new one is granted and every key is written again, so an
    announcement outlives etcd restarts. Use as a context manager; leaving the
    block revokes the lease, which deletes its keys at once.
    """

    def __init__(self, etcd: Etcd, ttl: int = ANNOUNCE_TTL):
        self.etcd = etcd
        self.ttl = ttl
        self._keys: dict[str, str] = {}
        self._lease = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @property
    def id(self) -> int:
        """The etcd lease id currently held."""
        return self._lease.id

    def __enter__(self) -> Lease:
        self._grant()
        self._thread = threading.Thread(target=self._keep_alive, name="etcd-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        with contextlib.suppress(EtcdUnavailable, etcd_exceptions.Etcd3Exception, requests.RequestException):
            self._lease.revoke()

    def abandon(self) -> None:
        """Stop refreshing without revoking: the keys stay until the TTL runs out.

        For a process that stops while what its keys describe goes on (nginx
        serving, containers running): its successor re-attaches them to its
        own lease before they expire, so nobody sees them vanish.
        """
        self._stop.set()

    def put(self, key: str, value: str) -> None:
        """Write ``key`` attached to this lease, and rewrite it if the lease is renewed."""
        with self._mutex:
            self._keys[key] = value
            self.etcd.put(key, value, lease=self)

    def forget(self, key: str) -> None:
        """Delete ``key`` now and stop re-writing it."""
        with self._mutex:
            self._keys.pop(key, None)
        self.etcd.delete(key)

    def _grant(self) -> None:
        with _translated("granting a lease"):
            self._lease = self.etcd._client.lease(self.ttl)

    def _keep_alive(self) -> None:
        interval = max(self.ttl / 2, 0.5)
        while not self._stop.wait(interval):
            try:
                self._refresh()
                interval = max(self.ttl / 2, 0.5)
            except EtcdUnavailable as exc:
                log.warning("could not refresh lease: %s", exc)
                interval = 1.0

    def _refresh(self) -> None:
        with _translated("refreshing a lease"):
            remaining = self._lease.refresh()
        if remaining <= 0:
            log.info("lease %x expired; granting a new one and re-writing %d keys", self.id, len(self._keys))
            with self._mutex:
                self._grant()
                for key, value in self._keys.items():
                    self.etcd.put(key, value, lease=self)


def announce(etcd: Etcd, component: str, host: str, port: int, ttl: int = ANNOUNCE_TTL) -> Lease:
    """Publish ``/deis/<component>/host`` and ``/port`` under a kept-alive lease.

    Returns the entered :class:`Lease`; leaving it (``lease.__exit__`` or a
    ``with`` block) withdraws the announcement at once, and a crash withdraws
    it after ``ttl`` seconds.
    """
    lease = Lease(etcd, ttl).__enter__()
    lease.put(keys.host(component), host)
    lease.put(keys.port(component), str(port))
    return lease


def discover(etcd, component: str, port_key: str | None = None) -> tuple[str, int] | None:
    """Return ``(host, port)`` where ``component`` announced itself, or ``None``.

    The reverse of :func:`announce`: ``etcd`` is anything with ``get(key)``
    (an :class:`Etcd`, settings' key reader, a snapshot). ``None`` when either
    key is missing or empty, or the port is not a number. ``port_key`` reads
    the port from another key (the logger's HTTP port).
    """
    host, port = etcd.get(keys.host(component)), etcd.get(port_key or keys.port(component))
    if not host or not port or not port.isdigit():
        return None
    return host, int(port)
