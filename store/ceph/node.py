"""One daemon of a Ceph cluster over several hosts, in the foreground of a Swarm task.

``deisctl`` runs the store on a cluster as four services of the store image
(:mod:`deisctl.swarm.store_specs`), every task on its node's own network
stack, and each task is ``deis-store`` with ``DEIS_STORE_DAEMON`` naming
what it runs::

    mon      make this node's monitor store on its first start, then exec ceph-mon
    osd      create this node's OSD on its first start, then exec ceph-osd
    mgr      get this node's manager key, then exec ceph-mgr
    gateway  wait for enough OSDs, run radosgw, make the S3 user and bucket,
             set every pool's size, announce the gateway in etcd, report health

**What makes it one cluster.** The identity (fsid, the monitors' and the
admin's cephx keys, the gateway's S3 keys) is a Docker secret ``deisctl``
creates once; Swarm keeps it encrypted in its raft log on every manager and
gives it to these tasks only, as a file in memory (``identityFile``). Every
other key is made by the daemon that needs it, with the admin key: an OSD
registers itself (``ceph osd new``) and keeps its key in its volume; managers
and gateways ``auth get-or-create`` theirs under their node's name.

**How monitors find each other.** ``monitors`` lists every monitor as
``name=address`` — the control-plane nodes ``deisctl`` saw, each with the
address it advertises to the Swarm. A monitor made from nothing starts from
that map (``monmaptool``), so any majority of them forms a quorum with no
other service running: etcd is not needed for the store to come back after a
whole-cluster stop. Every daemon and client finds the monitors in the same
list (``mon host``). A task's own address is its node's entry.

**Bounded starts** (``../shared/ceph-notes.md``): every command has a
timeout; daemons and clients give up on absent monitors after ``client mount
timeout`` and the gateway waits a bounded time for OSDs, then exits, so Swarm
starts it again instead of it hanging. Daemons log to standard error: the
task's log (``deisctl journal store-osd``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from deis import keys
from deis.etcd import Etcd
from deis.paths import Paths
from store.ceph.cluster import BUCKET, CephError, Cluster, environment, write_secret
from store.ceph.layout import Identity, Layout, cephx_key, keyring

log = logging.getLogger(__name__)

#: How long the gateway waits for ``min_size`` OSDs before it gives up (and Swarm starts it again).
OSD_WAIT = 180.0
#: How long an OSD, manager or gateway waits for a quorum of monitors before it gives up.
QUORUM_WAIT = 300.0
#: The caps of the daemons whose keys are made on their node, by entity prefix.
CAPS = {
    "mgr": ("mon", "allow profile mgr", "osd", "allow *", "mds", "allow *"),
    "client.rgw": ("mon", "allow rw", "osd", "allow rwx", "mgr", "allow rw"),
}


def layout_of(settings) -> Layout:
    """Return this node's layout: its name, its address (its entry among the monitors), pool sizes (pure)."""
    monitors, node = settings.get("monitors"), settings.get("node")
    addresses = dict(monitors)
    if node not in addresses:
        raise CephError(f"node {node!r} is not among the monitors {', '.join(addresses) or '(none)'}; "
                        "run 'deisctl start store' again to give the store services the current nodes")
    return Layout(Paths.from_env().data("ceph"), host=addresses[node], mon_port=settings.get("monPort"),
                  rgw_port=settings.get("gatewayPort"), node=node, monitors=monitors,
                  size=settings.get("poolSize"), min_size=settings.get("poolMinSize"), log_to_stderr=True)


def store_url(layout: Layout) -> str:
    """The platform bucket on this node's gateway."""
    return f"s3://{BUCKET}?endpoint={layout.gateway_url}"


def prepare(settings) -> Cluster:
    """Write this node's ``ceph.conf`` and the monitor and admin keyrings from the identity secret."""
    identity = Identity.from_json(Path(settings.get("identityFile")).read_text())
    cluster = Cluster(layout_of(settings), identity)
    cluster.write_files()
    conf = Path("/etc/ceph/ceph.conf")  # so that 'docker exec <task> ceph -s' just works
    if conf.parent.is_dir() and not conf.exists():
        with contextlib.suppress(OSError):
            conf.symlink_to(cluster.layout.conf)
    return cluster


