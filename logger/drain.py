"""The optional drain: every stored line forwarded to one syslog URL.

``udp://host:port`` and ``syslog://host:port`` send a datagram per line,
``tcp://host:port`` octet-counted frames. Lines wait in a bounded queue; when
the drain cannot keep up or is away the overflow is counted and logged, never
allowed to slow storage (the drain is a copy, the store is the record).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from urllib.parse import urlsplit

from deis import syslog

log = logging.getLogger(__name__)

QUEUE_LINES = 10_000
#: Seconds between attempts to reach a drain that is away (v1 redialled every minute).
REDIAL = 10.0


class Drain:
    """Forwards messages to a syslog URL from a background thread."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("udp", "syslog", "tcp") or not parts.hostname or not parts.port:
            raise ValueError(f"drain URL {url!r} must be udp://, syslog:// or tcp://host:port")
        self.url = url
        self.address = (parts.hostname, parts.port)
        self.stream = parts.scheme == "tcp"
        self.dropped = 0
        self._queue: queue.Queue[syslog.Message] = queue.Queue(QUEUE_LINES)
        self._socket: socket.socket | None = None
        threading.Thread(target=self._run, name="drain", daemon=True).start()

    def send(self, messages: list[syslog.Message]) -> None:
        """Queue ``messages`` for forwarding; count what does not fit."""
        for message in messages:
            try:
                self._queue.put_nowait(message)
            except queue.Full:
                self.dropped += 1

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                self._forward(message)
            except OSError as exc:
                log.warning("drain %s unreachable (%s); %d lines dropped so far", self.url, exc, self.dropped + 1)
                self.dropped += 1
                self._close()
                time.sleep(REDIAL)

    def _forward(self, message: syslog.Message) -> None:
        if self._socket is None:
            kind = socket.SOCK_STREAM if self.stream else socket.SOCK_DGRAM
            self._socket = socket.socket(socket.AF_INET, kind)
            self._socket.settimeout(10)
            self._socket.connect(self.address)
        if self.stream:
            self._socket.sendall(syslog.frame(message))
        else:
            self._socket.send(syslog.encode(message)[:65507])

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
