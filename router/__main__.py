"""``deis-router``: nginx on this host, configured from etcd."""

from deis import daemon
from deis.etcd import Etcd
from deis.paths import Paths
from router.nginx import Nginx
from router.reconciler import Router
from router.render import NginxPaths, Ports
from router.settings import SETTINGS


def main() -> None:
    """Run the router until SIGTERM or a crash; nginx serves on, and the next start adopts it.

    A restart or an upgrade of the router thus drops no connection (95 were
    refused over ~2 s when SIGTERM stopped nginx too; issue 17). Stopping the
    router for good stops nginx from outside: ``deisctl stop router``.
    """
    stop = daemon.begin("router")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    paths = NginxPaths(Paths.from_env().data("router"))
    paths.root.mkdir(parents=True, exist_ok=True)
    ports = Ports(settings.get("httpPort"), settings.get("httpsPort"), settings.get("builderPort"),
                  settings.get("healthPort"))
    nginx = Nginx(paths, settings.get("nginx"))
    router = Router(etcd, nginx, ports, settings.get("host"), settings.get("reloadInterval"), settings.get("resync"))
    router.run(stop)


if __name__ == "__main__":
    main()
