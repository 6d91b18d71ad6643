"""The control plane as Swarm service specs (pure): logger, database, registry, controller, builder.

:func:`control_specs` adds to :func:`deisctl.swarm.specs.service_specs`::

    deis-logger      replicated 1  controlPlane  514/tcp+udp, 8088 on its node   node address
    deis-database    replicated 1  controlPlane  platform overlay only           overlay address
    deis-registry    global        every node    5000 on its node                node address
    deis-controller  replicated 2  controlPlane, at most 1 per node; no port     platform overlay address
    deis-builder     replicated 2  controlPlane, at most 1 per node; no port     overlay address

**Addresses.** Each component announces ``/deis/<c>/host`` from its ``HOST`` /
``DEIS_<C>_HOST`` setting, and Swarm has no template for a node's address or a
task's IP, so each task's entrypoint is a fixed ``sh -c`` line (no setting
reaches it) that looks its address up and exports it before it ``exec``\\ s the
console script:

* **node address** (the logger, registry): each task's
  ``/etc/hosts`` maps ``deis-node-<node ID>`` to every node's address, and
  ``DEIS_NODE_ID={{.Node.ID}}`` names its own; the port is published in
  ``mode=host`` (no IPVS here: no ingress, no VIP). This is Deis v1's model
  (``HOST=$COREOS_PRIVATE_IPV4``, ``-p``), and the registry needs it anyway:
  the Docker engines that pull are in the nodes' namespaces and cannot reach
  an overlay address. Routers and logspouts on the apps overlay reach a node
  address through their node's ``docker_gwbridge``, as they reach etcd.
* **overlay address** (the database, the builder): only platform components
  talk to them, so each listens on its address on the platform overlay (its
  container's own entry in ``/etc/hosts``), publishes nothing on any node,
  and stays off the apps' network.
* **platform overlay address** (the controller): it is on the apps overlay
  too (its scheduler probes app tasks there), and ``/etc/hosts`` then names
  its container once per network in an order Docker does not promise, so
  its entrypoint asks its node's engine (:mod:`deis.taskaddress`).

  Why the controller and the builder publish no port: a port published on a
  node binds every address of it, and a client there would reach the API
  past the router's whitelist and TLS, or the builder's SSH past the router.
  The routers join the platform overlay instead
  (:func:`deisctl.swarm.specs.service_specs`) and reach every instance at its
  announced address (``/deis/<c>/hosts/*``), as the builder reaches the
  controller. Components bind ``0.0.0.0`` inside their containers.

**A registry on every node.** ``deis-registry`` is global: each node's
engine pushes builds to, and pulls them from, the registry on its own node at
``127.0.0.1:5000`` (Docker trusts plain HTTP on loopback), and all of them
keep their blobs on the shared store. An image is therefore named
``127.0.0.1:5000/<app>:git-…`` (``DEIS_REGISTRY_IMAGEHOST``), a name that
holds no node's address: when a node dies, an app task Swarm moves to a node
that never had the image pulls it from that node's registry. (With one
registry, images carried its node's address, and after that node died they
could not be pulled anywhere until the app was pushed again.) None of them
collects garbage (``DEIS_REGISTRY_COLLECT=false``): a collection deletes the
blobs of any push in flight, and another node's registry may be taking one.
Image hygiene still deletes old tags; their blobs stay on the store. No Redis
runs on the cluster yet, so each one's blob-descriptor cache is in memory
(``DEIS_REDIS_HOST`` empty), which holds nothing stale while nothing deletes
blobs.

**The store.** :attr:`Settings.store` (``cluster bootstrap --store URL``) is
given to the logger and the database as ``storeUrl`` and becomes the
registry's folder. A ``file://`` store is a folder every node mounts at the
same path (an operator's NFS mount; on the bed all hosts share this machine's
filesystem); it is bind-mounted into those tasks.

**The database's data folder lives and dies with its task**: an anonymous
volume, a new one for every task and never reused (measured on the bed: it
goes when Swarm prunes the dead task's container, task history 5 by default),
so every task Swarm starts restores from the store.
A named volume per node would outlive the task, and ``database/restore.py``
always uses an existing data folder as it is (v1 lost databases by wiping
one) — so a database that moved away and later came back to a node would
serve that node's stale copy. A clean stop pushes a last base backup, so an
update loses nothing; a crash loses at most ``archiveTimeout`` of commits.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from deis.errors import ValidationError
from deisctl.swarm import specs

#: The control-plane components, in start order within their tiers.
COMPONENTS = ("logger", "database", "registry", "controller", "builder")
#: Tiers as Deis v1 started them; ``start platform`` waits for each before the next.
TIERS = (
    ("logging", ("logger", "logspout")),
    ("control plane", ("database", "registry", "controller", "builder")),
    ("data plane", ("publisher",)),
    ("router", ("router",)),
)
#: Replicated components and their task count unless ``deisctl scale`` set one.
REPLICAS = {"logger": 1, "database": 1, "controller": 2, "builder": 2}
#: Components with one task on every node (see the module's text on the registry).
GLOBAL = frozenset({"registry"})
#: Components that may run more than one task (at most one per node).
SCALABLE = frozenset({"controller", "builder"})
#: The registry's port, published on its node (its setting's default).
REGISTRY_PORT = 5000
#: Ports published on the node of each task: (target, protocol).
PORTS = {
    "logger": ((514, "tcp"), (514, "udp"), (8088, "tcp")),
    "registry": ((REGISTRY_PORT, "tcp"),),  # the nodes' engines pull from it, and they are on no overlay
}
#: Where each component's entrypoint finds the address it announces (see the module docstring).
ADDRESSES = {"logger": "node", "database": "overlay", "registry": "node", "controller": "platform",
             "builder": "overlay"}
#: Each kind of address: the shell command printing it first, and what to name when there is none.
_LOOKUPS = {
    "node": ('getent hosts "deis-node-$DEIS_NODE_ID"', "deis-node-$DEIS_NODE_ID"),
    "overlay": ('getent hosts "$(cat /etc/hostname)"', "$(cat /etc/hostname)"),
    "platform": ('python3 -m deis.taskaddress "$DEIS_PLATFORM_NETWORK"', "$DEIS_PLATFORM_NETWORK"),
}
#: The settings of each component that hold its announced address.
HOST_VARIABLES = {component: ("HOST", f"DEIS_{component.upper()}_HOST") for component in COMPONENTS}
STORE_SCHEMES = ("file", "s3", "rados")
#: The controller's port inside its container (its setting's default), where its health check asks.
CONTROLLER_PORT = 8000
#: The database's data dir inside its container (``<this>/database``, on the task's anonymous volume).
DATA_DIR = "/var/lib/deis"
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/-]*\Z")


def service_name(component: str) -> str:
    """The Swarm service of ``component``, which is also its tasks' name on their overlays (dnsrr)."""
    return f"deis-{component}"


