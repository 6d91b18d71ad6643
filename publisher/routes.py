"""Which containers get a route, and to which address (pure decisions).

A container is routable when its name is ours (``<app>_v<N>.<type>.<num>``),
its type is ``web`` or ``cmd``, it is running and it is not being drained. Its
route is the port named by its ``PORT`` environment variable (:mod:`deis.ports`),
not blindly the lowest exposed port (a Deis v1 complaint), on the container's
own address on the app network (:mod:`deis.isolation`). App ports are never
published on the host, so there is no host address to announce: the routers
reach containers on that network (on a cluster, an overlay network of the same name).

A container is probed with the health check the controller waited for before
routing it: the ``HEALTHCHECK_URL`` of its own environment, the config of its
release. The app's config in etcd is published only once a deploy succeeded,
so probing a new container with it let a release whose health path answered
500 take 198 of 462 requests while its deploy failed (T2). Only a container
without ``DEIS_RELEASE`` (not started by the controller) is probed by the app's
config in etcd.
"""

from __future__ import annotations

from dataclasses import dataclass

from deis import isolation, naming, ports


@dataclass(frozen=True)
class Candidate:
    """A container that should be routed once it answers its health check."""

    app: str
    name: str
    address: str  # "ip:port"
    #: ``HEALTHCHECK_URL`` of the container's environment; ``None`` without one (a TCP connect).
    healthcheck_url: str | None = None
    #: Whether the environment holds the container's release config (``DEIS_RELEASE`` is set).
    carries_config: bool = False

    def check_path(self, configured: str | None) -> str | None:
        """Return the health check path to probe: the container's own, else ``configured`` (the app's in etcd)."""
        return self.healthcheck_url if self.carries_config else configured


def v1_name(name: str, labels: dict | None) -> str:
    """Return a container's v1 name: its :data:`deis.naming.NAME_LABEL` label (a Swarm task), else its own name."""
    return (labels or {}).get(naming.NAME_LABEL) or name.lstrip("/")


def candidate(attrs: dict, draining: set[str], network: str = isolation.NETWORK) -> Candidate | None:
    """Return the route a container (``docker inspect`` attributes) should get, if any."""
    name = v1_name(attrs.get("Name", ""), attrs.get("Config", {}).get("Labels"))
    parsed = naming.parse_container_name(name)
    if parsed is None or not parsed.routable or name in draining:
        return None
    if not attrs.get("State", {}).get("Running"):
        return None
    environment = attrs.get("Config", {}).get("Env") or []
    port = ports.environment_port(environment)
    ip = isolation.container_ip(attrs, network)
    if not ip:
        return None
    values = dict(item.partition("=")[::2] for item in environment)
    return Candidate(parsed.app, name, f"{ip}:{port}", values.get("HEALTHCHECK_URL") or None,
                     "DEIS_RELEASE" in values)


def split_address(address: str) -> tuple[str, int]:
    """Split ``ip:port`` (the value format of a service key)."""
    host, _, port = address.rpartition(":")
    return host, int(port)
