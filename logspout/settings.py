"""Settings of logspout (environment first, then etcd, then defaults)."""

from deis.paths import Paths
from deis.settings import Setting, Settings

SETTINGS = Settings("logspout", [
    Setting("dataDir", default=str(Paths.from_env().data("logspout")),
            help="where checkpoints and the disk spool live"),
    Setting("memoryBytes", default=16 << 20, parse=int, help="lines held in memory while the logger is away"),
    Setting("diskBytes", default=256 << 20, parse=int, help="then spilled to disk up to this; past it lines drop"),
    Setting("resync", default=5.0, parse=float, help="seconds between full resyncs of the container list"),
    Setting("label", default="", help="follow only containers carrying this Docker label (all when empty)"),
    Setting("hostname", default="", env="HOST", help="HOSTNAME field of the messages sent"),
])
