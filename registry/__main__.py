"""Entry point of ``deis-registry``: run the Docker registry until SIGTERM or SIGINT."""

from __future__ import annotations

import sys

from deis import daemon
from deis.errors import DeisError
from deis.etcd import Etcd
from registry.server import Registry
from registry.settings import SETTINGS


def main() -> None:
    """Start the registry, supervise it, stop it on SIGTERM; exit 1 with a sentence on failure."""
    stop = daemon.begin("registry")
    etcd = Etcd()
    try:
        registry = Registry(SETTINGS.bind(etcd), etcd).start()
    except DeisError as exc:
        sys.exit(f"deis-registry: {exc}")
    registry.run(stop)


if __name__ == "__main__":
    main()
