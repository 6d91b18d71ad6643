"""Install, start, stop and report components on this host.

A start walks the components in order and waits until each one serves before
starting the next. If one fails, everything this call started is stopped
again, in reverse, so a failed ``deisctl start`` leaves nothing half-started.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import docker
import psutil

from deis import etcdauth, filemodes, isolation, keys
from deis.errors import ConfigurationError, DeisError, EtcdUnavailable
from deis.etcd import Etcd, endpoint_from_env
from deis.paths import Paths
from deisctl import components as catalogue
from deisctl import infrastructure, packages
from deisctl.components import Component
from deisctl.supervisor import Supervisor, SupervisorError

#: How long a component may take to serve after its process is up.
READY_TIMEOUT = 60.0
#: v1's refusal of ``install platform`` without a domain (cluster mode says the same).
MISSING_DOMAIN = "Missing platform domain, use: deisctl config platform set domain=<your-domain>"
#: Seconds between "still starting" lines while a slow component (a restoring database) starts.
PROGRESS_INTERVAL = 15.0


class StartError(DeisError):
    """A component could not be started; the message says why and what to do."""


@dataclass(frozen=True)
class Status:
    """One row of ``deisctl status``."""

    name: str
    state: str
    pid: int | None = None
    uptime: float | None = None
    restarts: int | None = None
    note: str = ""


class Platform:
    """The platform on this host, as deisctl drives it."""

    def __init__(
        self,
        paths: Paths | None = None,
        environ: Mapping[str, str] | None = None,
        echo: Callable[[str], None] = print,
    ):
        self.environ = dict(os.environ if environ is None else environ)
        self.paths = paths or Paths.from_env(self.environ)
        self.supervisor = Supervisor(self.paths)
        self.echo = echo

    def etcd(self) -> Etcd:
        """Return a client of the platform's etcd."""
        return Etcd(endpoint_from_env(self.environ), environ=self.environ)

    # -- install ---------------------------------------------------------------

    def install(self, components: Iterable[Component]) -> None:
        """Install packages and register the programs of ``components``."""
        chosen = list(components)
        packages.ensure([p for c in chosen for p in c.packages], echo=self.echo)
        for component in chosen:
            self.supervisor.install(component.name, component.program(self.paths, self.environ), self.environ)
            self.echo(f"{component.name}: installed")

    def uninstall(self, components: Iterable[Component]) -> None:
        """Stop and unregister ``components``; their data stays on disk."""
        chosen = catalogue.stop_order(components)
        self.stop(chosen)
        for component in chosen:
            self.supervisor.uninstall(component.name)
            self.echo(f"{component.name}: uninstalled (data kept in {self.paths.data(component.name)})")
        if not self.supervisor.installed():
            self.supervisor.shutdown()
        if any(component.name == "docker" for component in chosen):
            self._remove_isolation()

    def _remove_isolation(self) -> None:
        """Remove empty app networks and their firewall rules (apps still running keep theirs)."""
        if not infrastructure.docker_ready(self.environ):
            return
        client = docker.DockerClient(base_url=infrastructure.docker_host(self.environ), timeout=10)
        try:
            for name in isolation.teardown(client):
                self.echo(f"docker: removed app network {name} and its firewall rules")
        finally:
            client.close()

    def require_domain(self) -> str:
        """Return the platform domain or raise, as v1's ``install platform`` did."""
        started = self.ensure_etcd()
        domain = self.etcd().get(keys.platform("domain"))
        if not domain:
            if started:
                self.stop([catalogue.get("etcd")])
            raise ConfigurationError(MISSING_DOMAIN)
        return domain

    def ensure_etcd(self) -> bool:
        """Bring etcd up if it does not answer (configuration lives in it).

        Returns True when this call started it.
        """
        etcd = catalogue.get("etcd")
        if etcd.ready(self.environ):
            self.secure_etcd()
            return False
        if "etcd" not in self.supervisor.installed():
            self.install([etcd])
        self.start([etcd])
        return True

    def secure_etcd(self) -> None:
        """Make etcd require the root password (generated once into the data dir); idempotent.

        An etcd without authentication (a platform from before, or a new one)
        gets its ``root`` user and authentication here, in place; see
        :mod:`deis.etcdauth` for why the secrets stay in etcd.
        """
        password = etcdauth.ensure_password(self.environ)
        if self.etcd().enable_auth(password):
            self.echo(f"etcd: authentication enabled (root password in {etcdauth.password_file(self.environ)})")

    # -- start / stop ------------------------------------------------------------

    def start(self, components: Iterable[Component]) -> None:
        """Start ``components`` in order; on failure stop what this call started."""
        self.supervisor.ensure_running()
        self._tighten_data()
        started: list[Component] = []
        try:
            for component in catalogue.start_order(components):
                if self._start_one(component):
                    started.append(component)
                if component.name == "etcd":
                    self.secure_etcd()
        except (StartError, SupervisorError, ConfigurationError, EtcdUnavailable):
            for component in reversed(started):
                self.supervisor.stop(component.name)
                self.echo(f"{component.name}: stopped again")
            if not self.supervisor.any_running():
                self.supervisor.shutdown()
            raise

    def _tighten_data(self) -> None:
        """Take group/other access from files a platform wrote before umask 077 (dockerd's own excepted)."""
        changed = filemodes.tighten(self.paths.root, skip=frozenset({"docker"}))
        if changed:
            self.echo(f"data directory: {changed} files and folders made private to the platform")

    def stop(self, components: Iterable[Component], halt: bool = True) -> None:
        """Stop ``components`` in reverse order; stop supervisord once idle.

        ``halt=False`` (a restart) leaves serving what a component's ``halt``
        would stop — the router's nginx keeps serving until the router adopts it.
        """
        if not self.supervisor.running():
            return
        for component in catalogue.stop_order(components):
            info = self.supervisor.info(component.name)
            if info is not None and info.state not in {"STOPPED", "EXITED", "FATAL"}:
                self.echo(f"{component.name}: stopping")
                self.supervisor.stop(component.name)
                self.echo(f"{component.name}: stopped")
            if halt and component.halt is not None and (note := component.halt(self.environ)):
                self.echo(f"{component.name}: {note}")
        if not self.supervisor.any_running():
            self.supervisor.shutdown()

    def _start_one(self, component: Component) -> bool:
        """Start one component; return False when it already served."""
        info = self.supervisor.info(component.name)
        if info is not None and info.state == "RUNNING":
            self.echo(f"{component.name}: already running (pid {info.pid})")
            return False
        if component.external is not None and component.external(self.environ):
            self.echo(f"{component.name}: already served by a process deisctl does not manage; using it")
            return False
        if component.name not in self.supervisor.installed():
            raise StartError(f"{component.name} is not installed: run 'deisctl install {component.name}' first")
        self._check_binds(component)
        self.echo(f"{component.name}: starting")
        begun = time.monotonic()
        self.supervisor.start(component.name)
        self._wait_ready(component)
        info = self.supervisor.info(component.name)
        self.echo(f"{component.name}: running (pid {info.pid}, {time.monotonic() - begun:.1f} s)")
        return True

    def _check_binds(self, component: Component) -> None:
        for host, port in component.binds(self.environ):
            owner = port_owner(host, port)
            if owner is not None:
                raise StartError(
                    f"cannot start {component.name}: {host}:{port} is already in use by {owner}; "
                    f"stop that process or configure another port (see 'deisctl --help')"
                )

    def _wait_ready(self, component: Component) -> None:
        if component.ready is None:
            return
        limit = component.ready_timeout or READY_TIMEOUT
        begun = time.monotonic()
        deadline, next_note = begun + limit, begun + PROGRESS_INTERVAL
        while not component.ready(self.environ):
            if time.monotonic() > next_note:
                next_note += PROGRESS_INTERVAL
                self.echo(f"{component.name}: still starting ({time.monotonic() - begun:.0f} s; "
                          f"'deisctl journal {component.name}' shows what it does)")
            info = self.supervisor.info(component.name)
            if info is None or info.state not in {"RUNNING", "STARTING"}:
                self.supervisor.stop(component.name)
                raise StartError(
                    f"{component.name} exited while starting; see 'deisctl journal {component.name}'"
                )
            if time.monotonic() > deadline:
                self.supervisor.stop(component.name)
                raise StartError(
                    f"{component.name} did not answer within {limit:.0f} s; "
                    f"see 'deisctl journal {component.name}'"
                )
            time.sleep(0.2)

    # -- status ------------------------------------------------------------------

    def status(self, components: Iterable[Component]) -> list[Status]:
        """Return one :class:`Status` per component, in start order."""
        restarts = self.supervisor.restarts()
        installed = set(self.supervisor.installed())
        return [self._status_of(c, installed, restarts) for c in catalogue.start_order(components)]

    def _status_of(self, component: Component, installed: set[str], restarts: dict[str, int]) -> Status:
        if not component.implemented:
            return Status(component.name, "not built", note=f"arrives with issue #{component.issue}")
        info = self.supervisor.info(component.name)
        if info is not None and info.state in {"RUNNING", "STARTING", "BACKOFF", "STOPPING"}:
            report = component.report(self.environ) if component.report and info.state == "RUNNING" else ""
            return Status(
                component.name, info.state.lower(), info.pid or None, info.uptime,
                restarts.get(component.name, 0),
                note=report if info.state == "RUNNING" else info.description,
            )
        if component.external is not None and component.external(self.environ):
            return Status(component.name, "external", note="served by a process deisctl does not manage")
        if component.name not in installed:
            return Status(component.name, "not installed")
        note = info.description if info is not None and info.state in {"FATAL", "EXITED"} else ""
        state = "failed" if info is not None and info.state == "FATAL" else "stopped"
        return Status(component.name, state, note=note)


def port_owner(host: str, port: int) -> str | None:
    """Describe the process listening on ``host:port`` ('pid 12 (etcd)'), or None if free."""
    try:
        for conn in psutil.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.laddr.ip in {host, "0.0.0.0", "::"}:
                    return _describe(conn.pid)
    except psutil.AccessDenied:
        pass
    # Fallback without process details: can we bind it?
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers do: connections lingering in TIME_WAIT do not block a bind.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return "another process"
    return None


def _describe(pid: int | None) -> str:
    if pid is None:
        return "another process"
    try:
        return f"pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:
        return f"pid {pid}"
