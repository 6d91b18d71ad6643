"""``deis-publisher``: announce this host's routable containers in etcd."""

import signal
import threading

import docker

from deis import filemodes, logconfig
from deis.etcd import Etcd
from publisher.publisher import Publisher
from publisher.settings import SETTINGS


def main() -> None:
    """Run the publisher until SIGTERM or SIGINT."""
    filemodes.private_umask()
    logconfig.configure("publisher")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: (stop.set(), publisher.wake.set()))
    publisher = Publisher(
        docker.from_env(), etcd, network=settings.get("appNetwork"),
        resync=settings.get("resync"), health_timeout=settings.get("healthTimeout"),
    )
    publisher.run(stop, ttl=settings.get("ttl"))


if __name__ == "__main__":
    main()
