"""``deis-publisher``: announce this host's routable containers in etcd."""

import docker

from deis import daemon
from deis.etcd import Etcd
from publisher.reconciler import Publisher
from publisher.settings import SETTINGS


def main() -> None:
    """Run the publisher until SIGTERM or SIGINT."""
    stop = daemon.begin("publisher")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    publisher = Publisher(
        docker.from_env(), etcd, network=settings.get("appNetwork"),
        resync=settings.get("resync"), health_timeout=settings.get("healthTimeout"),
    )
    daemon.wake_when(stop, publisher.wake)
    publisher.run(stop, ttl=settings.get("ttl"))


if __name__ == "__main__":
    main()
