"""``deis-router``: nginx on this host, configured from etcd."""

import signal
import threading

from deis import filemodes, logconfig
from deis.etcd import Etcd
from deis.paths import Paths
from router.nginx import Nginx
from router.render import NginxPaths, Ports
from router.router import Router
from router.settings import SETTINGS


def main() -> None:
    """Run the router until SIGTERM; then stop nginx gracefully.

    A crash (or SIGKILL) leaves nginx serving; the next start adopts it.
    """
    filemodes.private_umask()
    logconfig.configure("router")
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    paths = NginxPaths(Paths.from_env().data("router"))
    paths.root.mkdir(parents=True, exist_ok=True)
    ports = Ports(settings.get("httpPort"), settings.get("httpsPort"), settings.get("builderPort"),
                  settings.get("healthPort"))
    nginx = Nginx(paths, settings.get("nginx"))
    router = Router(etcd, nginx, ports, settings.get("host"), settings.get("reloadInterval"), settings.get("resync"))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        router.run(stop)
    finally:
        nginx.stop()


if __name__ == "__main__":
    main()
