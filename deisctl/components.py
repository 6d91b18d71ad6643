"""The platform's components, their tiers and the order deisctl runs them in.

Deis v1 started storage, then logging, then the control plane, the data plane
and the router mesh, and stopped them in reverse; locally the infrastructure
(etcd, Docker, Redis) comes first. A component whose code has not been built
yet is listed (so its place in the order is known) but cannot be installed or
started: deisctl says which issue brings it rather than pretending.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deis import keys
from deis.errors import EtcdUnavailable, ValidationError
from deis.etcd import Etcd, endpoint_from_env
from deis.paths import Paths
from deisctl import infrastructure as infra
from deisctl.infrastructure import Program
from router.nginx import Nginx
from router.render import NginxPaths

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
    #: A one-line health report for ``deisctl status`` (read from etcd), if it has one.
    report: Callable[[Environ], str] | None = None
    #: Seconds it may take to serve once started (``None``: the platform's default).
    ready_timeout: float | None = None
    #: The issue that builds it, while it is not built.
    issue: int | None = None
    #: Stops what serves on after its process stopped (the router's nginx); ``stop`` runs it,
    #: ``restart`` does not. Returns a line to print when it stopped something.
    halt: Callable[[Environ], str | None] | None = None
    help: str = ""

    @property
    def implemented(self) -> bool:
        """True when this component can be installed and started."""
        return self.program is not None


def deis_program(component: str, **options) -> Callable[[Paths, Environ], Program]:
    """Return a program builder running the ``deis-<component>`` console script (``options``: Program fields)."""

    def build(paths: Paths, environ: Environ) -> Program:
        script = Path(sys.executable).with_name(f"deis-{component}")
        return Program(argv=[str(script)], **options)

    return build


def component_port(environ: Environ, component: str, default: int) -> int:
    """Return the port a component listens on: ``DEIS_<COMPONENT>_PORT`` or ``default``."""
    return int(environ.get(f"DEIS_{component.upper()}_PORT", default))


def announced(component: str) -> Callable[[Environ], bool]:
    """Return a readiness probe: the component announced its port in etcd and accepts connections there.

    The announced port is probed (not the environment's), so a port set with
    ``deisctl config <component> set port=…`` is found as well.
    """

    def ready(environ: Environ) -> bool:
        try:
            port = Etcd(endpoint_from_env(environ), timeout=1.0).get(keys.port(component))
        except EtcdUnavailable:
            return False
        if not port or not port.isdigit():
            return False
        try:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=1.0):
                return True
        except OSError:
            return False

    return ready


#: The router's ports: setting name → default (env ``DEIS_ROUTER_<NAME>``).
ROUTER_PORTS = {"httpPort": 80, "httpsPort": 443, "builderPort": 2222, "healthPort": 9090}


def router_port(environ: Environ, name: str) -> int:
    """Return one of the router's ports from ``DEIS_ROUTER_<NAME>`` or its default."""
    return int(environ.get(f"DEIS_ROUTER_{name.upper()}", ROUTER_PORTS[name]))


def router_nginx(environ: Environ) -> Nginx:
    """The router's nginx: it outlives the router process, which adopts it when it starts again."""
    return Nginx(NginxPaths(Paths.from_env(environ).data("router")))


def _router_binds(environ: Environ) -> list[tuple[str, int]]:
    """The router's ports, unless its own nginx holds them (a restarted router adopts that nginx)."""
    if router_nginx(environ).pid() is not None:
        return []
    return [("0.0.0.0", router_port(environ, name)) for name in ROUTER_PORTS]


def _halt_router(environ: Environ) -> str | None:
    nginx = router_nginx(environ)
    pid = nginx.pid()
    if pid is None:
        return None
    nginx.stop()
    return f"nginx (pid {pid}) stopped"


def _health_check(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"GET /health-check HTTP/1.0\r\n\r\n")
            return conn.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _logger_address(environ: Environ, name: str, default: int) -> tuple[str, int]:
    """The logger's bind address and its syslog (``PORT``) or HTTP (``HTTPPORT``) port."""
    return environ.get("DEIS_LOGGER_BIND", "127.0.0.1"), int(environ.get(f"DEIS_LOGGER_{name}", default))


def loopback_unless_set(environ: Environ, component: str) -> str:
    """Return the address a component binds: ``DEIS_<COMPONENT>_BIND``, else loopback (the router proxies)."""
    return environ.get(f"DEIS_{component.upper()}_BIND") or "127.0.0.1"


def _etcd_has(environ: Environ, key: str) -> bool:
    """True when etcd answers and holds ``key`` (a component's announcement)."""
    try:
        return Etcd(endpoint_from_env(environ), timeout=1.0).get(key) is not None
    except EtcdUnavailable:
        return False


def _etcd_value(environ: Environ, key: str, template: str) -> str:
    try:
        value = Etcd(endpoint_from_env(environ), timeout=1.0).get(key)
    except EtcdUnavailable:
        return ""
    return template.format(value) if value else ""


def archive_report(status: dict) -> str:
    """Summarise WAL archiving for ``deisctl status`` (pure)."""
    waiting, failed = status.get("waiting", 0), status.get("failed", 0)
    text = f"WAL archived {status.get('archived', 0)}, waiting {waiting}"
    if "unarchivedAge" in status:
        text += f", oldest unarchived write {status['unarchivedAge']:.0f} s ago"
    return text + (f", failed attempts {failed} (is the store reachable?)" if failed else "")


def _archive_report(raw: str) -> str:
    try:
        return archive_report(json.loads(raw)) if raw else ""
    except ValueError:
        return ""


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
    Component(
        "store", "store", ("ceph-mon", "ceph-mgr", "ceph-osd", "radosgw", "ceph-common", "python3-rados"),
        program=deis_program("store"),
        ready=lambda env: _etcd_has(env, keys.component("store", "url")),
        report=lambda env: _etcd_value(env, keys.store_health(), "ceph: {}"),
        help="object storage (file, Ceph RADOS, S3)",
    ),
    Component(
        "logger", "logging", program=deis_program("logger"),
        binds=lambda env: [_logger_address(env, "PORT", 514), _logger_address(env, "HTTPPORT", 8088)],
        ready=announced("logs"),
        help="syslog server keeping per-app logs",
    ),
    Component(
        "logspout", "logging", ("docker.io",), program=deis_program("logspout"),
        ready=lambda env: _etcd_has(env, keys.host("logs")),
        help="ships container output to the logger",
    ),
    Component(
        "database", "control plane", ("postgresql",),
        # SIGTERM to deis-database alone: it pushes a last base backup, then stops
        # PostgreSQL; a group-wide SIGTERM would start PostgreSQL's shutdown first.
        deis_program("database", stop_as_group=False, stopwaitsecs=90),
        binds=lambda env: [("127.0.0.1", component_port(env, "database", 5432))],
        ready=announced("database"),
        # A start after a lost disk restores and replays WAL first; deis-database limits that itself.
        ready_timeout=3700.0,
        report=lambda env: _archive_report(_etcd_value(env, keys.database_archive("status"), "{}")),
        help="PostgreSQL for the controller (data in <data dir>/database)",
    ),
    Component(
        "registry", "control plane", ("docker-registry",), deis_program("registry"),
        binds=lambda env: [(env.get("DEIS_REGISTRY_BIND", "127.0.0.1"), component_port(env, "registry", 5000))],
        ready=announced("registry"),
        help="the Docker image registry (Distribution; blobs in <data dir>/registry or S3, Redis cache)",
    ),
    Component(
        "controller", "control plane", (), deis_program("controller"),
        binds=lambda env: [(loopback_unless_set(env, "controller"), component_port(env, "controller", 8000))],
        ready=announced("controller"),
        help="the REST API and scheduler",
    ),
    Component(
        "builder", "control plane", ("git", "debootstrap"), deis_program("builder"),
        binds=lambda env: [(loopback_unless_set(env, "builder"), component_port(env, "builder", 2223))],
        ready=announced("builder"),
        help="the git push SSH server and image builder (2223; the router forwards 2222)",
    ),
    Component("publisher", "data plane", program=deis_program("publisher"),
              help="announces routable containers in etcd"),
    Component(
        "router", "router", ("nginx", "libnginx-mod-stream"), deis_program("router"),
        binds=_router_binds, halt=_halt_router,
        ready=lambda env: _health_check(router_port(env, "healthPort")),
        help="nginx, configured from etcd (80, 443, 2222 to the builder, 9090 health)",
    ),
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


#: What ``stop platform`` leaves running unless it is named too. The Docker
#: engine runs the apps: Deis v1's ``stop platform`` never stopped the host's
#: Docker, and an engine stopped for long (even with ``--live-restore``, which
#: keeps the containers) leaves apps without restart policies, port proxies and
#: log reading — an app blocks once 64 KiB of its output waits for the engine.
KEPT_BY_PLATFORM_STOP = frozenset({"docker"})


def resolve_stop(targets: Iterable[str]) -> list[Component]:
    """Like :func:`resolve`, for stopping: ``platform`` leaves the Docker engine running unless named.

    ``stop platform`` stops the platform's own processes; ``stop docker`` or
    ``stop platform docker`` stops the engine as well.
    """
    named = tuple(targets)
    return [c for c in resolve(named) if c.name not in KEPT_BY_PLATFORM_STOP or c.name in named]


def start_order(components: Iterable[Component]) -> list[Component]:
    """Sort components by tier, keeping the table's order within a tier."""
    position = {c.name: i for i, c in enumerate(COMPONENTS)}
    return sorted(components, key=lambda c: (TIERS.index(c.tier), position[c.name]))


def stop_order(components: Iterable[Component]) -> list[Component]:
    """The reverse of :func:`start_order`."""
    return list(reversed(start_order(components)))