def run(etcd: Etcd, settings, stop: threading.Event, interval: float) -> None:
    """Run the daemon ``settings`` names; the gateway returns when ``stop`` is set, the others exec."""
    cluster = prepare(settings)
    daemon = settings.get("daemon")
    log.info("Ceph %s of node %s (fsid %s), monitors %s", daemon, cluster.layout.node, cluster.identity.fsid,
             ", ".join(f"{name}={address}" for name, address in cluster.layout.monitors))
    if daemon != "mon":  # each first command needs a quorum; waiting here beats exiting and restarting
        wait_for_quorum(cluster, QUORUM_WAIT, stop)
    if stop.is_set():
        return
    if daemon == "gateway":
        serve_gateway(cluster, etcd, stop, interval)
        return
    argv = {"mon": monitor, "osd": osd, "mgr": manager}[daemon](cluster)
    os.execvpe(argv[0], argv, environment())


# -- the daemons ---------------------------------------------------------------------------


def monitor(cluster: Cluster) -> list[str]:
    """Make this node's monitor on its first start (its volume holds it after); return its command."""
    if not cluster.bootstrapped():
        log.info("making monitor %s from the initial map of %d", cluster.layout.mon_id, len(cluster.layout.monitors))
        cluster.make_monitor()
    return cluster.argv("mon")


def osd(cluster: Cluster) -> list[str]:
    """Create this node's OSD on its first start, or find it in the volume; return its command."""
    folder = cluster.layout.root / "osd"
    made = sorted(folder.glob("ceph-*/made"))
    if made:
        osd_id = int(made[0].parent.name.removeprefix("ceph-"))
    else:
        osd_id = _make_osd(cluster, folder)
    cluster.layout = dataclasses.replace(cluster.layout, osd_id=osd_id)
    return cluster.argv("osd")


def _make_osd(cluster: Cluster, folder: Path) -> int:
    """Register a new OSD with the monitors and make its store; safe to repeat after a failure."""
    # Kept before 'osd new', so a task that dies halfway registers the same OSD again, not a second one.
    pending = folder / "pending.json"
    if not pending.exists():
        write_secret(pending, json.dumps({"uuid": str(uuid.uuid4()), "key": cephx_key()}))
    new = json.loads(pending.read_text())
    osd_id = int(cluster.ceph("osd", "new", new["uuid"], "-i", "-",
                              stdin=json.dumps({"cephx_secret": new["key"]})).strip())
    layout = dataclasses.replace(cluster.layout, osd_id=osd_id)
    layout.osd_data.mkdir(parents=True, exist_ok=True)
    write_secret(layout.osd_data / "keyring", keyring({f"osd.{osd_id}": (new["key"], {})}))
    log.info("making OSD %d (uuid %s) on node %s", osd_id, new["uuid"], layout.node)
    cluster._run(["ceph-osd", "-c", str(layout.conf), "-i", str(osd_id), "--mkfs", "--osd-uuid", new["uuid"]],
                 timeout=120)
    (layout.osd_data / "made").write_text(f"{new['uuid']}\n")
    pending.unlink()
    return osd_id


def manager(cluster: Cluster) -> list[str]:
    """Get this node's manager key (made on first use); return the manager's command."""
    cluster.layout.mgr_data.mkdir(parents=True, exist_ok=True)
    write_secret(cluster.layout.mgr_data / "keyring", own_key(cluster, f"mgr.{cluster.layout.mgr_id}"))
    return cluster.argv("mgr")


def own_key(cluster: Cluster, entity: str) -> str:
    """Return the keyring of ``entity``, made with its caps if the monitors do not know it yet."""
    caps = CAPS[entity.rpartition(".")[0]]
    return cluster.ceph("auth", "get-or-create", entity, *caps)


