"""Settings of the builder (environment first, then etcd, then defaults).

Environment variables are ``DEIS_BUILDER_<NAME>``, etcd keys
``/deis/builder/<name>``. The builder key it sends to the controller is the
controller's ``builderKey`` (``DEIS_BUILDER_KEY`` or the controller's etcd key),
so there is one secret, generated once by the controller.
"""

from deis import keys
from deis.ctl.paths import Paths
from deis.settings import Setting, Settings

SETTINGS = Settings("builder", [
    Setting("port", default=2223, parse=int, help="SSH port (the router forwards public 2222 here)"),
    Setting("bind", default="0.0.0.0", help="address the SSH server binds"),
    Setting("host", default="127.0.0.1", env="HOST", help="address announced at /deis/builder/host"),
    Setting("dataDir", default=str(Paths.from_env().data("builder")),
            help="where bare repositories and build caches live (<DEIS_DATA_DIR>/builder)"),
    Setting("builderKey", env="DEIS_BUILDER_KEY", key=keys.component("controller", "builderKey"),
            help="shared secret sent to the controller in X-Deis-Builder-Auth"),
    Setting("dockerHost", env="DOCKER_HOST", default="unix:///var/run/docker.sock",
            help="Docker engine that builds the images"),
    Setting("stackImage", default="deis/stack:bookworm",
            help="image buildpack builds run on (made with debootstrap on first use)"),
    Setting("maxConnections", default=64, parse=int, help="SSH connections served at once"),
])
