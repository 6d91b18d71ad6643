"""``deisctl cluster bootstrap``: form a Swarm from hosts that run Docker, and label them.

Given the Docker API URL of each host (``unix:///…`` or ``tcp://…``) and the
address it advertises to the others, :func:`bootstrap`

1. asks every engine who it is before changing anything (an unreachable
   engine, an engine in another Swarm, or a ``--roles`` entry naming no host
   stops it with nothing made);
2. initialises the Swarm on the first host unless one of them already
   manages one; joins the others — as managers when there are 3 or more hosts
   (the first three: raft keeps a quorum when one is lost; with one manager,
   losing it freezes all scheduling) — and promotes a worker that should manage;
3. labels each node with its roles, Deis v1's fleet metadata
   (``controlPlane``, ``dataPlane``, ``routerMesh`` = ``true``; every role by
   default), removing a role label it should no longer carry and leaving
   other labels (an app's tags) alone;
4. records the managers' URLs (and the store URL, when given) in ``<data dir>/cluster.json``.

Run again on a formed cluster, it changes nothing and says so.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import docker
import requests

from deis.errors import ConfigurationError, TemporaryError, ValidationError
from deisctl.swarm import state
from deisctl.swarm.specs import NODE_HOSTNAME, ROLES, Settings

SWARM_PORT = 2377
Report = Callable[[str], None]


@dataclass(frozen=True)
class Engine:
    """A host's Docker API and the address its node advertises (None: Docker picks one)."""

    url: str
    address: str | None = None


def parse_engine(text: str) -> Engine:
    """Parse ``ENGINE[=ADDRESS]``, e.g. ``tcp://10.0.0.2:2375`` or ``unix:///run/h2.sock=10.0.0.2``."""
    url, separator, address = text.partition("=")
    scheme = urlsplit(url).scheme
    if scheme not in ("unix", "tcp"):
        raise ValidationError(f"{text!r} is not a Docker API URL; give unix:///path/docker.sock or "
                              "tcp://host:port, then =ADDRESS if the host has more than one address")
    if separator and not address:
        raise ValidationError(f"{text!r} has an empty address after '='")
    return Engine(url, address or (urlsplit(url).hostname if scheme == "tcp" else None))


def parse_roles(entries: Iterable[str]) -> dict[str, frozenset[str]]:
    """Parse ``--roles HOST=role,role`` entries (HOST: a hostname or advertise address)."""
    roles: dict[str, frozenset[str]] = {}
    for entry in entries:
        host, separator, names = entry.partition("=")
        chosen = frozenset(filter(None, (name.strip() for name in names.split(","))))
        unknown = sorted(chosen - set(ROLES))
        if not separator or not host or unknown:
            raise ValidationError(f"--roles {entry!r}: give HOST=ROLE[,ROLE...] with roles from "
                                  f"{', '.join(ROLES)}, e.g. --roles h3=dataPlane,routerMesh")
        roles[host] = chosen
    return roles


def manager_count(hosts: int) -> int:
    """How many of ``hosts`` manage: 3 from 3 hosts on (a quorum survives one loss), else 1."""
    return 3 if hosts >= 3 else 1


def role_labels(labels: Mapping[str, str], roles: Iterable[str]) -> dict[str, str]:
    """Return a node's labels with exactly ``roles`` set to ``true`` among :data:`ROLES`; others kept."""
    kept = {key: value for key, value in labels.items() if key not in ROLES}
    return {**kept, **{role: "true" for role in sorted(roles)}}


def docker_socket(engines: Iterable[Engine], hostnames: Iterable[str]) -> str:
    """Return the node's socket path the publisher and logspout mount, as one Swarm template.

    Engines reached over TCP (or one socket path everywhere) mean the usual
    ``/var/run/docker.sock``; per-host socket paths that differ only by the
    hostname (hosts sharing a filesystem, like the test bed) become
    ``…/{{.Node.Hostname}}/…``.
    """
    paths = {urlsplit(engine.url).path.replace(hostname, NODE_HOSTNAME)
             for engine, hostname in zip(engines, hostnames, strict=True) if engine.url.startswith("unix://")}
    if len(paths) == 1:
        return paths.pop()
    if not paths:
        return Settings.docker_socket
    raise ValidationError(f"the engines' sockets differ in more than their hostnames ({sorted(paths)}); "
                          "give the socket path every node has with --docker-socket")


