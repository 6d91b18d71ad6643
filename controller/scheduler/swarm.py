"""The ``swarm`` backend: app containers as Docker Swarm services, driven through a manager.

**One service per v1 container**, as Deis v1 had one fleet unit per
container: ``myapp_v3.web.1`` is the service ``myapp_v3-web-1`` (names:
:mod:`controller.scheduler.placement`) of at most one task, its v1 name in the
label ``deis.name``. So the controller's deploy order (start the new, wait
until each answers and is routed, withdraw the old, wait for the routers,
stop) is the same call by call as on the ``docker`` backend. ``create`` makes
the service with 0 replicas; ``start`` places it and sets 1 replica;
``stop`` sets 0 and waits until the task has ended; ``destroy`` removes the
service. The container labels (``deis.app``, ``deis.release``, ``deis.type``,
``deis.num``, and ``deis.name``) are set on the task containers too, so a
per-node publisher and logspout see them as they do on one host.

**State** comes from the service's tasks: running → ``up``; a failed task
(while the next one waits out its restart delay) → ``crashed`` with its exit
code; ended with 0 or stopped → ``down``; rejected → ``error``; a task that
stays *pending* because no node can take it → ``error`` with a sentence
(``no node matches the app's tags (environ=prod)``), so a deploy fails at
once with it and the old release keeps serving (Swarm itself would wait
forever). :class:`Status` carries the node's hostname (``deis ps``).

**Network.** Every task joins the app network (setting ``appNetwork``,
``deis-apps``), here an *attachable overlay* made on first use. No port is
published: a host-published port binds every address of its node and
bypasses the router; routers attach to the overlay and reach a task at its
address there (:meth:`SwarmScheduler.address`). Overlays have no
inter-container switch, so unlike the one-host bridge (``enable_icc=false``)
app containers on the overlay *can* reach each other; the host firewall of
:mod:`deis.isolation` is not installed on the nodes either. Both are open.

**Hardening**, as far as Swarm in Docker 20.10 (API 1.41) allows. Applied:
all capabilities dropped (``CapabilityDrop: ALL``), the PID limit
(``Resources.Limits.Pids``), the memory limit (``MemoryBytes``), never
privileged (services cannot be), no mounts, Docker's init as PID 1, the image's
own ``USER``, the json-file log capped at 3 × 10 MB. **Not applied**:
``no-new-privileges`` (services get it only from API 1.44, Docker 25) and
CPU shares (``deis limits:set -c``): Swarm has only hard CPU limits
(``NanoCPUs``), a different promise, so the value is not translated.

**Restart back-off.** Swarm restarts a failed task after a fixed delay, not
a growing one. Each service starts with :data:`FIRST_DELAY`;
:meth:`SwarmScheduler.repair` (called by the reconcile loop on every pass)
doubles it, up to :data:`MAX_DELAY`, each time it sees a new task that
failed within :data:`QUICK_FAILURE` seconds of its creation. Changing the
delay replaces the failing task at once (Swarm's update); the doubled delay
applies from the next failure. A ``start`` (a restart, a new release: a new
service) begins again at :data:`FIRST_DELAY`. The doubling follows the loop's
passes, so it is coarser than Docker's own per-crash doubling.

**Spread.** ``start`` keeps a container off the nodes holding more of its
app, release and type than the emptiest eligible node (``node.id!=``), and
waits (up to :data:`PLACE_TIMEOUT`) until Swarm has placed it, so the next
start sees where it went. When a task stays pending for lack of a node (its
node was lost), :meth:`SwarmScheduler.repair` drops those spread
constraints so it can run on any eligible node.

**Stop grace.** A task is stopped with the grace its service was created
with (``grace``, the platform's ``stopGracePeriod``): Swarm fixes it per
task, so :meth:`stop`'s ``timeout`` only bounds how long it waits.

**Health probes** (:meth:`SwarmScheduler.probe`) run inside the overlay: an
app's overlay address exists only in the network namespaces of containers
on it, so a controller outside (a host process) cannot connect to it. The
probe is ``python3 -m deis.health`` run by ``docker exec`` in a small
long-lived container (:data:`PROBE_CONTAINER`, sleeping, no capabilities) on
the manager, attached to the app network and made on first use from
:data:`PROBE_IMAGE` (the publisher's image: every node runs a publisher, so
it is there, and it holds :mod:`deis.health`), under ``timeout``. Chosen over
trusting the node's publisher's verdict (its route in etcd) because the
verdict stays the controller's own, with the same function, the app's own
``HEALTHCHECK_TIMEOUT`` and the same sentences on failure, and because a
scheduler knows nothing of etcd; the deploy still waits for the publisher's
announcement afterwards, as on one host. The cost is one ``exec`` per probe
(about 0.3-0.5 s of Python start-up), only while a new container is waited for.

**Node loss** is Swarm's job: it starts a lost node's tasks elsewhere once
the node is down. :meth:`follow_losses` watches the manager's node and
service events and wakes the reconcile loop, whose :meth:`repair` then
relaxes spread if that is what keeps a task pending. The lost node's task
keeps running there, unreachable, and its publisher's routes would live on
for their 20 s lease: :meth:`unreachable` names those containers, and the
loop withdraws their routes in the same pass (``EtcdRoutes.fence``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

import requests
from docker.errors import DockerException, NotFound

from controller.scheduler import placement
from controller.scheduler.base import ContainerSpec, Scheduler, SchedulerError, State, Status
from controller.scheduler.docker import DEFAULT_HOST, DockerScheduler
from deis import PLATFORM_VERSION, isolation, naming
from deis.hardening import DEFAULT_PIDS_LIMIT

log = logging.getLogger(__name__)

#: The label holding a service's (and its task containers') v1 container name.
NAME_LABEL = naming.NAME_LABEL
#: The label holding the id of the failed task the restart delay was last raised for.
BACKOFF_LABEL = "deis.backoff.task"
APP_LABEL = "deis.app"
#: Seconds before the first restart of a failed task, and the most it grows to (Docker's own bounds).
FIRST_DELAY = 0.1
MAX_DELAY = 60.0
#: A task that failed within this many seconds of its creation counts towards the back-off.
QUICK_FAILURE = 10.0
#: Seconds ``start`` waits for Swarm to place the task on a node.
PLACE_TIMEOUT = 5.0
#: Seconds ``stop`` waits beyond its timeout for the task to end (a slow node).
STOP_MARGIN = 10.0
#: An app's stdout/stderr on its node: at most 3 files of 10 MB (as on one host).
LOG_DRIVER = {"Name": "json-file", "Options": {"max-size": "10m", "max-file": "3"}}
#: Swarm's word for "no node may run this task".
NO_NODE = "no suitable node"
#: Task states after which the task's container is gone or never came.
ENDED = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}
#: Task states before it runs.
STARTING = {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"}
#: Node states whose tasks no router can reach (Swarm marks a silent node down after a few heartbeats).
LOST_NODE_STATES = {"down", "disconnected"}
#: Seconds the node list (id → hostname, readiness) is reused.
NODE_CACHE = 2.0
EVENTS_WINDOW = 5
#: The container on the manager that health probes run in, and its image (python3 and deis.health).
PROBE_CONTAINER = "deis-probe"
PROBE_IMAGE = f"deis/publisher:v{PLATFORM_VERSION}"
#: Seconds a probe may run beyond its own timeout (exec and Python start-up) before it is killed.
PROBE_MARGIN = 5.0
#: ``timeout``'s exit status when it had to stop the probe.
TIMED_OUT = 124


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    """Re-raise Docker SDK and transport errors as :class:`SchedulerError`."""
    try:
        yield
    except (DockerException, requests.RequestException) as exc:
        reason = getattr(exc, "explanation", None) or str(exc)
        raise SchedulerError(f"the Swarm manager failed while {action}: {reason}") from exc


def _nanoseconds(seconds: float) -> int:
    return int(round(seconds * 1e9))


def service_spec(spec: ContainerSpec, network: str, pids_limit: int = DEFAULT_PIDS_LIMIT,
                 grace: float = 30.0, constraints: list[str] | None = None, replicas: int = 0) -> dict:
    """Return the Swarm service spec (API JSON) of ``spec`` (pure)."""
    container = {
        "Image": spec.image,
        "Labels": {**spec.labels, NAME_LABEL: spec.name},
        "Env": [f"{key}={value}" for key, value in spec.environment.items()],
        # Docker's init as PID 1 forwards SIGTERM (see the docker backend).
        "Init": True,
        "CapabilityDrop": ["ALL"],
        "StopGracePeriod": _nanoseconds(grace),
    }
    if spec.entrypoint is not None:
        container["Command"] = list(spec.entrypoint)  # Swarm's Command replaces ENTRYPOINT ...
    if spec.command is not None:
        container["Args"] = list(spec.command)  # ... and Args replaces CMD.
    limits = {"Pids": pids_limit}
    if spec.memory:
        limits["MemoryBytes"] = spec.memory
    restart = ({"Condition": "on-failure", "Delay": _nanoseconds(FIRST_DELAY), "MaxAttempts": 0}
               if spec.restart else {"Condition": "none"})
    task = {
        "ContainerSpec": container,
        "Resources": {"Limits": limits},
        "RestartPolicy": restart,
        "Placement": {"Constraints": constraints if constraints is not None
                      else placement.tag_constraints(spec.tags)},
        "Networks": [{"Target": network}],
        "LogDriver": LOG_DRIVER,
    }
    return {"Name": placement.service_name(spec.name), "Labels": {**spec.labels, NAME_LABEL: spec.name},
            "TaskTemplate": task, "Mode": {"Replicated": {"Replicas": replicas}}}


def _created(task: dict) -> datetime:
    return datetime.fromisoformat(task.get("CreatedAt") or "1970-01-01T00:00:00Z")


def _lifetime(task: dict) -> float:
    """Seconds from a task's creation to its last change (for an ended task: how long it lasted)."""
    updated = task.get("UpdatedAt") or task.get("CreatedAt")
    return (datetime.fromisoformat(updated) - _created(task)).total_seconds() if updated else 0.0


