"""etcd access for every component: keys, leases, a resumable watch, a lock.

We talk to etcd's v3 JSON gateway over HTTP (``requests``). ``DEIS_ETCD``
names one member or several (:mod:`deis.etcdmembers` parses the list and
picks the member); every request goes through :meth:`Etcd._exchange`, which
moves on to the next member when one does not answer. Errors are translated
there, once, into :class:`deis.errors.EtcdUnavailable`.

**What is sent again, and why.** A request fails over when the member does
not answer: connection refused, connect or read timeout, connection lost, or
an HTTP 503/504/408 (no leader, leader changed, request timed out). It is
tried once per member, all within one ``timeout`` for the whole call. A
refused connection or a "no leader" answer means nothing was applied; a read
timeout, a lost connection or etcd's own timeout mean it may have been. We
send every request again in both cases, because each is safe to repeat:

* reads (range, lease time-to-live, status) change nothing;
* ``put`` and ``delete`` leave the same state when repeated. A repeated put
  costs one more revision carrying the same value, which level-triggered
  watchers ignore. A repeated delete finds nothing: :meth:`delete` and
  :meth:`delete_at` then answer as if they deleted it (the revision returned
  is one at which the key is certainly gone, which is what callers wait on);
* the compare-and-put transactions are decided by etcd against the state at
  the time of the repeat, which is what a fresh call would do. A first
  attempt that was applied makes the repeat answer "not written"; their
  callers then read the key (:meth:`put_unless`'s callers read who holds
  it), and the lock's transaction returns the current value so a holder
  recognises its own owner string and never waits on itself;
* a lease grant repeated after a lost answer leaves an orphaned lease with
  no keys, which expires after its TTL; keep-alives and revokes are
  idempotent, and a lease is cluster-wide, so they may go to any member.

A request that is not safe to repeat (a transaction whose effect a repeat
would double, such as a counter) must not be sent through ``_exchange``
as it is: make it conditional on a value it writes, as the lock does.

Requests carry gRPC's require-leader flag (``Grpc-Metadata-hasleader``), so a
member cut off from the others answers "no leader" at once instead of holding
requests and watches until the timeout; the client moves on to a member on
the majority's side.

We used to call etcd3gw and no longer do: it talks to one host, and it maps a
refused connection and a connection lost mid-request to one exception, a
connect timeout and a read timeout to another, so it cannot tell "not sent"
from "maybe applied". Its watcher drops the exception when the stream breaks
and ignores compaction, and its lock tries once, so we already had our own:

* **Watch.** :func:`Etcd.watch_prefix` resumes from the last revision it
  delivered after any disconnect (etcd restart, proxy reset, a member lost:
  revisions are cluster-wide, so another member resumes it) and reports
  compaction as :class:`Compacted`, so the caller relists instead of missing
  a gap.
* **Lock.** Ours lives under ``/deis/locks/`` and waits up to a deadline.

Every member's session carries :class:`deis.etcdauth.TokenAuth`, which
authenticates as ``root`` when etcd asks for it (the platform's etcd requires
it; a test's own etcd does not).
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

import requests
from urllib3.exceptions import NewConnectionError

from deis import etcdauth, keys
from deis.errors import EtcdUnavailable, TemporaryError
from deis.etcdmembers import Members, parse

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://127.0.0.1:2379"
#: Announcement leases: a key vanishes 20 s after its writer stops refreshing.
ANNOUNCE_TTL = 20
#: gRPC metadata, through the gateway: refuse at once when the member has no leader.
REQUIRE_LEADER = {"Grpc-Metadata-hasleader": "true"}
#: What the gateway answers when its member cannot serve: 503 (no leader, leader
#: changed), 504 and 408 (etcd's own request timeout).
UNAVAILABLE = (503, 504, 408)


def endpoint_from_env(environ=os.environ) -> str:
    """Return the etcd member URLs from ``DEIS_ETCD`` (comma-separated; unset or empty: loopback :2379)."""
    return environ.get("DEIS_ETCD") or DEFAULT_ENDPOINT


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


def _unsent(exc: requests.RequestException) -> bool:
    """True when ``exc`` means the request never reached etcd (refused, unreachable, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _failure(exc: requests.RequestException) -> str:
    """A few words on why a member did not answer, for the sentence naming the members tried."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if _unsent(exc):
        return "refused or unreachable"
    return "timed out answering" if isinstance(exc, requests.Timeout) else "connection lost"


def _detail(response: requests.Response) -> str:
    """etcd's message in an error answer (the gateway's JSON ``message``), else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    return str(body.get("message") or body.get("error") or response.text[:200] or response.reason)


