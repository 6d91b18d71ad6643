"""Settings of the router process itself (environment first, then etcd, then defaults).

nginx tuning (bodySize, gzip, hsts, whitelists…) is not here: it lives under
``/deis/router/*`` and is part of the watched state (:mod:`router.model`).
"""

from deis import keys
from deis.settings import Setting, Settings

SETTINGS = Settings("router", [
    Setting("host", default="127.0.0.1", env="HOST", help=f"this router's name under {keys.router_host('')}"),
    Setting("httpPort", default=80, parse=int),
    Setting("httpsPort", default=443, parse=int),
    Setting("builderPort", default=2222, parse=int, help="public git push port, passed through to the builder"),
    Setting("healthPort", default=9090, parse=int),
    Setting("reloadInterval", default=1.0, parse=float, help="reloads are coalesced to at most one per interval"),
    Setting("resync", default=30.0, parse=float, help="seconds between full re-reads of etcd"),
    Setting("nginx", default="/usr/sbin/nginx"),
])
