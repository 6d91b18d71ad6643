"""The data plane as Swarm service specs, and the level-triggered plan that applies them (pure).

:func:`service_specs` turns :class:`Settings` and the Swarm's nodes into one
service spec per component, in the Engine API's own shape (``Name``,
``Labels``, ``TaskTemplate``, ``Mode``, ``EndpointSpec``, ``UpdateConfig``)::

    deis-publisher  global                      its node's docker.sock, the apps overlay
    deis-logspout   global                      its node's docker.sock, the apps overlay
    deis-router     global on routerMesh nodes  80/443/2222/9090 published in mode=host;
                                                also on the platform overlay, where it reaches
                                                the controllers and builders (no port of theirs
                                                is published: :mod:`deisctl.swarm.control_specs`)

Why this shape, on this kernel (``../shared/multihost-notes.md``): there is
no IPVS, so no ingress mesh and no virtual IPs. Ports are published in
``mode=host`` (each router on its own node's address) and every service on
an overlay uses the ``dnsrr`` endpoint mode. All three join the apps overlay
(:data:`deis.isolation.NETWORK`): a router proxies to app tasks on any node
at their overlay address, and a publisher can only probe its node's app
containers from inside that network.

**Each task's etcd.** ``DEIS_ETCD`` takes a list of members and a client
moves on to the next when the one it talks to stops answering
(:mod:`deis.etcdmembers`). Each task is given its own node's member first,
then every node's member::

    DEIS_ETCD=http://deis-etcd-{{.Node.ID}}:2379,http://deis-etcd-<n1>:2379,http://deis-etcd-<n2>:2379,…

Swarm expands the template per task; the member named twice counts once, at
its first place, so a task talks to its own node's etcd (no hop across the
network while it answers) and falls back to the others in node-ID order.
Members are named by alias, and every task's ``/etc/hosts`` maps each node's
``deis-etcd-<node ID>`` to that node's address, because the one value must
name "my node's member" before Swarm places the task and only the node ID
can be templated. A node that joins changes the list and the map, so the
next ``start platform`` rolls the services once. ``Settings.etcd`` gives one
value (one endpoint or a list) to all tasks instead.

**Level-triggered.** Every spec carries :data:`COMPONENT_LABEL` and
:data:`HASH_LABEL`, a hash of the spec without it. :func:`plan` compares the
desired hashes with the services found: create the missing, update the
changed, leave the equal alone (an update would restart their tasks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from deis import PLATFORM_VERSION, isolation
from deisctl.components import ROUTER_PORTS  # inside the router's container: its settings' defaults

#: The service label naming the platform component a service runs.
COMPONENT_LABEL = "com.deis.component"
#: The service label holding the hash of the rest of its spec.
HASH_LABEL = "com.deis.spec-hash"
#: Node labels, Deis v1's fleet metadata: what a node is for.
ROLES = ("controlPlane", "dataPlane", "routerMesh")
#: The components that run on the cluster as Swarm services in this step of issue 18.
CLUSTER_COMPONENTS = ("publisher", "logspout", "router")
#: Swarm's template for the node a task runs on (expanded in Env and mount sources).
NODE_ID = "{{.Node.ID}}"
NODE_HOSTNAME = "{{.Node.Hostname}}"


@dataclass(frozen=True)
class Node:
    """What a spec needs of one Swarm node: its ID and the address it advertises."""

    id: str
    address: str


@dataclass(frozen=True)
class Settings:
    """How the platform's services are made; stored in ``cluster.json`` by ``deisctl cluster bootstrap``."""

    #: Images are ``<repository>/<component>:<tag>`` (``deisctl images build`` makes ``deis/…:v<version>``).
    repository: str = "deis"
    tag: str = f"v{PLATFORM_VERSION}"
    #: The attachable overlay the routers reach app tasks on (the platform's ``appNetwork``).
    network: str = isolation.NETWORK
    #: The Docker socket on each node; may hold Swarm templates such as ``{{.Node.Hostname}}``.
    docker_socket: str = "/var/run/docker.sock"
    #: One etcd endpoint for every task; empty: each node's own member at its address.
    etcd: str = ""
    etcd_port: int = 2379
    #: The router's ports on its node: setting name → published port.
    router_ports: Mapping[str, int] = field(default_factory=lambda: dict(ROUTER_PORTS))
    restart_delay: float = 2.0
    stop_grace: float = 10.0
    #: The platform's store URL (``cluster bootstrap --store``), given to the components that keep data.
    store: str = ""
    #: The overlay the control plane talks on (the database is reachable only there).
    platform_network: str = "deis-platform"
    #: Task counts ``deisctl scale`` recorded, by component (the control plane's defaults otherwise).
    replicas: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping) -> Settings:
        """Read settings as :meth:`to_dict` wrote them, ignoring unknown keys."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def to_dict(self) -> dict:
        """Return the settings as JSON-ready values."""
        return {name: (dict(value) if isinstance(value, Mapping) else value)
                for name in self.__dataclass_fields__ for value in [getattr(self, name)]}

    def image(self, component: str) -> str:
        """The image a component's tasks run."""
        return f"{self.repository}/{component}:{self.tag}"