def _exit_code(task: dict) -> int | None:
    code = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ExitCode")
    return code if isinstance(code, int) else None


def _task_state(task: dict) -> str:
    return (task.get("Status") or {}).get("State", "")


def current_task(tasks: list[dict]) -> dict | None:
    """Return the task Swarm wants running (the newest one), or ``None``."""
    wanted = [task for task in tasks if task.get("DesiredState") in ("running", "ready")]
    return max(wanted, key=_created) if wanted else None


def status_of(tasks: list[dict], replicas: int, constraints: list[str], hostnames: Mapping[str, str]) -> Status:
    """Map a service's tasks to a v1 :class:`Status` (pure)."""
    tasks = sorted(tasks, key=_created)
    current = current_task(tasks)
    ended = [task for task in tasks if task is not current and _task_state(task) in ENDED]
    last = ended[-1] if ended else None
    if current is not None:
        # A task shut down while a newer one runs was replaced by an update (a raised restart
        # delay, a relaxed spread): it tells nothing of the app, the crash before it does.
        outcomes = [task for task in ended if _task_state(task) != "shutdown"]
        last = outcomes[-1] if outcomes else last
    failed = [task for task in ended if _task_state(task) == "failed"]
    restarts = len(failed)
    exit_code = _exit_code(last) if last else None
    if current is None:
        if last is None:
            return Status(State.initialized if replicas else State.created)
        host = hostnames.get(last.get("NodeID", ""))
        return Status(_ended_state(last), exit_code, restarts, host, _error(last))
    host = hostnames.get(current.get("NodeID", ""))
    state = _task_state(current)
    if state == "running":
        return Status(State.up, exit_code if restarts else None, restarts, host)
    if state == "pending" and NO_NODE in (error := _error(current) or ""):
        sentence = placement.unplaceable(constraints, error)
        if sentence:
            return Status(State.error, exit_code, restarts, None, sentence)
    if state in STARTING:
        # Waiting out the restart delay after a crash reads as crashed, as Docker's "restarting" does.
        crashed = last is not None and _task_state(last) == "failed"
        return Status(State.crashed if crashed else State.initialized, exit_code, restarts, host)
    return Status(_ended_state(current), _exit_code(current), restarts, host, _error(current))


