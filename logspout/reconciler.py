"""Logspout's reconcile loop: every container's output followed, from where it was left.

Level-triggered, in the sample-controller shape: Docker events only wake the
loop; every pass (:meth:`Logspout.reconcile`) lists the containers of this
engine and makes sure each one whose lines are not all confirmed has a
follower reading from its checkpoint. A missed event costs at most one
resync period, never a line: Docker keeps the log, the checkpoint says where
we were.

Which containers are read: every running one; a stopped one while its lines
are not all confirmed; and one that started and stopped between two passes
(created after logspout's first start). Containers that existed before
logspout was first installed are not replayed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

import docker

from deis import dockerevents, keys
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd, discover
from logspout.checkpoints import Checkpoints
from logspout.follower import ContainerFollower
from logspout.shipper import Address, Shipper
from logspout.spool import Item, Spool

log = logging.getLogger(__name__)

#: Seconds between reads of the logger's address from etcd.
ADDRESS_INTERVAL = 2.0
#: Seconds between checkpoint saves.
SAVE_INTERVAL = 1.0


class LoggerAddress:
    """The logger's ``host:port`` from ``/deis/logs/host|port``, re-read in the background."""

    def __init__(self, etcd: Etcd, stop: threading.Event, interval: float = ADDRESS_INTERVAL):
        self.etcd = etcd
        self.current: Address | None = None
        self._stop = stop
        self._interval = interval
        self.refresh()
        threading.Thread(target=self._loop, name="logger-address", daemon=True).start()

    def __call__(self) -> Address | None:
        return self.current

    def refresh(self) -> None:
        """Read the address now; keep the last known one when etcd does not answer."""
        try:
            address = discover(self.etcd, "logs")
        except EtcdUnavailable:
            return
        if address != self.current:
            where = f"{address[0]}:{address[1]}" if address else f"nowhere (no {keys.host('logs')})"
            log.info("logger is at %s", where)
        self.current = address

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.refresh()


class Logspout:
    """Ships every container of one Docker engine to the logger."""

    def __init__(self, client: docker.DockerClient, address, data_dir: Path, *,
                 memory_bytes: int = 16 << 20, disk_bytes: int = 256 << 20,
                 resync: float = 5.0, hostname: str = "", label: str = "", stop: threading.Event | None = None):
        self.client = client
        self.data_dir = Path(data_dir)
        self.resync = resync
        self.hostname = hostname
        self.filters = {"label": [label]} if label else {}
        self.wake = threading.Event()
        self.stop = stop or threading.Event()
        self.checkpoints = Checkpoints(self.data_dir / "checkpoints.json")
        self.spool = Spool(self.data_dir, memory_bytes, disk_bytes)
        self.shipper = Shipper(self.spool, address, self._confirmed, self.stop)
        self.followers: dict[str, ContainerFollower] = {}
        #: Last sequence put into the spool per container (this run).
        self._queued: dict[str, int] = {}
        self._lock = threading.Lock()

    def run(self) -> None:
        """Follow containers until :attr:`stop` is set; then save where we are."""
        self.shipper.start()
        dockerevents.wake_on_events(self.client, self.wake, self.stop, statuses=("start", "restart", "die", "destroy"))
        while not self.stop.is_set():
            try:
                self.reconcile()
            except docker.errors.DockerException as exc:
                log.warning("listing containers failed, retrying: %s", exc)
            self._save_until_woken()
        self.shutdown()

    def reconcile(self) -> None:
        """Make sure every container with unshipped lines has a follower."""
        containers = self.client.api.containers(all=True, filters=self.filters)
        existing = {c["Id"] for c in containers}
        for container in containers:
            self.sync_container(container)
        self.checkpoints.prune(existing | set(self.followers))

    def sync_container(self, container: dict) -> None:
        """Start a follower for ``container`` if it has lines we have not shipped."""
        container_id = container["Id"]
        with self._lock:
            follower = self.followers.get(container_id)
            if follower is not None and follower.is_alive():
                return
        if not self._wanted(container):
            return
        self._follow(container)

    def shutdown(self) -> None:
        """Stop every follower and save the checkpoints."""
        self.stop.set()
        with self._lock:
            followers = list(self.followers.values())
        for follower in followers:
            follower.stop()
        self.checkpoints.save()

    def _wanted(self, container: dict) -> bool:
        container_id = container["Id"]
        if container.get("State") == "running":
            return True
        if container.get("State") == "created" or self.checkpoints.complete(container_id):
            return False
        # Docker's Created is whole seconds: a container made in logspout's first second counts as after it.
        return self.checkpoints.known(container_id) or container.get("Created", 0) >= int(self.checkpoints.since)

    def _follow(self, container: dict) -> None:
        container_id = container["Id"]
        try:
            tty = self.client.api.inspect_container(container_id)["Config"].get("Tty", False)
        except docker.errors.NotFound:
            return
        after = self._queued.get(container_id, self.checkpoints.seq(container_id))
        self.checkpoints.start(container_id)
        follower = ContainerFollower(self.client, dict(container, Tty=tty), after, self._put,
                                     self.hostname, on_end=self._ended)
        with self._lock:
            self.followers[container_id] = follower
        follower.start()

    def _put(self, item: Item) -> bool:
        self._queued[item.container] = item.seq
        return self.spool.put(item)

    def _ended(self, follower: ContainerFollower) -> None:
        """A log ended: if the container is gone or stopped, note its last line."""
        with contextlib.suppress(docker.errors.DockerException):
            state = self.client.api.inspect_container(follower.id)["State"]
            if state.get("Running"):
                self.wake.set()  # the stream broke under a live container: follow again
                return
        self.checkpoints.finish(follower.id, follower.last_seq)

    def _confirmed(self, items: list[Item]) -> None:
        latest: dict[str, int] = {}
        for item in items:
            latest[item.container] = item.seq
        for container_id, seq in latest.items():
            self.checkpoints.advance(container_id, seq)

    def _save_until_woken(self) -> None:
        waited = 0.0
        while waited < self.resync and not self.stop.is_set() and not self.wake.is_set():
            self.wake.wait(SAVE_INTERVAL)
            waited += SAVE_INTERVAL
            self.checkpoints.save()
        self.wake.clear()
