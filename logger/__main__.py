"""``deis-logger``: store every app's log lines and serve them to ``deis logs``."""

from __future__ import annotations

from deis import daemon
from deis.etcd import Etcd
from logger.server import Config, Logger
from logger.settings import SETTINGS, store_url


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
    stop = daemon.begin("logger")
    etcd = Etcd()
    logger = Logger(config_from(SETTINGS.bind(etcd))).start()
    daemon.retry_until(stop, lambda: logger.announce(etcd), "etcd to announce the logger (lines are stored meanwhile)")
    stop.wait()
    logger.stop()


if __name__ == "__main__":
    main()
