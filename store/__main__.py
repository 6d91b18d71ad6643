"""``deis-store``: make the platform's object storage available and say where it is (see :mod:`store.server`)."""

from __future__ import annotations

from deis import daemon
from deis.etcd import Etcd
from store import server
from store.settings import SETTINGS


def main() -> None:
    """Announce the store until SIGTERM or SIGINT."""
    stop = daemon.begin("store")
    etcd = Etcd()
    server.run(etcd, SETTINGS.bind(etcd), stop)


if __name__ == "__main__":
    main()
