"""The infrastructure deisctl runs itself: etcd, the Docker engine and Redis.

For each: the command line (data under the data directory), the addresses it
binds, and a readiness probe. Command lines are argument lists built by pure
functions, so they are unit-tested without starting anything.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import docker

from deis.etcd import Etcd, endpoint_from_env
from deis.paths import Paths

DOCKER_SOCKET = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class Program:
    """What supervisord runs for one component."""

    argv: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    #: Seconds a process must stay up to count as started.
    startsecs: int = 2
    #: Seconds between SIGTERM and SIGKILL on stop.
    stopwaitsecs: int = 30
    #: Send the stop signal to the whole process group. False for a manager
    #: that stops its own children in order (the database: backup, then
    #: PostgreSQL); the SIGKILL escalation still reaches the whole group.
    stop_as_group: bool = True


def etcd_addresses(environ: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Return the client and peer ``(host, port)`` etcd binds (the first of ``DEIS_ETCD``'s members)."""
    client = urlsplit(endpoint_from_env(environ).split(",")[0])
    host = client.hostname or "127.0.0.1"
    peer_port = int(environ.get("DEIS_ETCD_PEER_PORT", "2380"))
    return {"client": (host, client.port or 2379), "peer": (host, peer_port)}


def etcd_program(paths: Paths, environ: Mapping[str, str]) -> Program:
    """etcd v3 on loopback, one member, data in ``<data>/etcd``."""
    addresses = etcd_addresses(environ)
    client = "http://{}:{}".format(*addresses["client"])
    peer = "http://{}:{}".format(*addresses["peer"])
    return Program(
        argv=[
            _binary("etcd"),
            "--name", "deis",
            "--data-dir", str(paths.data("etcd")),
            "--listen-client-urls", client,
            "--advertise-client-urls", client,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"deis={peer}",
            # Keep an hour of history so watchers can resume; compact older.
            "--auto-compaction-mode", "periodic",
            "--auto-compaction-retention", "1h",
        ],
        # etcd 3.4 on arm64 and others refuses to start without this; harmless here.
        environment={"ETCD_UNSUPPORTED_ARCH": os.uname().machine},
    )


def etcd_ready(environ: Mapping[str, str]) -> bool:
    """True when etcd answers at ``DEIS_ETCD``."""
    return Etcd(endpoint_from_env(environ), timeout=1.0).healthy()


def docker_host(environ: Mapping[str, str]) -> str:
    """Return the Docker API address (``DOCKER_HOST`` or the standard socket)."""
    return environ.get("DOCKER_HOST", DOCKER_SOCKET)


def docker_program(paths: Paths, environ: Mapping[str, str]) -> Program:
    """dockerd with images and containers under ``<data>/docker``, apps outliving it.

    ``--live-restore``: app containers keep running while the engine stops,
    restarts or is upgraded (their shims hold them), and the engine adopts them
    again when it comes back, as Deis v1's apps outlived its platform.
    """
    return Program(
        argv=[
            _binary("dockerd"),
            "--host", docker_host(environ),
            "--data-root", str(paths.data("docker")),
            # exec-root and pidfile stay at Docker's defaults (/var/run/docker*):
            # this is the host's engine, and containerd's sockets under a deep
            # data directory exceed the 104-byte Unix socket path limit.
            "--storage-driver", "overlay2",
            # Docker refuses Swarm mode on a live-restore engine: a node that joins
            # a Swarm (DESIGN §5) must drop this flag.
            "--live-restore",
        ],
        startsecs=3,
        stopwaitsecs=60,
        # SIGTERM to dockerd alone: it leaves the containers to their shims and
        # decides itself what of its own (containerd, port proxies) to stop.
        stop_as_group=False,
    )


def docker_ready(environ: Mapping[str, str]) -> bool:
    """True when a Docker engine answers ``ping``."""
    try:
        client = docker.DockerClient(base_url=docker_host(environ), timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except docker.errors.DockerException:
        return False


def redis_address(environ: Mapping[str, str]) -> tuple[str, int]:
    """Return the ``(host, port)`` Redis binds (``DEIS_REDIS_PORT``, default 6379)."""
    return ("127.0.0.1", int(environ.get("DEIS_REDIS_PORT", "6379")))


def redis_program(paths: Paths, environ: Mapping[str, str]) -> Program:
    """Redis on loopback, persisted to ``<data>/redis`` (the registry's cache)."""
    host, port = redis_address(environ)
    return Program(
        argv=[
            _binary("redis-server"),
            "--bind", host,
            "--port", str(port),
            "--dir", str(paths.data("redis")),
            "--daemonize", "no",
            "--save", "60", "1",
            "--maxmemory", "64mb",
            "--maxmemory-policy", "allkeys-lru",
        ],
    )


def redis_ready(environ: Mapping[str, str]) -> bool:
    """True when Redis answers ``PING``."""
    host, port = redis_address(environ)
    try:
        with socket.create_connection((host, port), timeout=1.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _binary(name: str) -> str:
    """Return the absolute path of a service binary (``/usr/sbin`` included)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin"])
    return shutil.which(name, path=search) or name