def etcd_alias(node_id: str) -> str:
    """The name a task's ``/etc/hosts`` gives the etcd member of node ``node_id``."""
    return f"deis-etcd-{node_id}"


def _etcd(settings: Settings, nodes: Iterable[Node]) -> tuple[str, list[str]]:
    """The ``DEIS_ETCD`` value (own node's member first, then all) and the ``/etc/hosts`` lines naming them."""
    if settings.etcd:
        return settings.etcd, []
    nodes = sorted(nodes, key=lambda node: node.id)
    members = [f"http://{etcd_alias(node_id)}:{settings.etcd_port}" for node_id in [NODE_ID, *(n.id for n in nodes)]]
    return ",".join(members), [f"{node.address} {etcd_alias(node.id)}" for node in nodes]


def _nanoseconds(seconds: float) -> int:
    return int(seconds * 1e9)


def _task_template(settings: Settings, component: str, nodes: Iterable[Node], env: Mapping[str, str],
                   mounts: list[dict], constraints: list[str]) -> dict:
    etcd, hosts = _etcd(settings, nodes)
    environment = {"DEIS_ETCD": etcd, "HOST": NODE_HOSTNAME, **env}
    container = {
        "Image": settings.image(component),
        "Env": [f"{name}={value}" for name, value in sorted(environment.items())],
        "Labels": {COMPONENT_LABEL: component},
        "Mounts": mounts,
        "StopGracePeriod": _nanoseconds(settings.stop_grace),
        "Hosts": hosts,
    }
    return {
        "ContainerSpec": container,
        "RestartPolicy": {"Condition": "any", "Delay": _nanoseconds(settings.restart_delay)},
        "Placement": {"Constraints": constraints},
        "Networks": [{"Target": settings.network}],
    }


def health_check(port: int, path: str) -> dict:
    """A task's health check: ``GET path`` on its own ``port`` answers 200 (pure).

    Swarm reports a task with a health check running only once it is
    healthy, so a rolling update (``deisctl rolling-restart``, ``upgrade``)
    stops the next node's task only after the new one serves, and ``start``
    waits for serving tasks. The probe is the image's own python3 without
    site packages (no HTTP client in the image; a few milliseconds); a task
    is killed and replaced only after it failed for about a minute.
    """
    probe = (f"import socket,sys; s=socket.create_connection(('127.0.0.1',{port}),5); "
             f"s.sendall(b'GET {path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n'); "
             "sys.exit(b' 200 ' not in s.recv(64))")
    return {"Test": ["CMD", "python3", "-I", "-S", "-c", probe], "Interval": _nanoseconds(2),
            "Timeout": _nanoseconds(10), "Retries": 5, "StartPeriod": _nanoseconds(600)}


def _docker_socket(settings: Settings) -> list[dict]:
    return [{"Type": "bind", "Source": settings.docker_socket, "Target": "/var/run/docker.sock"}]


def _ports(settings: Settings) -> list[dict]:
    return [{"Protocol": "tcp", "TargetPort": ROUTER_PORTS[name], "PublishedPort": published,
             "PublishMode": "host"} for name, published in sorted(settings.router_ports.items())]


