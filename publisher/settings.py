"""Settings of the publisher (environment first, then etcd, then defaults)."""

from deis import isolation, keys
from deis.settings import Setting, Settings

SETTINGS = Settings("publisher", [
    Setting("appNetwork", key=keys.platform("appNetwork"), env="DEIS_APP_NETWORK", default=isolation.NETWORK,
            help="Docker network whose container address each route points at (the scheduler's app network)"),
    Setting("resync", default=5.0, parse=float, help="seconds between full resyncs"),
    Setting("ttl", default=20, parse=int, help="lease of published routes, seconds"),
    Setting("healthTimeout", default=1.0, parse=float, help="seconds a health check may take"),
])
