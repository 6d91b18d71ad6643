"""The store's Ceph daemons as Swarm service specs (pure), and the store URL the control plane then gets.

When the cluster's store setting is ``ceph`` (``cluster bootstrap --store
ceph`` or ``deisctl config store set url=ceph``), ``start platform`` begins
with the store tier, four services of the store image (:mod:`store.ceph.node`)::

    deis-store-mon      global on controlPlane nodes    host network   volume deis-store-mon
    deis-store-osd      global on controlPlane nodes    host network   volume deis-store-osd
    deis-store-mgr      replicated 2, at most 1 a node  host network
    deis-store-gateway  global on every node            host network   S3 on <node address>:7480

and every pool is replicated on 3 hosts (size 3, min_size 2: one host may be
lost and writes go on). The logger, database and registry are then given
``s3://deis?endpoint=http://deis-node-{{.Node.ID}}:7480``: the gateway on
their own node, whose address their ``/etc/hosts`` holds.

**Why global services, not one service per node.** A monitor and an OSD
belong to a node (its monitor store, its disk), and Swarm's templates
(``{{.Node.Hostname}}``) plus node-local named volumes give each global task
its node's name and data from one spec. So the store is four components with
fixed names that ``start``, ``status``, ``journal`` and the level-triggered
plan handle like any other, and a node labelled ``controlPlane`` gets its
daemons without a new spec. The price: taking one node's OSD down on purpose
is a node matter (drain it), not ``deisctl stop``.

**Why the host network.** Ceph daemons tell each other the address to
reach them at; on an overlay that is a task address the other nodes' daemons
(and the Docker engines' pulls, for the registry's blobs) cannot reach, and
this kernel has no IPVS for published VIPs (``../shared/multihost-notes.md``).
A service joins the predefined ``host`` network by naming it as its network.

**Why each client uses its own node's gateway.** No VIP, and one announced
address would make one node's gateway everybody's. Every node runs a gateway
(it is only a client of the monitors and OSDs): the logger and the database
run on controlPlane nodes, but a registry runs on every node
(:mod:`deisctl.swarm.control_specs`). When a node dies its tasks move to a
node that has one.

**Identity.** One Docker secret, :data:`SECRET` (fsid, monitor and admin
keys, S3 keys), made once by ``deisctl`` (:meth:`deisctl.swarm.cluster.Cluster.identity_secret`):
Swarm keeps it encrypted in the managers' raft log — on every manager, on no
single host's disk — and mounts it in memory, mode 0400, into these tasks only.

**Monitors** are the controlPlane nodes as ``deisctl`` sees them, by hostname
and advertised address (``DEIS_STORE_MONITORS``); each monitor starts from
that map the first time, so any majority forms a quorum. Every setting the
daemons read is in their environment, so they never wait for etcd: the store
comes back after a whole-cluster stop before anything else is up. A node
added later gets an OSD and a gateway, but no monitor: the first monitors'
map is kept (adding monitors is not done yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from deis.errors import ValidationError
from deisctl.swarm import control_specs, rows, specs

#: The store setting that runs Ceph on the cluster itself.
CEPH = "ceph"
#: The store's services, in start order.
COMPONENTS = ("store-mon", "store-osd", "store-mgr", "store-gateway")
#: The tier ``start platform`` begins with (when the store is Ceph).
TIER = ("store", COMPONENTS)
#: The Docker secret holding the cluster's identity, and where tasks find it.
SECRET = "deis-store-identity"
SECRET_FILE = f"/run/secrets/{SECRET}"
MON_PORT = 3300
GATEWAY_PORT = 7480
BUCKET = "deis"
#: Managers: one active, one standby on another node.
MANAGERS = 2
POOL_SIZE, POOL_MIN_SIZE = 3, 2
DATA_DIR = "/var/lib/deis"
CEPH_DIR = f"{DATA_DIR}/ceph"
#: Per daemon: the node-local volume holding its data, mounted under :data:`CEPH_DIR`.
VOLUMES = {"store-mon": ("deis-store-mon", "mon"), "store-osd": ("deis-store-osd", "osd")}
STOP_GRACE = 30.0
#: The file a gateway writes once it serves S3 with its user and bucket made (its health check).
GATEWAY_READY = f"{CEPH_DIR}/run/gateway.ready"
#: Swarm reports a gateway task running only once it is healthy, so the store tier's wait means "serving".
GATEWAY_HEALTH = {"Test": ["CMD", "test", "-e", GATEWAY_READY], "Interval": 2_000_000_000,
                  "Timeout": 5_000_000_000, "Retries": 3, "StartPeriod": 600_000_000_000}
#: Between two nodes' tasks in a rolling update: a monitor rejoins its quorum, an OSD peers again.
UPDATE_DELAY = 10.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}\Z")


def check_store(url: str) -> str:
    """Return ``url`` if it is ``ceph`` or a store URL a cluster can use (:func:`control_specs.check_store`)."""
    return url if url == CEPH else control_specs.check_store(url)


def runs_ceph(settings: specs.Settings) -> bool:
    """True when the cluster's store is Ceph on the cluster."""
    return settings.store == CEPH


