"""``deis-builder``: serve ``git push`` over SSH, build the pushed app and release it."""

from __future__ import annotations

import threading

from builder.server import Builder, Config
from builder.settings import SETTINGS
from builder.sweep import Sweeper
from deis import daemon
from deis.etcd import Etcd


def config_from(settings) -> Config:
    """Build a :class:`Config` from resolved settings (``bind`` defaults to the announced host)."""
    return Config(bind=settings.get("bind") or settings.get("host"), port=settings.get("port"),
                  host=settings.get("host"), data_dir=settings.get("dataDir"), builder_key=settings.get("builderKey"),
                  max_connections=settings.get("maxConnections"))


def main() -> None:
    """Run the builder until SIGTERM or SIGINT."""
    stop = daemon.begin("builder")
    etcd = Etcd()
    builder = daemon.retry_until(stop, lambda: _start(etcd), "etcd (the SSH host key lives there)")
    if builder is None:
        return
    sweeper = Sweeper(builder.repos, etcd)
    threading.Thread(target=sweeper.run, args=(stop,), name="repo-sweep", daemon=True).start()
    stop.wait()
    builder.stop()


def _start(etcd: Etcd) -> Builder:
    """Start serving and announce (raises EtcdUnavailable until etcd answers)."""
    builder = Builder(config_from(SETTINGS.bind(etcd)), etcd).start()
    builder.announce()
    return builder


if __name__ == "__main__":
    main()