def node_alias(node_id: str) -> str:
    """The name a task's ``/etc/hosts`` gives node ``node_id``'s address."""
    return f"deis-node-{node_id}"


def check_store(url: str) -> str:
    """Return ``url`` if it is a store URL a cluster can use; refuse it with what to give instead."""
    parts = urlsplit(url)
    if parts.scheme not in STORE_SCHEMES:
        raise ValidationError(f"store {url!r}: give file:///PATH (a folder every host mounts at that path), "
                              "s3://BUCKET or rados://POOL")
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc or not _SAFE_PATH.match(path) or posixpath.normpath(path) != path or path == "/":
            raise ValidationError(f"store {url!r}: a file:// store is an absolute folder such as "
                                  "file:///srv/deis-store (letters, digits, . _ - /; no '..')")
    elif not parts.netloc:
        raise ValidationError(f"store {url!r} names no bucket or pool")
    return url


def store_folder(url: str) -> str:
    """The folder of a ``file://`` store ('' for another scheme)."""
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else ""


def address_command(component: str, where: str | None = None) -> list[str]:
    """The task's entrypoint: export its address (``where``, default :data:`ADDRESSES`), then run the component.

    A fixed line: no setting or user text reaches the shell.
    """
    lookup, name = _LOOKUPS[where or ADDRESSES[component]]
    variables = " ".join(f'{variable}="$1"' for variable in HOST_VARIABLES[component])
    script = (f"set -- $({lookup}); "
              f'[ -n "$1" ] || {{ echo "deis-{component}: no address for {name}" >&2; exit 1; }}; '
              f"export {variables}; exec /usr/local/bin/deis-{component}")
    return ["/bin/sh", "-c", script]


def _mounts(settings: specs.Settings, component: str) -> list[dict]:
    mounts = []
    if component in ("controller", "builder"):
        mounts.append({"Type": "bind", "Source": settings.docker_socket, "Target": "/var/run/docker.sock"})
    folder = store_folder(settings.store)
    if folder and component in ("logger", "database", "registry"):
        mounts.append({"Type": "bind", "Source": folder, "Target": folder})
    if component == "database":
        # Anonymous: removed with the task's container. Its folder is 0755, which PostgreSQL's
        # user needs to reach the data dir (the platform's own folders are made private).
        mounts.append({"Type": "volume", "Target": DATA_DIR})
    return mounts