def client_url(store: str) -> str:
    """The store URL the logger, database and registry get: for Ceph, the gateway on their own node."""
    if store != CEPH:
        return store
    return f"s3://{BUCKET}?endpoint=http://{control_specs.node_alias(specs.NODE_ID)}:{GATEWAY_PORT}"


def monitors(nodes: Iterable[Mapping]) -> list[tuple[str, str]]:
    """The monitors, ``(hostname, address)`` of every controlPlane node (Engine API node dicts), by hostname."""
    found = {}
    for node in nodes:
        if (node.get("Spec", {}).get("Labels") or {}).get("controlPlane") != "true":
            continue
        name = node["Description"]["Hostname"]
        if not _NAME.match(name):
            raise ValidationError(f"node {name!r}: a Ceph monitor is named after its node, which takes letters, "
                                  "digits and '-' (at most 63); rename the host or take controlPlane off it")
        if name in found:
            raise ValidationError(f"two controlPlane nodes are named {name!r}; their monitors would clash")
        found[name] = rows.node_address(node)
    if not found:
        raise ValidationError("no node is labelled controlPlane=true, so no Ceph monitor can run; "
                              "'deisctl cluster bootstrap … --roles HOST=controlPlane'")
    return sorted(found.items())


def _environment(component: str, members: list[tuple[str, str]]) -> dict[str, str]:
    return {
        "DEIS_DATA_DIR": DATA_DIR,
        "DEIS_STORE_BACKEND": CEPH,
        "DEIS_STORE_DAEMON": component.removeprefix("store-"),
        "DEIS_STORE_NODE": specs.NODE_HOSTNAME,
        "DEIS_STORE_MONITORS": ",".join(f"{name}={address}" for name, address in members),
        "DEIS_STORE_MONPORT": str(MON_PORT),
        "DEIS_STORE_GATEWAYPORT": str(GATEWAY_PORT),
        "DEIS_STORE_IDENTITYFILE": SECRET_FILE,
        "DEIS_STORE_POOLSIZE": str(POOL_SIZE),
        "DEIS_STORE_POOLMINSIZE": str(POOL_MIN_SIZE),
    }


def _mounts(component: str) -> list[dict]:
    # Conf and keyrings in memory; what must survive a restart on the node's own volume.
    mounts = [{"Type": "tmpfs", "Target": CEPH_DIR, "TmpfsOptions": {"Mode": 0o700}}]
    if component in VOLUMES:
        volume, folder = VOLUMES[component]
        mounts.append({"Type": "volume", "Source": volume, "Target": f"{CEPH_DIR}/{folder}"})
    return mounts


def _task_template(settings: specs.Settings, component: str, members: list[tuple[str, str]],
                   nodes: list[specs.Node], secret_id: str) -> dict:
    etcd, hosts = specs._etcd(settings, nodes)
    environment = {"DEIS_ETCD": etcd, "HOST": specs.NODE_HOSTNAME, **_environment(component, members)}
    container = {
        "Image": settings.image("store"),
        "Env": [f"{name}={value}" for name, value in sorted(environment.items())],
        "Labels": {specs.COMPONENT_LABEL: component},
        "Mounts": _mounts(component),
        "StopGracePeriod": specs._nanoseconds(STOP_GRACE),
        "Hosts": hosts,
        "Secrets": [{"SecretID": secret_id, "SecretName": SECRET,
                     "File": {"Name": SECRET, "UID": "0", "GID": "0", "Mode": 0o400}}],
    }
    if component == "store-gateway":
        container["Healthcheck"] = GATEWAY_HEALTH
    # A gateway on every node: every node runs a registry, which keeps its blobs on its own node's gateway.
    placement = {"Constraints": [] if component == "store-gateway" else ["node.labels.controlPlane==true"]}
    if component == "store-mgr":
        placement["MaxReplicas"] = 1
    return {
        "ContainerSpec": container,
        "RestartPolicy": {"Condition": "any", "Delay": specs._nanoseconds(settings.restart_delay)},
        "Placement": placement,
        "Networks": [{"Target": "host"}],
    }


def store_specs(settings: specs.Settings, nodes: Iterable[Mapping], secret_id: str) -> dict[str, dict]:
    """Return the desired spec of each store service, by component name, hashed.

    ``nodes`` are the Swarm's nodes as the Engine API describes them;
    ``secret_id`` is the ID of the identity secret (:data:`SECRET`).
    """
    nodes = list(nodes)
    members = monitors(nodes)
    found = [specs.Node(node["ID"], rows.node_address(node)) for node in nodes]
    result = {}
    for component in COMPONENTS:
        mode = ({"Replicated": {"Replicas": MANAGERS}} if component == "store-mgr" else {"Global": {}})
        spec = {
            "Name": f"deis-{component}",
            "Labels": {specs.COMPONENT_LABEL: component},
            "TaskTemplate": _task_template(settings, component, members, found, secret_id),
            "Mode": mode,
            "EndpointSpec": {"Mode": "dnsrr", "Ports": []},
            # One node at a time, with a pause: a monitor quorum and two of three copies stay up.
            "UpdateConfig": {"Parallelism": 1, "Order": "stop-first", "FailureAction": "pause",
                             "Delay": specs._nanoseconds(UPDATE_DELAY)},
        }
        result[component] = specs.hashed(spec)
    return result
