"""Sending spooled lines to the logger over TCP, and forgetting them only once stored.

Frames go out octet-counted (RFC 6587). The logger answers with receipts,
``<frames stored on this connection>\\n``; a frame leaves memory (and its
container's checkpoint advances) only when a receipt covers it. When the
connection breaks every frame not yet covered is sent again, first and in
order, on the next one; the logger recognises a line it already stored by
its container and sequence, so a resend never shows twice.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from logspout.spool import Item, Spool

log = logging.getLogger(__name__)

#: Frames sent but not yet confirmed, at most.
MAX_INFLIGHT = 20_000
BATCH = 500
#: A connection whose receipts stall this long with frames pending is replaced.
RECEIPT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 3.0

Address = tuple[str, int]


class Shipper(threading.Thread):
    """Moves items from a :class:`Spool` to the logger at ``address()``."""

    def __init__(self, spool: Spool, address: Callable[[], Address | None],
                 confirmed: Callable[[list[Item]], None], stop: threading.Event):
        super().__init__(name="shipper", daemon=True)
        self.spool = spool
        self.address = address
        self.confirmed = confirmed
        self.stop = stop
        self.stats = collections.Counter()
        self._retry: collections.deque[Item] = collections.deque()
        self._inflight: collections.deque[Item] = collections.deque()
        self._receipted = threading.Condition()
        self._acked = 0
        self._last_receipt = 0.0

    @property
    def unconfirmed(self) -> int:
        """Items sent or to be resent that the logger has not confirmed."""
        return len(self._retry) + len(self._inflight)

    def run(self) -> None:
        """Connect, ship, reconnect, until ``stop`` is set."""
        backoff = 0.1
        while not self.stop.is_set():
            target = self.address()
            connection = _connect(target) if target else None
            if connection is None:
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            self.stats["connections"] += 1
            confirmed = self.stats["confirmed"]
            try:
                self._session(connection, target)
            finally:
                with contextlib.suppress(OSError):
                    connection.close()
                self._requeue()
            # A connection that is accepted and then reset with nothing confirmed (a proxy or
            # load balancer in front of a logger that is down) is a failed attempt too: without
            # this, logspout reconnected hundreds of times a second until the logger came back.
            if self.stats["confirmed"] > confirmed:
                backoff = 0.1
            else:
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)

    def _session(self, connection: socket.socket, target: Address) -> None:
        with self._receipted:
            self._acked, self._last_receipt = 0, time.monotonic()
        alive = threading.Event()
        alive.set()
        reader = threading.Thread(target=self._read_receipts, args=(connection, alive), daemon=True)
        reader.start()
        try:
            while alive.is_set() and not self.stop.is_set() and self.address() == target:
                if not self._send_some(connection):
                    return
        except OSError as exc:
            log.info("logger connection %s:%d broke: %s", *target, exc)
        finally:
            alive.clear()
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            reader.join(5)

    def _send_some(self, connection: socket.socket) -> bool:
        """Send one batch; False when the connection should be replaced."""
        with self._receipted:
            if len(self._inflight) >= MAX_INFLIGHT:
                self._receipted.wait(0.2)
                return time.monotonic() - self._last_receipt < RECEIPT_TIMEOUT
        items = self._next_batch()
        if items:
            with self._receipted:
                self._inflight.extend(items)
            connection.sendall(b"".join(item.frame for item in items))
            self.stats["sent"] += len(items)
        return True

    def _next_batch(self) -> list[Item]:
        if self._retry:
            return [self._retry.popleft() for _ in range(min(BATCH, len(self._retry)))]
        return self.spool.take(BATCH, 0.2)

    def _read_receipts(self, connection: socket.socket, alive: threading.Event) -> None:
        rest = b""
        while alive.is_set():
            try:
                data = connection.recv(4096)
            except OSError:
                break
            if not data:
                break
            *receipts, rest = (rest + data).split(b"\n")
            if receipts and receipts[-1].isdigit():
                self._confirm(int(receipts[-1]))
        alive.clear()

    def _confirm(self, stored: int) -> None:
        with self._receipted:
            count = min(stored - self._acked, len(self._inflight))
            done = [self._inflight.popleft() for _ in range(max(count, 0))]
            self._acked = stored
            self._last_receipt = time.monotonic()
            self._receipted.notify_all()
        if done:
            self.stats["confirmed"] += len(done)
            self.confirmed(done)

    def _requeue(self) -> None:
        """Put every unconfirmed frame back in front, in order, for the next connection."""
        with self._receipted:
            if self._inflight:
                self.stats["resent"] += len(self._inflight)
            self._retry.extendleft(reversed(self._inflight))
            self._inflight.clear()


def _connect(target: Address) -> socket.socket | None:
    try:
        connection = socket.create_connection(target, timeout=CONNECT_TIMEOUT)
    except OSError:
        return None
    connection.settimeout(RECEIPT_TIMEOUT)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection
