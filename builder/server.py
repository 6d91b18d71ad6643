"""The builder's SSH server: a listening socket, one thread per connection.

Each connection gets a paramiko transport with the shared host key and an
:class:`~builder.ssh.SSHPolicy`; once a client has authenticated, opened a
session channel and made its one exec request, a :class:`~builder.session.Session`
runs it and the exit status goes back before the channel closes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

import paramiko

from builder import hostkeys
from builder.controller_client import Hooks, controller_url
from builder.repos import Repos
from builder.session import Session
from builder.settings import SETTINGS
from builder.ssh import SSHPolicy, harden
from deis.errors import DeisError
from deis.etcd import Etcd, Lease, announce

log = logging.getLogger(__name__)

#: Seconds a client has for the key exchange, for authentication, and for its request.
HANDSHAKE_TIMEOUT = 15.0
AUTH_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
#: Seconds the client has to hang up once its command ended.
GOODBYE_TIMEOUT = 5.0


@dataclass
class Config:
    """What the server needs, resolved from :mod:`builder.settings`."""

    bind: str = "127.0.0.1"
    port: int = 2223
    host: str = "127.0.0.1"
    data_dir: str = "/var/lib/deis/builder"
    builder_key: str | None = None
    max_connections: int = 64
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))


class Builder:
    """``Builder(config, etcd).start()`` serves ``git push`` until :meth:`stop`."""

    def __init__(self, config: Config, etcd: Etcd):
        self.config = config
        self.etcd = etcd
        self.repos = Repos(config.data_dir)
        self.host_key: paramiko.PKey | None = None
        self.lease: Lease | None = None
        self._socket: socket.socket | None = None
        self._slots = threading.BoundedSemaphore(config.max_connections)
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return self._socket.getsockname()[1]

    def start(self) -> Builder:
        """Load the host key, bind and start accepting connections in a thread."""
        self.host_key = hostkeys.shared_host_key(self.etcd)
        self._socket = socket.create_server((self.config.bind, self.config.port), reuse_port=False)
        threading.Thread(target=self._accept_loop, name="builder-accept", daemon=True).start()
        log.info("serving git push on %s:%d", self.config.bind, self.port)
        return self

    def announce(self) -> None:
        """Announce this builder (``/deis/builder/hosts/<host:port>``) under a kept-alive lease."""
        self.lease = announce(self.etcd, "builder", self.config.host, self.port)

    def stop(self) -> None:
        """Stop accepting, and withdraw the announcement."""
        self._stop.set()
        if self.lease is not None:
            self.lease.__exit__(None, None, None)
        if self._socket is not None:
            self._socket.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self._socket.accept()
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if not self._slots.acquire(blocking=False):
                log.warning("refused %s: %d connections already", address, self.config.max_connections)
                conn.close()
                continue
            threading.Thread(target=self._connection, args=(conn, address), daemon=True).start()

    def _connection(self, conn: socket.socket, address: tuple) -> None:
        try:
            self._serve(conn, address)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.info("connection from %s ended: %s", address[0], exc)
        except Exception:  # one bad connection must never stop the server
            log.exception("connection from %s failed", address[0])
        finally:
            conn.close()
            self._slots.release()

    def _serve(self, conn: socket.socket, address: tuple) -> None:
        transport = paramiko.Transport(conn)
        transport.handshake_timeout = HANDSHAKE_TIMEOUT
        transport.auth_timeout = AUTH_TIMEOUT
        transport.add_server_key(self.host_key)
        harden(transport)
        try:
            self._session(transport, address)
        finally:
            transport.close()

    def _session(self, transport: paramiko.Transport, address: tuple) -> None:
        hooks = self._hooks()
        policy = SSHPolicy(hooks, transport)
        transport.start_server(server=policy)
        channel = transport.accept(AUTH_TIMEOUT)
        if channel is None or not policy.requested.wait(REQUEST_TIMEOUT):
            return
        peer = f"{address[0]} {address[1]} {self.config.host} {self.port}"
        session = Session(channel, policy.user, policy.fingerprint, hooks, self.repos, self.config.environ, peer,
                          max_push_size=self._max_push_size())
        status = session.run(policy.command)
        channel.send_exit_status(status)
        channel.shutdown_write()
        channel.close()
        _wait_for_client_to_leave(transport)

    def _max_push_size(self) -> int:
        """Return ``maxPushSize`` as set now (read per connection, so a change needs no restart)."""
        return SETTINGS.bind(self.etcd).get("maxPushSize")

    def _hooks(self) -> Hooks:
        """Return a hooks client of the controller as announced now (it may have moved)."""
        try:
            url = controller_url(self.etcd)
        except DeisError as exc:
            log.warning("%s", exc)
            url = "http://controller.invalid"
        # Read the key per connection: the controller may generate it after we started.
        key = self.config.builder_key or SETTINGS.bind(self.etcd).get("builderKey") or ""
        return Hooks(url, key)


def _wait_for_client_to_leave(transport: paramiko.Transport) -> None:
    """Let the client close the connection after reading the exit status.

    Closing it ourselves right after the channel races the client's own
    close: OpenSSH then reports "Broken pipe" and exits 255 instead of the
    command's status.
    """
    deadline = time.monotonic() + GOODBYE_TIMEOUT
    while transport.is_active() and time.monotonic() < deadline:
        time.sleep(0.02)
