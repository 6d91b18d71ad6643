"""``deis-builder``: serve ``git push`` over SSH, build the pushed app and release it."""

from __future__ import annotations

import logging
import signal
import threading

from builder.server import Builder, Config
from builder.settings import SETTINGS
from builder.sweep import Sweeper
from deis import filemodes, logconfig
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd

log = logging.getLogger(__name__)


def config_from(settings) -> Config:
    """Build a :class:`Config` from resolved settings (``bind`` defaults to the announced host)."""
    return Config(bind=settings.get("bind") or settings.get("host"), port=settings.get("port"),
                  host=settings.get("host"), data_dir=settings.get("dataDir"), builder_key=settings.get("builderKey"),
                  max_connections=settings.get("maxConnections"))


def main() -> None:
    """Run the builder until SIGTERM or SIGINT."""
    filemodes.private_umask()
    logconfig.configure("builder")
    etcd = Etcd()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    builder = _start(etcd, stop)
    if builder is None:
        return
    sweeper = Sweeper(builder.repos, etcd)
    threading.Thread(target=sweeper.run, args=(stop,), name="repo-sweep", daemon=True).start()
    stop.wait()
    builder.stop()


def _start(etcd: Etcd, stop: threading.Event) -> Builder | None:
    """Start serving once etcd answers (the host key lives there), and announce."""
    while not stop.is_set():
        try:
            builder = Builder(config_from(SETTINGS.bind(etcd)), etcd).start()
            builder.announce()
            return builder
        except EtcdUnavailable as exc:
            log.warning("waiting for etcd: %s", exc)
            stop.wait(2)
    return None


if __name__ == "__main__":
    main()
