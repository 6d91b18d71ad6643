"""Entry point of ``deis-registry``: run the Docker registry until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import sys
import threading

from deis import filemodes, logconfig
from deis.errors import DeisError
from deis.etcd import Etcd
from registry.server import Registry
from registry.settings import SETTINGS


def main() -> None:
    """Start the registry, supervise it, stop it on SIGTERM; exit 1 with a sentence on failure."""
    filemodes.private_umask()
    logconfig.configure("registry")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    etcd = Etcd()
    try:
        registry = Registry(SETTINGS.bind(etcd), etcd).start()
    except DeisError as exc:
        sys.exit(f"deis-registry: {exc}")
    registry.run(stop)


if __name__ == "__main__":
    main()
