"""``deis-logspout``: ship every container's stdout and stderr on this host to the logger."""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

import docker

from deis import filemodes, logconfig
from deis.etcd import Etcd
from logspout.logspout import LoggerAddress, Logspout
from logspout.settings import SETTINGS


def main() -> None:
    """Run logspout until SIGTERM or SIGINT."""
    filemodes.private_umask()
    logconfig.configure("logspout")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    stop = threading.Event()
    logspout = Logspout(
        docker.from_env(timeout=30), LoggerAddress(etcd, stop), Path(settings.get("dataDir")),
        memory_bytes=settings.get("memoryBytes"), disk_bytes=settings.get("diskBytes"),
        resync=settings.get("resync"), hostname=settings.get("hostname") or socket.gethostname(),
        label=settings.get("label"), stop=stop,
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: (logspout.stop.set(), logspout.wake.set()))
    logspout.run()


if __name__ == "__main__":
    main()
