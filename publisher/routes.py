"""Which containers get a route, and to which address (pure decisions).

A container is routable when its name is ours (``<app>_v<N>.<type>.<num>``),
its type is ``web`` or ``cmd``, it is running and it is not being drained. Its
route is the port named by its ``PORT`` environment variable (:mod:`deis.ports`),
not blindly the lowest exposed port (a Deis v1 complaint), on the container's
own address on the app network (:mod:`deis.isolation`). App ports are never
published on the host, so there is no host address to announce: the routers
reach containers on that network (on a cluster, an overlay network of the same name).
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


def candidate(attrs: dict, draining: set[str], network: str = isolation.NETWORK) -> Candidate | None:
    """Return the route a container (``docker inspect`` attributes) should get, if any."""
    name = attrs.get("Name", "").lstrip("/")
    parsed = naming.parse_container_name(name)
    if parsed is None or not parsed.routable or name in draining:
        return None
    if not attrs.get("State", {}).get("Running"):
        return None
    port = ports.environment_port(attrs.get("Config", {}).get("Env"))
    ip = isolation.container_ip(attrs, network)
    return Candidate(parsed.app, name, f"{ip}:{port}") if ip else None


def split_address(address: str) -> tuple[str, int]:
    """Split ``ip:port`` (the value format of a service key)."""
    host, _, port = address.rpartition(":")
    return host, int(port)
