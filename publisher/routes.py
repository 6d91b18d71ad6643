"""Which containers get a route, and to which address (pure decisions).

A container is routable when its name is ours (``<app>_v<N>.<type>.<num>``),
its type is ``web`` or ``cmd``, it is running and it is not being drained. Its
route is the port named by its ``PORT`` environment variable (default 5000),
not blindly the lowest exposed port (a Deis v1 complaint): on the container's
own address when routers share this host, or on the host's address and the
published port when a host address is configured (routers elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from deis import naming

DEFAULT_PORT = 5000


@dataclass(frozen=True)
class Candidate:
    """A container that should be routed once it answers its health check."""

    app: str
    name: str
    address: str  # "ip:port"


def container_port(environment: list[str] | None) -> int:
    """Return the port an app listens on: its ``PORT`` variable, else 5000."""
    for item in environment or []:
        key, _, value = item.partition("=")
        if key == "PORT" and value.isdigit():
            return int(value)
    return DEFAULT_PORT


def candidate(attrs: dict, host: str, draining: set[str]) -> Candidate | None:
    """Return the route a container (``docker inspect`` attributes) should get, if any."""
    name = attrs.get("Name", "").lstrip("/")
    parsed = naming.parse_container_name(name)
    if parsed is None or not parsed.routable or name in draining:
        return None
    if not attrs.get("State", {}).get("Running"):
        return None
    port = container_port(attrs.get("Config", {}).get("Env"))
    address = _host_address(attrs, host, port) if host else _container_address(attrs, port)
    return Candidate(parsed.app, name, address) if address else None


def _container_address(attrs: dict, port: int) -> str | None:
    networks = attrs.get("NetworkSettings", {}).get("Networks") or {}
    for network in networks.values():
        if network.get("IPAddress"):
            return f"{network['IPAddress']}:{port}"
    return None


def _host_address(attrs: dict, host: str, port: int) -> str | None:
    bindings = (attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            return f"{host}:{binding['HostPort']}"
    return None


def split_address(address: str) -> tuple[str, int]:
    """Split ``ip:port`` (the value format of a service key)."""
    host, _, port = address.rpartition(":")
    return host, int(port)
