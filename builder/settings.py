"""Settings of the builder (environment first, then etcd, then defaults).

Environment variables are ``DEIS_BUILDER_<NAME>``, etcd keys
``/deis/builder/<name>``. The builder key it sends to the controller is the
controller's ``builderKey`` (``DEIS_BUILDER_KEY`` or the controller's etcd key),
so there is one secret, generated once by the controller.
"""

from docker.errors import DockerException
from docker.utils import parse_bytes

from deis import keys
from deis.paths import Paths
from deis.settings import Setting, Settings, as_bool


def _size(text: str) -> int:
    """Parse a size such as ``2g``, ``500m`` or ``1048576`` (bytes) into bytes."""
    try:
        value = parse_bytes(text.strip().lower())
    except DockerException:
        value = 0
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{text!r} is not a size such as 2g, 500m or 1048576")
    return value


def human_size(size: int) -> str:
    """Return ``size`` in bytes the way :func:`_size` reads it: ``2g``, ``500m``, ``64k`` or bytes."""
    for suffix, shift in (("g", 30), ("m", 20), ("k", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift}{suffix}"
    return str(size)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"{text!r} is not a positive integer")
    return value


SETTINGS = Settings("builder", [
    Setting("port", default=2223, parse=int, help="SSH port (the router forwards public 2222 here)"),
    Setting("bind", default="",
            help="address the SSH server binds; empty: the announced host (loopback on one host, where "
                 "the router forwards public 2222 here; 0.0.0.0 or the node's address on a cluster)"),
    Setting("host", default="127.0.0.1", env="HOST", help=f"address announced at {keys.host('builder')}"),
    Setting("dataDir", default=str(Paths.from_env().data("builder")),
            help="where bare repositories and build caches live (<DEIS_DATA_DIR>/builder)"),
    Setting("builderKey", env="DEIS_BUILDER_KEY", key=keys.component("controller", "builderKey"),
            help="shared secret sent to the controller in X-Deis-Builder-Auth"),
    Setting("dockerHost", env="DOCKER_HOST", default="unix:///var/run/docker.sock",
            help="Docker engine that builds the images"),
    Setting("stackImage", default="deis/stack:bookworm",
            help="image buildpack builds run on (made with debootstrap on first use)"),
    Setting("maxConnections", default=64, parse=int, help="SSH connections served at once"),
    Setting("buildMemory", default=2 << 30, parse=_size,
            help="memory (swap included) of a build container and of each Dockerfile RUN step (2g)"),
    Setting("buildTimeout", default=1800, parse=_positive_int,
            help="seconds an image build may take before the push is refused"),
    Setting("requireRegistry", default=False, parse=as_bool,
            help="refuse a push (after waiting up to 60 s) while no registry is announced: on a cluster "
                 "an image only the building host holds cannot run elsewhere (deisctl sets it there)"),
    Setting("maxPushSize", default=500 << 20, parse=_size,
            help="largest pack a git push may send (git's receive.maxInputSize; 500m)"),
])