def _service(component: str, template: dict, ports: list[dict] | None = None) -> dict:
    return {
        "Name": f"deis-{component}",
        "Labels": {COMPONENT_LABEL: component},
        "TaskTemplate": template,
        "Mode": {"Global": {}},
        "EndpointSpec": {"Mode": "dnsrr", "Ports": ports or []},
        # stop-first: a router's host ports are free again before its successor binds them.
        "UpdateConfig": {"Parallelism": 1, "Order": "stop-first", "FailureAction": "pause"},
    }


def service_specs(settings: Settings, nodes: Iterable[Node]) -> dict[str, dict]:
    """Return the desired service spec of each cluster component, by component name, hashed."""
    nodes = list(nodes)
    socket = _docker_socket(settings)
    router = _task_template(settings, "router", nodes, {}, [], ["node.labels.routerMesh==true"])
    router["Networks"] = [*router["Networks"], {"Target": settings.platform_network}]
    router["ContainerSpec"]["Healthcheck"] = health_check(ROUTER_PORTS["healthPort"], "/health-check")
    specs = {
        "publisher": _service("publisher", _task_template(settings, "publisher", nodes, {}, socket, [])),
        "logspout": _service("logspout", _task_template(settings, "logspout", nodes, {}, socket, [])),
        "router": _service("router", router, _ports(settings)),
    }
    return {component: hashed(spec) for component, spec in specs.items()}


def spec_hash(spec: Mapping) -> str:
    """Return a short, stable hash of ``spec`` without its own hash label."""
    labels = {key: value for key, value in (spec.get("Labels") or {}).items() if key != HASH_LABEL}
    canonical = json.dumps({**spec, "Labels": labels}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def hashed(spec: Mapping) -> dict:
    """Return ``spec`` with :data:`HASH_LABEL` set to its hash."""
    return {**spec, "Labels": {**(spec.get("Labels") or {}), HASH_LABEL: spec_hash(spec)}}


@dataclass(frozen=True)
class Plan:
    """What applying the desired specs does, by component name."""

    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        """True when applying it changes the cluster."""
        return bool(self.create or self.update)


#: Swarm's update states that mean an update stopped short of the service's spec.
UPDATE_STOPPED = {
    "paused": "paused the update",
    "rollback_started": "is rolling the update back",
    "rollback_paused": "paused rolling the update back",
    "rollback_completed": "rolled the update back",
}


def stopped_update(service: Mapping) -> str | None:
    """What Swarm did when the service's last update stopped short (paused, rolled back), or None (pure).

    Such a service has the desired spec but not its tasks: ``start`` and
    ``upgrade`` update it again, with :func:`resumed`.
    """
    status = service.get("UpdateStatus") or {}
    if status.get("State") not in UPDATE_STOPPED:
        return None
    message = status.get("Message")
    return f"Swarm {UPDATE_STOPPED[status['State']]}" + (f": {message}" if message else "")


def bumped(spec: Mapping) -> dict:
    """``spec`` with ``TaskTemplate.ForceUpdate`` counted up: what makes Swarm replace every task (pure)."""
    template = spec["TaskTemplate"]
    return {**spec, "TaskTemplate": {**template, "ForceUpdate": int(template.get("ForceUpdate", 0)) + 1}}


def resumed(spec: Mapping, service: Mapping) -> Mapping:
    """``spec``, forced past the service's own ForceUpdate when its last update stopped short (pure).

    The same spec again would not make Swarm replace the task that failed.
    ``start`` and ``upgrade`` send this.
    """
    if stopped_update(service) is None:
        return spec
    current = service["Spec"]["TaskTemplate"].get("ForceUpdate", 0)
    return bumped({**spec, "TaskTemplate": {**spec["TaskTemplate"], "ForceUpdate": current}})


def plan(desired: Mapping[str, Mapping], found: Mapping[str, Mapping]) -> Plan:
    """Decide, per component, to create, update or keep its service.

    ``found`` maps component name to the labels of its existing service; a
    service whose hash label differs from the desired spec's (or has none:
    made by hand) is updated.
    """
    create, update, keep = [], [], []
    for component, spec in desired.items():
        if component not in found:
            create.append(component)
        elif (found[component] or {}).get(HASH_LABEL) != spec["Labels"][HASH_LABEL]:
            update.append(component)
        else:
            keep.append(component)
    return Plan(tuple(create), tuple(update), tuple(keep))
