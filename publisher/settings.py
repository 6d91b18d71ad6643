"""Settings of the publisher (environment first, then etcd, then defaults)."""

from deis.settings import Setting, Settings

SETTINGS = Settings("publisher", [
    Setting("host", default="", env="HOST",
            help="routable address of this Docker host; when set, routes point at host:published-port "
                 "(routers on other hosts), else at the container's own address (routers on this host)"),
    Setting("resync", default=5.0, parse=float, help="seconds between full resyncs"),
    Setting("ttl", default=20, parse=int, help="lease of published routes, seconds"),
    Setting("healthTimeout", default=1.0, parse=float, help="seconds a health check may take"),
])