def _ended_state(task: dict) -> State:
    state = _task_state(task)
    if state == "failed":
        return State.crashed
    if state == "rejected":
        return State.error
    return State.down


def _error(task: dict) -> str | None:
    return (task.get("Status") or {}).get("Err") or None


def _relaxed(spec: dict) -> None:
    """Drop the spread constraints of a service spec (its tags stay)."""
    placed = spec["TaskTemplate"].setdefault("Placement", {})
    placed["Constraints"] = [c for c in placed.get("Constraints") or [] if not placement.is_spread(c)]


def backoff_delay(current: float) -> float:
    """Return the restart delay after one more quick failure (doubling, :data:`FIRST_DELAY`..:data:`MAX_DELAY`)."""
    return min(max(current * 2, FIRST_DELAY * 2), MAX_DELAY)


class SwarmScheduler(Scheduler):
    """App containers as services of the Swarm whose manager answers at ``manager``."""

    def __init__(self, manager: str | None = None, pids_limit: int = DEFAULT_PIDS_LIMIT, timeout: float = 60,
                 network: str = isolation.NETWORK, grace: float = 30.0, probe_image: str = PROBE_IMAGE):
        self.manager = manager or os.environ.get("DOCKER_HOST", DEFAULT_HOST)
        self.pids_limit = pids_limit
        self.network = network
        self.grace = grace
        self.probe_image = probe_image or PROBE_IMAGE
        self._probe_lock = threading.Lock()
        # Images are looked up and pulled on the manager as the docker backend does it on its host;
        # the nodes pull from the registry themselves when they start a task.
        self._images = DockerScheduler(self.manager, pids_limit, timeout, network)
        self.client = self._images.client
        self._network_lock = threading.Lock()
        self._nodes: tuple[float, list[dict]] = (0.0, [])

    # -- images ---------------------------------------------------------------

    def ensure_image(self, image: str) -> None:
        """Use ``image`` if the manager has it, else pull it there (its registry must serve every node)."""
        self._images.ensure_image(image)

    def image_port(self, image: str) -> int | None:
        """Return the lowest TCP port ``image`` EXPOSEs."""
        return self._images.image_port(image)

    # -- the app network --------------------------------------------------------

    def ensure_network(self) -> None:
        """Create the app network as an attachable overlay unless it exists; refuse one of another kind."""
        with self._network_lock, _translated(f"making the app network {self.network}"):
            try:
                attrs = self.client.api.inspect_network(self.network)
            except NotFound:
                self.client.api.create_network(self.network, driver="overlay", attachable=True,
                                               labels={isolation.LABEL: "apps"}, check_duplicate=True)
                return
        if attrs.get("Driver") != "overlay":
            raise SchedulerError(f"the app network {self.network!r} is a {attrs.get('Driver')} network on the "
                                 "manager; a cluster needs an attachable overlay: remove it, or set appNetwork")

    # -- the contract -----------------------------------------------------------

    def create(self, spec: ContainerSpec) -> None:
        """Make the service of ``spec`` with no task yet."""
        self.ensure_network()
        body = service_spec(spec, self.network, self.pids_limit, self.grace)
        with _translated(f"creating {spec.name}"):
            self.client.api.create_service(task_template=body["TaskTemplate"], name=body["Name"],
                                           labels=body["Labels"], mode=body["Mode"])

    def start(self, name: str) -> None:
        """Place ``name`` (tags and spread), ask for its one task, and wait until Swarm placed it."""
        service = self._service(name)
        if service is None:
            raise SchedulerError(f"cannot start {name}: it was not created")
        spec = service["Spec"]
        tags = placement.tags_of(spec["TaskTemplate"].get("Placement", {}).get("Constraints") or [])
        constraints = placement.tag_constraints(tags) + self._spread(spec.get("Labels") or {}, service["ID"], tags)

        def placed_and_wanted(spec: dict) -> None:
            task = spec["TaskTemplate"]
            task["Placement"] = {**task.get("Placement", {}), "Constraints": constraints}
            if task["RestartPolicy"].get("Condition") == "on-failure":
                task["RestartPolicy"]["Delay"] = _nanoseconds(FIRST_DELAY)
            spec["Mode"] = {"Replicated": {"Replicas": 1}}

        self._update(service, placed_and_wanted, f"starting {name}")
        self._wait_until_placed(service["ID"])

    def stop(self, name: str, timeout: float) -> None:
        """Ask for no task and wait (``timeout`` plus a margin) until the task has ended; absent is fine."""
        service = self._service(name)
        if service is None:
            return
        if service["Spec"].get("Mode", {}).get("Replicated", {}).get("Replicas") != 0:
            self._update(service, lambda spec: spec.update(Mode={"Replicated": {"Replicas": 0}}), f"stopping {name}")
        deadline = time.monotonic() + timeout + STOP_MARGIN
        while self._live_tasks(service["ID"]):
            if time.monotonic() > deadline:
                log.warning("%s: its task had not ended %g s after the stop", name, timeout + STOP_MARGIN)
                return
            time.sleep(0.2)

    def destroy(self, name: str) -> None:
        """Remove the service ``name`` (Swarm stops its task); absent is fine."""
        with _translated(f"removing {name}"), contextlib.suppress(NotFound):
            self.client.api.remove_service(placement.service_name(name))

    def state(self, name: str) -> Status:
        """Return the status of ``name`` from its service's tasks."""
        service = self._service(name)
        if service is None:
            return Status(State.destroyed)
        spec = service["Spec"]
        replicas = spec.get("Mode", {}).get("Replicated", {}).get("Replicas", 0)
        constraints = spec["TaskTemplate"].get("Placement", {}).get("Constraints") or []
        hostnames = {node["ID"]: node["Description"]["Hostname"] for node in self._node_list()}
        return status_of(self._tasks(service["ID"]), replicas, constraints, hostnames)

    def address(self, name: str) -> str | None:
        """Return the running task's IP on the app overlay."""
        service = self._service(name)
        current = current_task(self._tasks(service["ID"])) if service else None
        if current is None or _task_state(current) != "running":
            return None
        for attachment in current.get("NetworksAttachments") or []:
            if attachment.get("Network", {}).get("Spec", {}).get("Name") == self.network:
                addresses = attachment.get("Addresses") or []
                return addresses[0].split("/")[0] if addresses else None
        return None

    def probe(self, name: str, port: int, path: str | None, timeout: float) -> tuple[bool, str]:
        """Probe ``name`` once from the probe container on the app overlay (module docstring: why)."""
        ip = self.address(name)
        if not ip:
            return False, "it has no IP address yet"
        argv = ["timeout", "-k", "1", f"{timeout + PROBE_MARGIN:g}", "python3", "-m", "deis.health",
                ip, str(port), path or "", f"{timeout:g}"]
        with _translated(f"probing {name}"):
            code, output = self._probe_container().exec_run(argv)
        if code == 0:
            return True, ""
        if code == TIMED_OUT:
            return False, f"the probe got no verdict within {timeout + PROBE_MARGIN:g} s"
        return False, output.decode(errors="replace").strip() or f"the probe exited with {code}"

    def _probe_container(self):
        """Return the running probe container on the manager, making or starting it first if needed."""
        with self._probe_lock:
            try:
                container = self.client.containers.get(PROBE_CONTAINER)
            except NotFound:
                self.ensure_network()
                self.ensure_image(self.probe_image)
                return self.client.containers.run(
                    self.probe_image, entrypoint=["sleep", "infinity"], name=PROBE_CONTAINER, detach=True,
                    network=self.network, cap_drop=["ALL"], restart_policy={"Name": "unless-stopped"})
            if container.status != "running":
                container.start()
            return container

    def containers(self, app: str) -> list[str]:
        """Return the v1 names of every service labelled ``deis.app=<app>``."""
        with _translated(f"listing the services of {app}"):
            found = self.client.api.services(filters={"label": f"{APP_LABEL}={app}"})
        return sorted(labels[NAME_LABEL] for service in found
                      if NAME_LABEL in (labels := service["Spec"].get("Labels") or {}))

    def run(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]:
        """Run ``spec`` as a one-task service that is never restarted; return ``(exit code, output)``."""
        self.create(spec)
        try:
            self.start(spec.name)
            task = self._wait_until_ended(spec.name, timeout)
            output = self._logs(task["ServiceID"])
            code = _exit_code(task)
            return (code if code is not None else -1), output
        finally:
            self.destroy(spec.name)

    def follow_losses(self, notify: Callable[[str], None], stop: threading.Event) -> None:
        """Call ``notify(app)`` on each service change or removal, and for every app on each node change.

        A node that goes down or comes back may move any app's tasks: each app
        is woken, and the reconcile loop's :meth:`repair` does the rest.
        """
        since = int(time.time())
        while not stop.is_set():
            until = int(time.time()) + EVENTS_WINDOW
            try:
                for event in self.client.events(since=since, until=until, decode=True,
                                                filters={"type": ["node", "service"]}):
                    for app in self._apps_of_event(event):
                        notify(app)
                since = min(until, int(time.time())) - 1
            except (DockerException, requests.RequestException, SchedulerError) as exc:
                log.warning("the Swarm event stream broke (%s); reopening it", exc)
                stop.wait(1.0)

    def unreachable(self) -> list[str]:
        """Return the v1 names with a task running on a node marked down, and no task running on a ready one.

        Swarm keeps such a task ``running`` in its books (the node cannot say
        otherwise) and starts a replacement elsewhere; until that one runs,
        the name is unreachable. Once it runs, the name is not: its publisher
        announces the new address.
        """
        with _translated("listing services and tasks"):
            services = self.client.api.services(filters={"label": NAME_LABEL})
            tasks = self.client.api.tasks(filters={"desired-state": ["running", "shutdown"]})
        nodes = self._node_list(fresh=True)
        # Not "everything but ready": a new leader reports every node "unknown" until it heartbeats.
        down = {node["ID"] for node in nodes if node["Status"]["State"] in LOST_NODE_STATES}
        ready = {node["ID"] for node in nodes if node["Status"]["State"] == "ready"}
        by_service: dict[str, list[dict]] = {}
        for task in tasks:
            by_service.setdefault(task.get("ServiceID", ""), []).append(task)
        lost = []
        for service in services:
            mine = by_service.get(service["ID"], [])
            running = [task for task in mine if _task_state(task) == "running"]
            if any(task.get("NodeID") in down for task in running) \
                    and not any(task.get("NodeID") in ready for task in running if task is current_task(mine)):
                lost.append(service["Spec"]["Labels"][NAME_LABEL])
        return sorted(lost)

    def repair(self) -> list[str]:
        """Relax spread where it keeps a task pending, and raise restart delays of crash loops."""
        with _translated("listing services and tasks"):
            services = self.client.api.services(filters={"label": NAME_LABEL})
            tasks = self.client.api.tasks()
        by_service: dict[str, list[dict]] = {}
        for task in tasks:
            by_service.setdefault(task.get("ServiceID", ""), []).append(task)
        done = []
        for service in services:
            try:
                if line := self._repair_one(service, by_service.get(service["ID"], [])):
                    done.append(line)
            except SchedulerError as exc:  # removed meanwhile, or the manager busy: the next pass sees it again
                log.warning("could not repair service %s: %s", service["Spec"]["Name"], exc)
        for line in done:
            log.info("%s", line)
        return done

    # -- helpers --------------------------------------------------------------

    def _repair_one(self, service: dict, tasks: list[dict]) -> str | None:
        spec = service["Spec"]
        name = (spec.get("Labels") or {}).get(NAME_LABEL, spec["Name"])
        task = spec["TaskTemplate"]
        constraints = task.get("Placement", {}).get("Constraints") or []
        current = current_task(tasks)
        if current is not None and _task_state(current) == "pending" and NO_NODE in (_error(current) or "") \
                and any(placement.is_spread(c) for c in constraints):
            self._update(service, _relaxed, f"relaxing the spread of {name}")
            return f"{name}: no node was free of its siblings; it may now run on any eligible node"
        ended = sorted((t for t in tasks if _task_state(t) in ENDED), key=_created)
        restart = task.get("RestartPolicy") or {}
        if not ended or restart.get("Condition") != "on-failure":
            return None
        latest = ended[-1]
        labels = spec.setdefault("Labels", {})
        if _task_state(latest) != "failed" or _lifetime(latest) >= QUICK_FAILURE \
                or labels.get(BACKOFF_LABEL) == latest["ID"]:
            return None
        delay = backoff_delay(restart.get("Delay", 0) / 1e9)

        def delayed(spec: dict) -> None:
            spec["TaskTemplate"]["RestartPolicy"]["Delay"] = _nanoseconds(delay)
            spec.setdefault("Labels", {})[BACKOFF_LABEL] = latest["ID"]

        self._update(service, delayed, f"raising the restart delay of {name}")
        return f"{name}: crashed again after {_lifetime(latest):.1f} s; next restart after {delay:g} s"

    def _service(self, name: str) -> dict | None:
        with _translated(f"inspecting {name}"):
            try:
                return self.client.api.inspect_service(placement.service_name(name))
            except NotFound:
                return None

    def _update(self, service: dict, change: Callable[[dict], None], action: str, attempts: int = 5) -> None:
        """Apply ``change`` to the service's spec and send it; on a concurrent update, read it again and retry.

        Swarm versions every service; the manager itself updates a new one
        (its endpoint, once allocated), so an update made from an older read
        is refused with ``update out of sequence``.
        """
        for attempt in range(attempts):
            spec = service["Spec"]
            change(spec)
            try:
                with _translated(action):
                    self.client.api.update_service(
                        service["ID"], service["Version"]["Index"], task_template=spec["TaskTemplate"],
                        name=spec["Name"], labels=spec.get("Labels"), mode=spec.get("Mode"),
                        endpoint_spec=spec.get("EndpointSpec"))
                return
            except SchedulerError as exc:
                if "out of sequence" not in str(exc) or attempt == attempts - 1:
                    raise
            with _translated(action):
                service = self.client.api.inspect_service(service["ID"])

    def _tasks(self, service_id: str) -> list[dict]:
        with _translated(f"listing the tasks of service {service_id}"):
            return self.client.api.tasks(filters={"service": service_id})

    def _live_tasks(self, service_id: str) -> list[dict]:
        """Return the service's tasks whose container may still run, on nodes that are not down."""
        ready = {node["ID"] for node in self._node_list(fresh=True) if node["Status"]["State"] == "ready"}
        return [task for task in self._tasks(service_id)
                if _task_state(task) not in ENDED and (task.get("NodeID") in ready or not task.get("NodeID"))
                and _task_state(task) != "pending"]

    def _node_list(self, fresh: bool = False) -> list[dict]:
        read_at, nodes = self._nodes
        if fresh or time.monotonic() - read_at > NODE_CACHE:
            with _translated("listing the nodes"):
                nodes = self.client.api.nodes()
            self._nodes = (time.monotonic(), nodes)
        return nodes

    def _spread(self, labels: Mapping[str, str], service_id: str, tags: Mapping[str, str]) -> list[str]:
        eligible = [node["ID"] for node in self._node_list(fresh=True)
                    if node["Status"]["State"] == "ready" and node["Spec"].get("Availability") == "active"
                    and placement.node_matches(node["Spec"].get("Labels") or {}, tags)]
        keys = ("deis.app", "deis.release", "deis.type")
        if not eligible or not all(key in labels for key in keys):
            return []
        with _translated("listing the containers of the same type"):
            siblings = [s["ID"] for s in self.client.api.services(
                filters={"label": [f"{key}={labels[key]}" for key in keys]}) if s["ID"] != service_id]
            tasks = self.client.api.tasks(filters={"service": siblings, "desired-state": "running"}) \
                if siblings else []
        counts: dict[str, int] = {}
        for task in tasks:
            if node := task.get("NodeID"):
                counts[node] = counts.get(node, 0) + 1
        return placement.spread_constraints(eligible, counts)

    def _wait_until_placed(self, service_id: str) -> None:
        deadline = time.monotonic() + PLACE_TIMEOUT
        while time.monotonic() < deadline:
            current = current_task(self._tasks(service_id))
            if current is not None and (current.get("NodeID") or _error(current)):
                return
            time.sleep(0.1)

    def _wait_until_ended(self, name: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            service = self._service(name)
            tasks = self._tasks(service["ID"]) if service else []
            ended = [task for task in tasks if _task_state(task) in ENDED]
            if ended:
                return max(ended, key=_created)
            status = self.state(name)
            if status.state is State.error and status.detail:
                raise SchedulerError(f"{name} cannot run: {status.detail}")
            if time.monotonic() > deadline:
                raise SchedulerError(f"{name} did not finish within {timeout:g} s and was removed")
            time.sleep(0.2)

    def _logs(self, service_id: str) -> str:
        for attempt in range(2):
            with _translated(f"reading the output of service {service_id}"):
                chunks = self.client.api.service_logs(service_id, stdout=True, stderr=True, follow=False,
                                                      is_tty=False)
                output = b"".join(chunks).decode("utf-8", errors="replace")
            if output or attempt:
                return output
            time.sleep(0.5)  # the manager gathers a worker's logs a moment after the task ended
        return ""

    def _apps_of_event(self, event: dict) -> list[str]:
        if event.get("Type") == "service":
            app = placement.app_of((event.get("Actor") or {}).get("Attributes", {}).get("name", ""))
            return [app] if app else []
        with _translated("listing the app services"):
            services = self.client.api.services(filters={"label": APP_LABEL})
        return sorted({(s["Spec"].get("Labels") or {})[APP_LABEL] for s in services})