def bootstrap(engines: list[Engine], roles: Mapping[str, frozenset[str]] | None = None,
              socket: str | None = None, report: Report = print, timeout: float = 30,
              store: str | None = None) -> state.ClusterState:
    """Form (or check) the Swarm of ``engines``, label its nodes, record it; return what was recorded."""
    if not engines:
        raise ValidationError("give at least one engine: deisctl cluster bootstrap unix:///var/run/docker.sock")
    if len({engine.url for engine in engines}) != len(engines):
        raise ValidationError("an engine is given twice; give each host's Docker API once")
    clients = [_connect(engine, timeout) for engine in engines]
    try:
        return _Bootstrap(engines, clients, roles or {}, report).run(socket, timeout, store)
    except docker.errors.APIError as exc:
        raise TemporaryError(f"the Swarm refused a step of the bootstrap: {exc.explanation or exc}; "
                             "fix that and run it again (steps already done are kept)") from exc
    finally:
        for client in clients:
            client.close()


def _connect(engine: Engine, timeout: float) -> docker.DockerClient:
    try:
        client = docker.DockerClient(base_url=engine.url, timeout=timeout)
        client.ping()
        return client
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise TemporaryError(f"cannot reach the Docker engine at {engine.url}: {exc}; nothing was changed") from exc


