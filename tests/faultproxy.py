"""A TCP proxy on loopback that a test can cut: :meth:`FaultProxy.reset` resets every connection.

A reset is what a peer sees when a middlebox or a crashed host drops a
connection: an RST, not an orderly FIN. Each socket gets ``SO_LINGER`` with
a zero timeout and is closed, which makes the kernel send RST and discard
what is queued, in both directions. All sockets live in one selector loop
thread, so the close happens at once, never behind a ``recv`` blocked in
another thread (which would keep the socket open until data came).

A refused upstream (the target is down) is passed on the same way: the
accepted connection is reset, as if the target itself had refused it late.
Data is copied as it comes, with back-pressure: a side is not read while
more than :data:`BUFFER` bytes wait to be written to the other.
"""

from __future__ import annotations

import collections
import contextlib
import selectors
import socket
import struct
import threading

#: Bytes waiting for one side before the other side is no longer read.
BUFFER = 1 << 20
_LINGER_ZERO = struct.pack("ii", 1, 0)


class _Side:
    """One socket of a proxied connection and the bytes waiting to be written to it."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.out = bytearray()
        self.peer: _Side | None = None
        self.read_closed = False
        self.write_closed = False


class FaultProxy:
    """Copies TCP connections from ``listen`` to ``target`` until told to reset them."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]):
        self.target = target
        #: connections accepted, resets sent (by :meth:`reset`), upstream refusals passed on.
        self.stats: collections.Counter = collections.Counter()
        self._server = socket.create_server(listen)
        self._server.setblocking(False)
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._sides: set[_Side] = set()
        self._lock = threading.Lock()
        self._resets_wanted = 0
        self._reset_done = threading.Condition(self._lock)
        self._resets_done = 0
        self._last_reset_count = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="fault-proxy", daemon=True)

    @property
    def connections(self) -> int:
        """Connections open right now."""
        with self._lock:
            return len(self._sides) // 2

    def start(self) -> FaultProxy:
        """Start copying in a background thread; return at once."""
        self._selector.register(self._server, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        self._thread.start()
        return self

    def reset(self, timeout: float = 5.0) -> int:
        """Reset every open connection (RST both ways); return how many there were."""
        with self._lock:
            self._resets_wanted += 1
            wanted = self._resets_wanted
        self._wake_write.send(b"r")
        with self._lock:
            self._reset_done.wait_for(lambda: self._resets_done >= wanted, timeout)
            return self._last_reset_count

    def stop(self) -> None:
        """Reset every connection and stop listening."""
        self._stopping = True
        self._wake_write.send(b"s")
        self._thread.join(5)
        self._server.close()
        self._wake_read.close()
        self._wake_write.close()

    # -- the loop ------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping:
            for key, events in self._selector.select(0.5):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    self._woken()
                else:
                    self._serve(key.data, events)
            self._update_interest()
        self._reset_all()
        self._selector.close()

    def _woken(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._wake_read.recv(64)
        with self._lock:
            wanted = self._resets_wanted
        if wanted > self._resets_done:
            count = self._reset_all()
            with self._lock:
                self._last_reset_count = count
                self._resets_done = wanted
                self.stats["resets"] += count
                self._reset_done.notify_all()

    def _accept(self) -> None:
        try:
            client, _ = self._server.accept()
        except OSError:
            return
        self.stats["accepted"] += 1
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            self.stats["refused"] += 1
            _rst(client)
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        near, far = _Side(client), _Side(upstream)
        near.peer, far.peer = far, near
        with self._lock:
            self._sides.update((near, far))
        for side in (near, far):
            self._selector.register(side.sock, selectors.EVENT_READ, side)

    def _serve(self, side: _Side, events: int) -> None:
        if side not in self._sides:
            return
        try:
            if events & selectors.EVENT_WRITE:
                self._flush(side)
            if events & selectors.EVENT_READ:
                self._read(side)
        except OSError:
            # A reset or error on one side is passed on as a reset of the other.
            self._close_pair(side)

    def _read(self, side: _Side) -> None:
        data = side.sock.recv(256 * 1024)
        if data:
            side.peer.out += data
            self._flush(side.peer)
            return
        side.read_closed = True
        self._flush(side.peer)

    def _flush(self, side: _Side) -> None:
        if side.out:
            sent = side.sock.send(side.out)
            del side.out[:sent]
        if not side.out and side.peer.read_closed and not side.write_closed:
            side.sock.shutdown(socket.SHUT_WR)  # an orderly close is passed on as one
            side.write_closed = True
        if side.write_closed and side.peer.write_closed:
            self._close_pair(side, orderly=True)

    def _update_interest(self) -> None:
        with self._lock:
            sides = list(self._sides)
        for side in sides:
            events = 0
            if not side.read_closed and len(side.peer.out) < BUFFER:
                events |= selectors.EVENT_READ
            if side.out:
                events |= selectors.EVENT_WRITE
            with contextlib.suppress(KeyError, ValueError):
                if events:
                    self._selector.modify(side.sock, events, side)
                else:
                    self._selector.unregister(side.sock)
            if events and side.sock.fileno() >= 0 and not self._registered(side):
                self._selector.register(side.sock, events, side)

    def _registered(self, side: _Side) -> bool:
        try:
            self._selector.get_key(side.sock)
        except (KeyError, ValueError):
            return False
        return True

    def _close_pair(self, side: _Side, orderly: bool = False) -> None:
        for one in (side, side.peer):
            with self._lock:
                self._sides.discard(one)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(one.sock)
            if orderly:
                one.sock.close()
            else:
                _rst(one.sock)

    def _reset_all(self) -> int:
        with self._lock:
            sides = list(self._sides)
        for side in sides:
            if side in self._sides:
                self._close_pair(side)
        return len(sides) // 2


def _rst(sock: socket.socket) -> None:
    """Close ``sock`` so that the peer gets RST (SO_LINGER on, timeout 0)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    sock.close()