def _environment(settings: specs.Settings, component: str) -> dict[str, str]:
    env = {"DEIS_NODE_ID": specs.NODE_ID}
    if component == "database":
        env["DEIS_DATA_DIR"] = DATA_DIR  # PostgreSQL listens on its overlay address: no bind setting
    else:
        env[f"DEIS_{component.upper()}_BIND"] = "0.0.0.0"
    if component in ("logger", "database") and settings.store:
        env[f"DEIS_{component.upper()}_STOREURL"] = settings.store
    if component == "registry":
        env.update(DEIS_REDIS_HOST="",  # its blob-descriptor cache in memory: no Redis runs on the cluster yet
                   DEIS_REGISTRY_IMAGEHOST="127.0.0.1", DEIS_REGISTRY_COLLECT="false")
    if component == "registry" and store_folder(settings.store):
        env["DEIS_REGISTRY_STORAGEDIR"] = posixpath.join(store_folder(settings.store), "registry")
    elif component == "registry" and settings.store:  # S3: this URL's bucket and endpoint, not etcd's
        env.update(DEIS_REGISTRY_STOREBACKEND=urlsplit(settings.store).scheme, DEIS_REGISTRY_STOREURL=settings.store)
    if component == "controller":
        env.update(DEIS_CONTROLLER_SCHEDULERMODULE="swarm", DEIS_CONTROLLER_SWARMMANAGER="unix:///var/run/docker.sock",
                   DEIS_PLATFORM_NETWORK=settings.platform_network,
                   # Its task's name on the platform overlay follows it wherever Swarm restarts it.
                   DEIS_CONTROLLER_DATABASEHOST=service_name("database"))
    if component == "builder":
        # Its image must reach the registry: an app task on another node could not run it otherwise.
        env.update(DOCKER_HOST="unix:///var/run/docker.sock", DEIS_BUILDER_REQUIREREGISTRY="true")
    return env


def _task_template(settings: specs.Settings, component: str, nodes: list[specs.Node]) -> dict:
    constraints = [] if component in GLOBAL else ["node.labels.controlPlane==true"]
    template = specs._task_template(settings, component, nodes, _environment(settings, component),
                                    _mounts(settings, component), constraints)
    container = template["ContainerSpec"]
    environment = [line for line in container["Env"] if not line.startswith("HOST=")]
    aliases = [f"{node.address} {node_alias(node.id)}" for node in sorted(nodes, key=lambda node: node.id)]
    template["ContainerSpec"] = {**container, "Env": environment, "Hosts": [*container["Hosts"], *aliases],
                                 "Command": address_command(component)}
    if component not in GLOBAL:
        template["Placement"] = {**template["Placement"], "MaxReplicas": 1}
    template["Networks"] = [{"Target": settings.platform_network}]
    if component == "controller":
        template["Networks"].append({"Target": settings.network})  # as the apps' health probes are
        template["ContainerSpec"]["Healthcheck"] = specs.health_check(CONTROLLER_PORT, "/healthz")
    if component == "registry":  # a rolling update moves on once the new task's registry answers
        template["ContainerSpec"]["Healthcheck"] = specs.health_check(REGISTRY_PORT, "/v2/")
    return template


def _ports(component: str) -> list[dict]:
    return [{"Protocol": protocol, "TargetPort": port, "PublishedPort": port, "PublishMode": "host"}
            for port, protocol in PORTS.get(component, ())]


def _mode(settings: specs.Settings, component: str) -> dict:
    if component in GLOBAL:
        return {"Global": {}}
    return {"Replicated": {"Replicas": replicas(settings, component)}}


def replicas(settings: specs.Settings, component: str) -> int:
    """How many tasks ``component`` runs: what ``deisctl scale`` recorded, else its default."""
    return int((settings.replicas or {}).get(component, REPLICAS[component]))


def control_specs(settings: specs.Settings, nodes: Iterable[specs.Node]) -> dict[str, dict]:
    """Return the desired service spec of each control-plane component, by name, hashed."""
    nodes = list(nodes)
    found = {}
    for component in COMPONENTS:
        spec = {
            "Name": service_name(component),
            "Labels": {specs.COMPONENT_LABEL: component},
            "TaskTemplate": _task_template(settings, component, nodes),
            "Mode": _mode(settings, component),
            "EndpointSpec": {"Mode": "dnsrr", "Ports": _ports(component)},
            # stop-first: host ports and MaxReplicas 1 leave no room to start a successor first.
            "UpdateConfig": {"Parallelism": 1, "Order": "stop-first", "FailureAction": "pause"},
        }
        found[component] = specs.hashed(spec)
    return found


def check_scale(component: str, count: int, settings: specs.Settings) -> Mapping[str, int]:
    """Return the replicas to record after ``scale component=count``; refuse what cannot be."""
    if component in GLOBAL:
        raise ValidationError(f"{component} runs one task on every node; it cannot be scaled")
    if component not in SCALABLE:
        raise ValidationError(f"{component} runs exactly one task (Swarm moves it if its node is lost); "
                              f"only {', '.join(sorted(SCALABLE))} scale")
    if not 1 <= count <= 9:
        raise ValidationError(f"{component}={count}: give 1 to 9 tasks (at most one per controlPlane node)")
    return {**(settings.replicas or {}), component: count}
