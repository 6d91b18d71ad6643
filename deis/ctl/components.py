"""The platform's components, their tiers and the order deisctl runs them in.

Deis v1 started storage, then logging, then the control plane, the data plane
and the router mesh, and stopped them in reverse; locally the infrastructure
(etcd, Docker, Redis) comes first. A component whose code has not been built
yet is listed (so its place in the order is known) but cannot be installed or
started: deisctl says which issue brings it rather than pretending.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deis.ctl import infrastructure as infra
from deis.ctl.infrastructure import Program
from deis.ctl.paths import Paths
from deis.errors import ValidationError

TIERS = ("infrastructure", "store", "logging", "control plane", "data plane", "router")

Environ = Mapping[str, str]


@dataclass(frozen=True)
class Component:
    """One supervised part of the platform."""

    name: str
    tier: str
    #: Debian packages it needs.
    packages: tuple[str, ...] = ()
    #: Builds the supervisord program; ``None`` while the component is not built.
    program: Callable[[Paths, Environ], Program] | None = None
    #: Addresses it binds, checked free before start.
    binds: Callable[[Environ], list[tuple[str, int]]] = lambda environ: []
    #: True once it serves.
    ready: Callable[[Environ], bool] | None = None
    #: True when another copy (not ours) already serves; then we use that one.
    external: Callable[[Environ], bool] | None = None
    #: The issue that builds it, while it is not built.
    issue: int | None = None
    help: str = ""

    @property
    def implemented(self) -> bool:
        """True when this component can be installed and started."""
        return self.program is not None


def deis_program(component: str) -> Callable[[Paths, Environ], Program]:
    """Return a program builder running the ``deis-<component>`` console script."""

    def build(paths: Paths, environ: Environ) -> Program:
        script = Path(sys.executable).with_name(f"deis-{component}")
        return Program(argv=[str(script)])

    return build


COMPONENTS: tuple[Component, ...] = (
    Component(
        "etcd", "infrastructure", ("etcd-server",), infra.etcd_program,
        binds=lambda env: list(infra.etcd_addresses(env).values()),
        ready=infra.etcd_ready, external=infra.etcd_ready,
        help="the platform's key-value bus (v3 API, loopback)",
    ),
    Component(
        "docker", "infrastructure", ("docker.io", "iptables"), infra.docker_program,
        ready=infra.docker_ready, external=infra.docker_ready,
        help="the container engine (started only if none answers)",
    ),
    Component(
        "redis", "infrastructure", ("redis-server",), infra.redis_program,
        binds=lambda env: [infra.redis_address(env)], ready=infra.redis_ready,
        help="the registry's blob-descriptor cache",
    ),
    Component("store", "store", issue=6, help="object storage (file, Ceph RADOS, S3)"),
    Component("logger", "logging", issue=6, help="syslog server keeping per-app logs"),
    Component("logspout", "logging", issue=6, help="ships container output to the logger"),
    Component("database", "control plane", ("postgresql",), issue=7, help="PostgreSQL for the controller"),
    Component("registry", "control plane", ("docker-registry",), issue=4, help="the Docker image registry"),
    Component("controller", "control plane", issue=3, help="the REST API and scheduler"),
    Component("builder", "control plane", ("git",), issue=4, help="the git push SSH server and image builder"),
    Component("publisher", "data plane", issue=5, help="announces routable containers in etcd"),
    Component("router", "router", ("nginx",), issue=5, help="nginx, configured from etcd"),
)

BY_NAME = {component.name: component for component in COMPONENTS}
#: Names ``deisctl config`` accepts besides components.
CONFIG_TARGETS = frozenset(BY_NAME) | {"platform"}


def get(name: str) -> Component:
    """Return the component ``name`` or raise a ``ValidationError`` listing the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise ValidationError(f"unknown component {name!r}; known components: {known}, or 'platform'") from None


def resolve(targets: Iterable[str]) -> list[Component]:
    """Turn command-line targets into components in start order.

    ``platform`` (the default) means every built component. Naming a component
    that is not built yet is an error that says which issue brings it.
    """
    names = list(targets) or ["platform"]
    chosen: set[str] = set()
    for name in names:
        if name == "platform":
            chosen.update(c.name for c in COMPONENTS if c.implemented)
            continue
        component = get(name)
        if not component.implemented:
            raise ValidationError(
                f"{name} is not built yet (issue #{component.issue}); "
                f"'deisctl start platform' starts the components that are"
            )
        chosen.add(name)
    return start_order(BY_NAME[name] for name in chosen)


def start_order(components: Iterable[Component]) -> list[Component]:
    """Sort components by tier, keeping the table's order within a tier."""
    position = {c.name: i for i, c in enumerate(COMPONENTS)}
    return sorted(components, key=lambda c: (TIERS.index(c.tier), position[c.name]))


def stop_order(components: Iterable[Component]) -> list[Component]:
    """The reverse of :func:`start_order`."""
    return list(reversed(start_order(components)))