def serve_gateway(cluster: Cluster, etcd: Etcd, stop: threading.Event, interval: float) -> None:
    """Run radosgw once the pools can be written; announce it and report health until ``stop``."""
    layout = cluster.layout
    write_secret(layout.keyring("rgw"), own_key(cluster, f"client.rgw.{layout.rgw_id}"))
    wait_for_osds(cluster, layout.min_size, OSD_WAIT, stop)
    try:
        cluster._spawn("radosgw")
        cluster.ensure_pools_and_user()
        replicate_pools(cluster)
        _ensure_bucket(cluster)
        _announce_identity(cluster, etcd)
        with etcd.lease() as lease:
            _announce(cluster, lease)
            (layout.root / "run" / "gateway.ready").write_text("ready\n")  # the task's health check
            log.info("Ceph gateway serves S3 at %s", layout.gateway_url)
            while True:
                if stop.wait(interval):
                    break
                if cluster.processes["radosgw"].poll() is not None:
                    raise CephError(f"radosgw exited with status {cluster.processes['radosgw'].returncode}")
                _announce(cluster, lease)
    finally:
        cluster.stop()


def wait_for_quorum(cluster: Cluster, timeout: float, stop: threading.Event) -> None:
    """Wait until the monitors answer (which needs their quorum); bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        try:
            cluster.ceph("mon", "stat", timeout=20)
            return
        except CephError as exc:
            if time.monotonic() > deadline:
                raise CephError(f"no quorum of monitors after {timeout:.0f} s ({exc}); "
                                "see 'deisctl journal store-mon'") from exc
            log.info("waiting for a quorum of monitors: %s", str(exc)[-200:])
        stop.wait(2)


def wait_for_osds(cluster: Cluster, count: int, timeout: float, stop: threading.Event) -> None:
    """Wait until ``count`` OSDs are up, so that radosgw's pools can be written; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        with contextlib.suppress(CephError):
            if json.loads(cluster.ceph("osd", "stat", "-f", "json", timeout=15)).get("num_up_osds", 0) >= count:
                return
        if time.monotonic() > deadline:
            raise CephError(f"fewer than {count} OSDs up after {timeout:.0f} s; see 'deisctl journal store-osd'")
        stop.wait(2)


def replicate_pools(cluster: Cluster) -> list[str]:
    """Give every pool the layout's size and min_size and an application; return the pools changed (idempotent)."""
    layout, changed = cluster.layout, []
    for pool in json.loads(cluster.ceph("osd", "pool", "ls", "detail", "-f", "json")):
        name = pool["pool_name"]
        for setting, want in (("size", layout.size), ("min_size", layout.min_size)):
            if pool.get(setting) != want:
                cluster.ceph("osd", "pool", "set", name, setting, str(want))
                changed += [name] if name not in changed else []
    if changed:
        log.info("pools set to size %d, min_size %d: %s", layout.size, layout.min_size, ", ".join(changed))
    return changed


def _ensure_bucket(cluster: Cluster) -> None:
    from store.s3 import S3Store

    identity = cluster.identity
    S3Store(BUCKET, cluster.layout.gateway_url, identity.access_key, identity.secret_key).close()


def _announce_identity(cluster: Cluster, etcd: Etcd) -> None:
    """Write the gateway's S3 keys where the store's clients read them (not the cephx keys)."""
    for name, value in (("accessKey", cluster.identity.access_key), ("secretKey", cluster.identity.secret_key)):
        if etcd.get(keys.store_gateway(name)) != value:
            etcd.put(keys.store_gateway(name), value)


def _announce(cluster: Cluster, lease) -> None:
    """(Re)write this gateway as the store's, so a live gateway holds the keys after another's lease ends."""
    layout = cluster.layout
    try:
        health = cluster.health()
    except CephError as exc:
        health = f"HEALTH_UNKNOWN {exc}"
    announced = {keys.store_gateway("host"): layout.host, keys.store_gateway("port"): str(layout.rgw_port),
                 keys.component("store", "backend"): "ceph", keys.component("store", "url"): store_url(layout),
                 keys.store_health(): health}
    for key, value in announced.items():
        lease.put(key, value)
