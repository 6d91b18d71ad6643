"""``deis-logger``: store every app's log lines and serve them to ``deis logs``."""

from __future__ import annotations

import logging
import signal
import threading

from deis import filemodes, logconfig
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd
from logger.server import Config, Logger
from logger.settings import SETTINGS, store_url

log = logging.getLogger(__name__)


def config_from(settings) -> Config:
    """Build a :class:`Config` from resolved settings."""
    return Config(
        store_url=store_url(settings), bind=settings.get("bind"), port=settings.get("port"),
        http_port=settings.get("httpPort"), host=settings.get("host"),
        segment_bytes=settings.get("segmentBytes"), keep_segments=settings.get("keepSegments"),
        drain=settings.get("drain"),
    )


def main() -> None:
    """Run the logger until SIGTERM or SIGINT."""
    filemodes.private_umask()
    logconfig.configure("logger")
    etcd = Etcd()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logger = Logger(config_from(SETTINGS.bind(etcd))).start()
    while not stop.is_set():
        try:
            logger.announce(etcd)
            break
        except EtcdUnavailable as exc:  # keep storing lines; announce once etcd answers
            log.warning("cannot announce yet: %s", exc)
            stop.wait(2)
    stop.wait()
    logger.stop()


if __name__ == "__main__":
    main()
