"""Settings of the logger (environment first, then etcd, then defaults).

Environment variables are ``DEIS_LOGGER_<NAME>``; etcd keys live under
``/deis/logs/`` as in Deis v1 (``/deis/logs/drain``), and the store's URL is
read where ``deis-store`` announces it.
"""

from deis import keys
from deis.settings import Setting, Settings
from store.settings import default_url

SETTINGS = Settings("logger", [
    Setting("host", default="127.0.0.1", env="HOST", help=f"address announced at {keys.host('logs')}"),
    Setting("bind", default="127.0.0.1", help="address the listeners bind (0.0.0.0 on a cluster)"),
    Setting("port", default=514, parse=int, help="syslog port, TCP (octet-counted or newline) and UDP"),
    Setting("httpPort", default=8088, parse=int, help="HTTP API port (deis logs)"),
    Setting("storeUrl", default=default_url(), key=keys.component("store", "url"),
            help="the store the logs live in"),
    Setting("storeAppendUrl", default="", key=keys.component("store", "appendUrl"),
            help="the store's URL for append-heavy data, as deis-store announces it (Ceph: rados://)"),
    Setting("segmentBytes", default=8 << 20, parse=int, key=keys.component("logs", "segmentBytes"),
            help="size at which an app's log starts a new segment"),
    Setting("keepSegments", default=4, parse=int, key=keys.component("logs", "keepSegments"),
            help="segments kept per app (older ones are deleted)"),
    Setting("drain", default="", key=keys.component("logs", "drain"),
            help="forward every line to this syslog URL: udp://, syslog:// or tcp://host:port"),
])


def store_url(settings) -> str:
    """Return where the logs live: ``storeUrl`` given in the environment, else the store's append URL, else its URL.

    Logs grow by small appends; S3 has no append (each one rewrites the
    segment: ~3,500 lines/s on this machine's Ceph gateway against ~57,000
    with RADOS's native append), so on Ceph the store announces a
    ``rados://`` URL for them beside its ``s3://`` one.
    """
    url, source = settings.resolve("storeUrl")
    if source == "env":
        return url
    return settings.get("storeAppendUrl") or url