class _Bootstrap:
    """One run of :func:`bootstrap` over connected engines."""

    def __init__(self, engines: list[Engine], clients: list[docker.DockerClient],
                 roles: Mapping[str, frozenset[str]], report: Report):
        self.engines, self.clients, self.report = engines, clients, report
        self.infos = [client.info() for client in clients]
        self.hostnames = [info["Name"] for info in self.infos]
        self.roles = self._roles_by_hostname(roles)
        self.changed = False

    def _roles_by_hostname(self, roles: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
        by_name = {}
        for engine, hostname in zip(self.engines, self.hostnames, strict=True):
            by_name[hostname] = roles.get(hostname, roles.get(engine.address or "", frozenset(ROLES)))
        unknown = sorted(set(roles) - set(self.hostnames) - {engine.address for engine in self.engines})
        if unknown:
            raise ValidationError(f"--roles names {unknown}, which is no given host; hosts: {self.hostnames}")
        return by_name

    def run(self, socket: str | None, timeout: float, store: str | None = None) -> state.ClusterState:
        leader = self._leader()
        managers = manager_count(len(self.engines))
        for index, (engine, client) in enumerate(zip(self.engines, self.clients, strict=True)):
            if client is not leader:
                self._join(engine, client, leader, manage=index < managers)
        node_ids = [client.info()["Swarm"]["NodeID"] for client in self.clients]
        self._wait_until_ready(leader, node_ids, timeout)
        for index, (node_id, hostname) in enumerate(zip(node_ids, self.hostnames, strict=True)):
            self._converge_node(leader, node_id, hostname, manage=index < managers)
        return self._record(socket, node_ids, store)

    def _leader(self) -> docker.DockerClient:
        """The engine that manages the hosts' Swarm, after checking no host is in another; init one if none."""
        managing = [(client, info) for client, info in zip(self.clients, self.infos, strict=True)
                    if info["Swarm"].get("ControlAvailable")]
        clusters = {info["Swarm"]["Cluster"]["ID"] for _, info in managing}
        if len(clusters) > 1:
            raise ConfigurationError(f"the hosts manage {len(clusters)} different Swarms; "
                                     "leave all but one first ('docker swarm leave --force' on their hosts)")
        for hostname, info in zip(self.hostnames, self.infos, strict=True):
            swarm = info["Swarm"]
            if swarm["LocalNodeState"] not in ("inactive", "active"):
                raise ConfigurationError(f"{hostname}'s engine is in Swarm state {swarm['LocalNodeState']!r}; "
                                         "wait for it, or 'docker swarm leave --force' there")
            if swarm["LocalNodeState"] == "active" and not self._ours(swarm, managing):
                raise ConfigurationError(f"{hostname} is in another Swarm; 'docker swarm leave' there first "
                                         "(nothing was changed)")
        if managing:
            return managing[0][0]
        first, client = self.engines[0], self.clients[0]
        options = {"listen_addr": f"{first.address}:{SWARM_PORT}", "advertise_addr": first.address} \
            if first.address else {}
        client.swarm.init(**options)
        self._say(f"{self.hostnames[0]}: initialised the Swarm (manager)")
        return client

    @staticmethod
    def _ours(swarm: Mapping, managing: list) -> bool:
        if not managing:
            return False
        cluster = managing[0][1]["Swarm"]
        manager_addresses = {manager["Addr"] for manager in cluster.get("RemoteManagers") or []}
        return ((swarm.get("Cluster") or {}).get("ID") == cluster["Cluster"]["ID"]
                or bool(manager_addresses & {m["Addr"] for m in swarm.get("RemoteManagers") or []}))

    def _join(self, engine: Engine, client: docker.DockerClient, leader: docker.DockerClient, manage: bool) -> None:
        if client.info()["Swarm"]["LocalNodeState"] == "active":
            return
        leader.swarm.reload()
        tokens = leader.swarm.attrs["JoinTokens"]
        remotes = [manager["Addr"] for manager in leader.info()["Swarm"]["RemoteManagers"]]
        options = {"listen_addr": f"{engine.address}:{SWARM_PORT}", "advertise_addr": engine.address} \
            if engine.address else {}
        client.swarm.join(remote_addrs=remotes, join_token=tokens["Manager" if manage else "Worker"], **options)
        self._say(f"{client.info()['Name']}: joined as a {'manager' if manage else 'worker'}")

    def _wait_until_ready(self, leader: docker.DockerClient, node_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {node.id: node.attrs["Status"]["State"] for node in leader.nodes.list()}
            if all(states.get(node_id) == "ready" for node_id in node_ids):
                return
            if time.monotonic() > deadline:
                raise TemporaryError(f"the Swarm's nodes are not all ready after {timeout} s: {states}; "
                                     "run the bootstrap again once they are")
            time.sleep(0.2)

    def _converge_node(self, leader: docker.DockerClient, node_id: str, hostname: str, manage: bool) -> None:
        node = leader.nodes.get(node_id)
        spec = dict(node.attrs["Spec"])
        labels = role_labels(spec.get("Labels") or {}, self.roles[hostname])
        role = "manager" if manage or spec.get("Role") == "manager" else "worker"
        if labels == (spec.get("Labels") or {}) and role == spec.get("Role"):
            return
        node.update({**spec, "Labels": labels, "Role": role})
        if role != spec.get("Role"):
            self._say(f"{hostname}: promoted to manager")
        if labels != (spec.get("Labels") or {}):
            self._say(f"{hostname}: roles {', '.join(sorted(self.roles[hostname])) or '(none)'}")

    def _record(self, socket: str | None, node_ids: list[str], store: str | None) -> state.ClusterState:
        managers = [engine.url for engine, client in zip(self.engines, self.clients, strict=True)
                    if client.info()["Swarm"].get("ControlAvailable")]
        previous = _previous_state()
        settings = previous.settings if previous else Settings()
        settings = replace(settings, docker_socket=socket or docker_socket(self.engines, self.hostnames),
                           store=store or settings.store)
        recorded = state.ClusterState(tuple(managers), settings)
        if previous != recorded:
            state.save(recorded)
            self._say(f"recorded {len(managers)} manager(s) in {state.path()}")
        if not self.changed:
            self.report(f"the cluster of {len(node_ids)} host(s) is already formed as asked; nothing changed")
        return recorded

    def _say(self, line: str) -> None:
        self.changed = True
        self.report(line)


def _previous_state() -> state.ClusterState | None:
    with contextlib.suppress(ConfigurationError):
        return state.load()
    return None
