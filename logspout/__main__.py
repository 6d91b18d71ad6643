"""``deis-logspout``: ship every container's stdout and stderr on this host to the logger."""

from __future__ import annotations

import socket
from pathlib import Path

import docker

from deis import daemon
from deis.etcd import Etcd
from logspout.reconciler import LoggerAddress, Logspout
from logspout.settings import SETTINGS


def main() -> None:
    """Run logspout until SIGTERM or SIGINT."""
    stop = daemon.begin("logspout")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    logspout = Logspout(
        docker.from_env(timeout=30), LoggerAddress(etcd, stop), Path(settings.get("dataDir")),
        memory_bytes=settings.get("memoryBytes"), disk_bytes=settings.get("diskBytes"),
        resync=settings.get("resync"), hostname=settings.get("hostname") or socket.gethostname(),
        label=settings.get("label"), stop=stop,
    )
    daemon.wake_when(stop, logspout.wake)
    logspout.run()


if __name__ == "__main__":
    main()