class _Member:
    """The HTTP side of one member: its session and its token (etcd tokens are per member)."""

    def __init__(self, url: str, timeout: float, environ: Mapping[str, str]):
        self.url = url
        self.session = requests.Session()
        self.session.headers.update(REQUIRE_LEADER)
        self.auth = self.session.auth = etcdauth.TokenAuth(url, timeout, environ)

    def api(self, path: str) -> str:
        return f"{self.url}/v3/{path}"

    def post(self, path: str, payload: dict, timeout, anonymous: bool = False, **options) -> requests.Response:
        if anonymous:  # without a token (our session would authenticate by itself)
            return requests.post(self.api(path), json=payload, timeout=timeout, headers=REQUIRE_LEADER, **options)
        return self.session.post(self.api(path), json=payload, timeout=timeout, **options)


@dataclass(frozen=True)
class _Reply:
    response: requests.Response
    #: An earlier attempt may have been applied although its answer was lost.
    repeated: bool


class Etcd:
    """A connection to etcd: ``Etcd("http://127.0.0.1:2379")``, or members comma-separated."""

    def __init__(self, endpoint: str | None = None, timeout: float = 5.0, environ: Mapping[str, str] | None = None):
        """``environ`` (default ``os.environ``) says where the root password is: :mod:`deis.etcdauth`.

        ``timeout`` bounds each call as a whole, whichever members it tries:
        each member tried gets an equal share of the time left (one member:
        all of it, as with a single endpoint). A member whose leader just died
        holds a write until etcd's own request timeout (7 s); a share of ours
        moves on to a member that has elected a new leader meanwhile instead
        of failing the call.
        """
        self.endpoint = endpoint or endpoint_from_env()
        self.members = Members(parse(self.endpoint))
        self.timeout = timeout
        environ = os.environ if environ is None else environ
        self._http = {url: _Member(url, timeout, environ) for url in self.members.urls}

    # -- key/value ---------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the value at ``key``, or ``default`` when it is absent."""
        kvs = self._post("kv/range", {"key": _b64(key)}, f"reading {key}").get("kvs", [])
        return _unb64(kvs[0].get("value")) if kvs else default

    def put(self, key: str, value: str, lease: Lease | None = None) -> int:
        """Write ``value`` at ``key`` (attached to ``lease`` when given); return the write's revision."""
        payload = {"key": _b64(key), "value": _b64(value)}
        if lease is not None:
            payload["lease"] = lease.id
        return int(self._post("kv/put", payload, f"writing {key}")["header"]["revision"])

    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed (True also when a lost answer leaves it unknown)."""
        return self.delete_at(key) is not None

    def delete_at(self, key: str) -> int | None:
        """Delete ``key``; return the revision of the delete, or None if it did not exist.

        Wait for routers to reach this revision before stopping what the key
        routed to. When a first attempt's answer was lost and the repeat finds
        nothing, the repeat's revision is returned: the key is gone by then.
        """
        reply = self._exchange("kv/deleterange", {"key": _b64(key)}, f"deleting {key}")
        result = self._result(reply, f"deleting {key}")
        return int(result["header"]["revision"]) if int(result.get("deleted", 0)) or reply.repeated else None

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key under ``prefix``."""
        self._post("kv/deleterange", {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix))},
                   f"deleting {prefix}")

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
        """True when a member answers its status call."""
        try:
            self._post("maintenance/status", {}, "checking health")
        except EtcdUnavailable:
            return False
        return True

    def _post(self, path: str, payload: dict, action: str) -> dict:
        """POST to ``/v3/<path>`` on the first member that answers; return etcd's JSON answer."""
        return self._result(self._exchange(path, payload, action), action)

    @staticmethod
    def _result(reply: _Reply, action: str) -> dict:
        if reply.response.status_code != 200:
            raise EtcdUnavailable(f"etcd refused {action}: {_detail(reply.response)}")
        return reply.response.json()

    def _exchange(self, path: str, payload: dict, action: str, anonymous: bool = False) -> _Reply:
        """Send one request to the current member, then to each other member while none answers.

        The module docstring says which failures move on and why every
        request may be sent again. Raises ``EtcdUnavailable`` naming the
        members tried when none answered within ``timeout``.
        """
        deadline = time.monotonic() + self.timeout
        tried, repeated = [], False
        attempts = self.members.attempts()
        for index, url in enumerate(attempts):
            share = (deadline - time.monotonic()) / (len(attempts) - index)
            if share <= 0:
                break
            try:
                response = self._http[url].post(path, payload, share, anonymous)
            except requests.RequestException as exc:
                tried.append(f"{url} ({_failure(exc)})")
                repeated |= not _unsent(exc)
                self.members.failed(url)
                continue
            if response.status_code in UNAVAILABLE:
                tried.append(f"{url} ({_detail(response)})")
                repeated |= "no leader" not in _detail(response)
                self.members.failed(url)
                continue
            self.members.answered(url)
            return _Reply(response, repeated)
        raise EtcdUnavailable(self._unanswered(action, tried))

    def _unanswered(self, action: str, tried: list[str]) -> str:
        """The sentence of an ``EtcdUnavailable``: what failed, and each member tried with what it did."""
        untried = len(self.members.urls) - len(tried)
        spent = f", and had no time left for {untried} more within {self.timeout:g} s" if untried else ""
        return f"etcd did not answer while {action}: tried {', '.join(tried)}{spent}"

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
            etcdauth.authenticate(self.members.current, password, self.timeout)
            return False
        user = {"name": etcdauth.ROOT_USER, "password": password}
        if self._anonymous("auth/user/add", user, "adding etcd's root user").status_code != 200:
            self._anonymous_ok("auth/user/changepw", user, "setting etcd's root password")
        self._anonymous_ok("auth/user/grant", {"user": etcdauth.ROOT_USER, "role": "root"}, "granting etcd's root role")
        self._anonymous_ok("auth/enable", {}, "enabling etcd authentication")
        return True

    def _anonymous(self, path: str, payload: dict, action: str) -> requests.Response:
        """POST without a token (our session would authenticate by itself)."""
        return self._exchange(path, payload, action, anonymous=True).response

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
                    exc.auth.renew(exc.token)
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
        member, response = self._open_watch(request)
        closer = threading.Thread(target=_close_when_set, args=(stop, response), daemon=True)
        closer.start()
        with contextlib.closing(response):
            try:
                if response.status_code != 200:
                    raise EtcdUnavailable(f"watch refused: {response.status_code} {response.text[:200]}")
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    if line.strip():
                        yield from _events_of(json.loads(line), response.request.headers.get("Authorization"))
            except Compacted:
                raise
            except WatchRefused as exc:
                exc.auth = member.auth
                raise
            except Exception:
                if stop.is_set():  # closed under the reader by _close_when_set
                    return
                self.members.failed(member.url)  # its stream broke: resume on the next member
                raise
        if not stop.is_set():
            self.members.failed(member.url)
            raise EtcdUnavailable("watch stream ended")

    def _open_watch(self, request: dict) -> tuple[_Member, requests.Response]:
        """Open a watch stream on the first member that accepts it (no read timeout: it is a stream)."""
        tried = []
        for url in self.members.attempts():
            try:
                connect = self.timeout / len(self.members.urls)
                response = self._http[url].post("watch", request, (connect, None), stream=True)
            except requests.RequestException as exc:
                tried.append(f"{url} ({_failure(exc)})")
                self.members.failed(url)
                continue
            if response.status_code in UNAVAILABLE:
                tried.append(f"{url} ({_detail(response)})")
                response.close()
                self.members.failed(url)
                continue
            self.members.answered(url)
            return self._http[url], response
        raise EtcdUnavailable(self._unanswered("opening a watch", tried))

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
            while self._create(key, owner, lease) != owner:
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

    def create_all(self, pairs: Mapping[str, str], lease: Lease) -> bool:
        """Write every pair attached to ``lease`` if the first key does not exist, atomically; return whether written.

        Safe to repeat: a repeat after a lost answer finds the keys and writes nothing.
        """
        first = next(iter(pairs))
        puts = [{"request_put": {"key": _b64(key), "value": _b64(value), "lease": lease.id}}
                for key, value in pairs.items()]
        txn = {"compare": [{"key": _b64(first), "result": "EQUAL", "target": "CREATE", "create_revision": 0}],
               "success": puts, "failure": []}
        return bool(self._post("kv/txn", txn, f"creating {first}").get("succeeded"))

    def _create(self, key: str, value: str, lease: Lease) -> str | None:
        """Write ``key`` only if it does not exist; return its value afterwards (ours if we wrote it).

        Returning the value, not "written or not", makes the transaction safe
        to repeat: when a first attempt wrote ``value`` and its answer was
        lost, the repeat finds the key and returns our own ``value``.
        """
        txn = {
            "compare": [{"key": _b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": 0}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value), "lease": lease.id}}],
            "failure": [{"request_range": {"key": _b64(key)}}],
        }
        result = self._post("kv/txn", txn, f"creating {key}")
        if result.get("succeeded"):
            return value
        kvs = (result.get("responses") or [{}])[0].get("response_range", {}).get("kvs", [])
        return _unb64(kvs[0].get("value")) if kvs else None


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
        #: The refusing member's :class:`~deis.etcdauth.TokenAuth`, to renew its token with.
        self.auth: etcdauth.TokenAuth | None = None


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
        self._id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()
        self._shared: dict[str, str] = {}

    @property
    def id(self) -> int:
        """The etcd lease id currently held."""
        return self._id

    def __enter__(self) -> Lease:
        self._grant()
        self._thread = threading.Thread(target=self._keep_alive, name="etcd-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        with contextlib.suppress(EtcdUnavailable):
            self._revoke()

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

    def share(self, pairs: Mapping[str, str]) -> None:
        """Write ``pairs`` attached to this lease unless their first key exists; try again every refresh.

        For keys several holders want and one may hold (v1's single
        ``/deis/<c>/host`` and ``/port``): whoever comes first writes them all
        at once, and when its lease goes and takes them along, the next
        holder's refresh writes its own.
        """
        with self._mutex:
            self._shared = dict(pairs)
        self._claim()

    def _claim(self) -> None:
        if self._shared:
            self.etcd.create_all(self._shared, lease=self)

    def forget(self, key: str) -> None:
        """Delete ``key`` now and stop re-writing it."""
        with self._mutex:
            self._keys.pop(key, None)
        self.etcd.delete(key)

    def _grant(self) -> None:
        self._id = int(self.etcd._post("lease/grant", {"TTL": self.ttl, "ID": 0}, "granting a lease")["ID"])

    def _revoke(self) -> None:
        """Revoke the lease now, which deletes its keys."""
        self.etcd._post("kv/lease/revoke", {"ID": self._id}, "revoking a lease")

    def _keep_alive(self) -> None:
        interval = max(self.ttl / 2, 0.5)
        while not self._stop.wait(interval):
            try:
                self._refresh()
                self._claim()
                interval = max(self.ttl / 2, 0.5)
            except EtcdUnavailable as exc:
                log.warning("could not refresh lease: %s", exc)
                interval = 1.0

    def _refresh(self) -> None:
        answer = self.etcd._post("lease/keepalive", {"ID": self._id}, "refreshing a lease")
        remaining = int(answer.get("result", {}).get("TTL", -1))
        if remaining <= 0:
            log.info("lease %x expired; granting a new one and re-writing %d keys", self.id, len(self._keys))
            with self._mutex:
                self._grant()
                for key, value in self._keys.items():
                    self.etcd.put(key, value, lease=self)


def announce(etcd: Etcd, component: str, host: str, port: int, ttl: int = ANNOUNCE_TTL,
             shared_host: str | None = None) -> Lease:
    """Announce one instance of ``component`` at ``host:port`` under a kept-alive lease of its own.

    Its own key, ``/deis/<component>/hosts/<host:port>``, is what readers of
    every replica use (the router's upstreams, :func:`discover_all`; :func:`deis.keys.addresses`). v1's
    ``/deis/<component>/host`` and ``/port`` name one instance for readers of
    one address: the first instance creates them, and when it goes (its lease
    revoked or expired takes them along) another instance creates them again
    within half a TTL (:meth:`Lease.share`).

    ``shared_host`` replaces ``host`` in ``/deis/<component>/host`` only: the
    registries of a cluster share ``127.0.0.1``, the name every node's engine
    reaches its own by (:mod:`registry.server`).

    Returns the entered :class:`Lease`; leaving it (``lease.__exit__`` or a
    ``with`` block) withdraws the announcement at once, and a crash withdraws
    it after ``ttl`` seconds.
    """
    lease = Lease(etcd, ttl).__enter__()
    address = f"{host}:{port}"
    lease.put(keys.instance(component, address), address)
    lease.share({keys.host(component): shared_host or host, keys.port(component): str(port)})
    return lease


def discover_all(etcd: Etcd, component: str) -> list[tuple[str, int]]:
    """Return every ``(host, port)`` an instance of ``component`` announced, v1's single pair included."""
    found, _ = etcd.get_prefix(keys.component(component))
    return keys.addresses(found, component)


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
