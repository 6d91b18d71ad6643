"""The logger daemon: listeners, the HTTP API and the announcement, started and stopped together."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

from deis import keys
from deis.etcd import Etcd, announce
from logger.api import APIServer
from logger.drain import Drain
from logger.intake import Intake
from logger.listeners import TCPServer, UDPServer
from logger.logbook import Logbook
from store import open_store

log = logging.getLogger(__name__)


@dataclass
class Config:
    """What a logger needs to run (see ``logger/settings.py`` for defaults)."""

    store_url: str
    bind: str = "127.0.0.1"
    port: int = 514
    http_port: int = 8088
    host: str = "127.0.0.1"
    segment_bytes: int = 8 << 20
    keep_segments: int = 4
    drain: str = ""


class Logger:
    """A running logger: ``Logger(config).start()``, then :meth:`stop`."""

    def __init__(self, config: Config):
        self.config = config
        self.store = open_store(config.store_url)
        self.logbook = Logbook(self.store, config.segment_bytes, config.keep_segments)
        self.intake = Intake(self.logbook, Drain(config.drain) if config.drain else None)
        self.tcp = TCPServer((config.bind, config.port), self.intake)
        # UDP on the TCP port number, as syslog does (514/tcp and 514/udp).
        self.udp = UDPServer((config.bind, self.tcp.server_address[1]), self.intake)
        self.api = APIServer((config.bind, config.http_port), self.logbook)
        self._lease = None

    @property
    def port(self) -> int:
        """The syslog port bound (TCP and UDP)."""
        return self.tcp.server_address[1]

    @property
    def http_port(self) -> int:
        """The HTTP API port bound."""
        return self.api.server_address[1]

    def start(self) -> Logger:
        """Serve from background threads; return at once."""
        for name, server in (("syslog-tcp", self.tcp), ("syslog-udp", self.udp), ("logs-api", self.api)):
            threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        log.info("syslog on %s:%d (tcp, udp), logs API on :%d, store %s",
                 self.config.bind, self.port, self.http_port, self.config.store_url)
        return self

    def announce(self, etcd: Etcd) -> None:
        """Publish ``/deis/logs/host``, ``/port`` (syslog) and ``/httpPort`` under a lease."""
        self._lease = announce(etcd, "logs", self.config.host, self.port)
        self._lease.put(keys.logger_http_port(), str(self.http_port))

    def stop(self) -> None:
        """Withdraw the announcement, close the listeners, end follow streams."""
        if self._lease is not None:
            with contextlib.suppress(Exception):
                self._lease.__exit__(None, None, None)
        self.api.stopping.set()
        for server in (self.tcp, self.udp, self.api):
            server.shutdown()
            server.server_close()
        self.store.close()
