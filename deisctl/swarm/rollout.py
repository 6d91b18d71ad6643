"""Rolling a platform service's tasks over, one node at a time: ``rolling-restart`` and each step of ``upgrade``.

A rolling update is Swarm's own: the service's ``UpdateConfig`` (parallelism
1, ``stop-first``, pause on failure; :mod:`deisctl.swarm.specs`) replaces one
task, waits until it runs (and Swarm's monitor window, 5 s, passes without it
failing), then the next. A restart is such an update with nothing changed but
``TaskTemplate.ForceUpdate``; an upgrade's step changes the image. While one
task is replaced the service's other tasks serve; a component with one task
(logger, database) is away until its new task runs, and a node's registry
while its node's new one starts (that node's pulls wait).

This module starts an update and follows it (:class:`Rollout`), and decides
from the Engine API's answers how far it is (:func:`judge`, pure): a task is
*new* when it did not run before the update began. The update is done when
every wanted task is new and running and Swarm says ``completed`` (or, for a
service Swarm gives no ``UpdateStatus``, when the tasks alone say so); it
failed when Swarm paused or rolled it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from deis.errors import PermanentError, TemporaryError
from deisctl.swarm import cluster as swarm_cluster
from deisctl.swarm import specs

Report = Callable[[str], None]
#: Swarm's update states that mean the update stopped short of the new spec.
STOPPED = specs.UPDATE_STOPPED
#: Seconds between two looks at an update.
POLL = 0.5


class RolloutError(PermanentError):
    """Swarm paused or rolled back an update: a task of the new spec failed."""


@dataclass(frozen=True)
class Before:
    """What ran before an update: the tasks, and the start of the last update (to tell a new one from it)."""

    tasks: frozenset[str]
    nodes: tuple[str, ...]
    update_started: str | None


@dataclass(frozen=True)
class Progress:
    """How far an update is: the new tasks running, what still waits, and Swarm's word on it."""

    restarted: tuple[tuple[str, str], ...]  # (task ID, node ID) of the new tasks that run
    pending: tuple[str, ...]  # node IDs of old tasks still wanted, '' for each new task not running yet
    wanted: int
    state: str  # the update's state since it began; '' while Swarm has said nothing of it
    error: str = ""

    @property
    def failed(self) -> bool:
        """True when Swarm stopped the update (paused, rolling back or rolled back)."""
        return self.state in STOPPED

    @property
    def done(self) -> bool:
        """True when every wanted task is new and runs, and Swarm (if it reports the update) completed it."""
        return not self.failed and not self.pending and self.state in ("completed", "")


def _wanted_running(tasks: Iterable[Mapping]) -> list[Mapping]:
    return [task for task in tasks if task.get("DesiredState") == "running"]


def _running(task: Mapping) -> bool:
    return (task.get("Status") or {}).get("State") == "running"


def before(service: Mapping, tasks: Iterable[Mapping]) -> Before:
    """Remember the tasks that run and the last update's start, before an update begins (pure)."""
    running = [task for task in _wanted_running(tasks) if _running(task)]
    return Before(frozenset(task["ID"] for task in running), tuple(sorted(task.get("NodeID", "") for task in running)),
                  (service.get("UpdateStatus") or {}).get("StartedAt"))


def wanted_tasks(service: Mapping, tasks: Iterable[Mapping], earlier: Before) -> int:
    """How many tasks the service should run: its replicas, or for a global one as many as it ran (or wants now)."""
    mode = service["Spec"].get("Mode") or {}
    if "Replicated" in mode:
        return int(mode["Replicated"].get("Replicas", 0))
    return max(len(earlier.tasks), len(_wanted_running(tasks)))


def judge(earlier: Before, service: Mapping, tasks: list[Mapping]) -> Progress:
    """Say how far the update that began after ``earlier`` is (pure)."""
    wanted_now = _wanted_running(tasks)
    new = [task for task in wanted_now if task["ID"] not in earlier.tasks]
    restarted = tuple((task["ID"], task.get("NodeID", "")) for task in new if _running(task))
    old = [task.get("NodeID", "") for task in wanted_now if task["ID"] in earlier.tasks]
    wanted = wanted_tasks(service, tasks, earlier)
    missing = max(0, wanted - len(restarted) - len(old))
    status = service.get("UpdateStatus") or {}
    state = status.get("State", "") if status.get("StartedAt") != earlier.update_started else ""
    error = ""
    if state in STOPPED:
        error = _why(status, [task for task in tasks if task["ID"] not in earlier.tasks])
    return Progress(restarted, (*sorted(old), *[""] * missing), wanted, state, error)


def _why(status: Mapping, new_tasks: list[Mapping]) -> str:
    """Swarm's message and the newest failed task's error."""
    failed = [task for task in new_tasks if (task.get("Status") or {}).get("Err")]
    failed.sort(key=lambda task: task.get("UpdatedAt") or task.get("CreatedAt") or "")
    err = failed[-1]["Status"]["Err"] if failed else ""
    return "; ".join(part for part in (status.get("Message", ""), f"the task said: {err}" if err else "") if part)


def pending_text(progress: Progress, hostnames: Mapping[str, str]) -> str:
    """The tasks an update still waits for, by node (pure)."""
    names = [f"the task on {hostnames.get(node, node)}" if node else "a new task" for node in progress.pending]
    return ", ".join(names) or "Swarm's word that the update completed"


class Rollout:
    """Rolling updates of the platform's services on one cluster, each followed to its end."""

    def __init__(self, cluster: swarm_cluster.Cluster, report: Report = print, timeout: float = 300):
        self.cluster = cluster
        self.report = report
        self.timeout = timeout

    def service(self, component: str) -> dict:
        """The running service of ``component``, or a sentence saying how to start it."""
        return self.cluster.service(component)

    def restart(self, component: str) -> float:
        """Replace every task of ``component``, one at a time; return the seconds it took."""
        service = self.service(component)
        return self.update(component, service, specs.bumped(service["Spec"]), "restarted")

    def update(self, component: str, service: Mapping, spec: Mapping, verb: str) -> float:
        """Give ``service`` the Engine API ``spec`` and follow the rolling update; return the seconds it took."""
        started = time.monotonic()
        api = self.cluster.client.api
        with swarm_cluster.translated(f"updating {component}"):
            earlier = before(service, api.tasks(filters={"service": service["ID"]}))
            api.update_service(service["ID"], service["Version"]["Index"], **swarm_cluster.service_arguments(spec))
        self.follow(component, service["ID"], earlier, verb)
        return time.monotonic() - started

    def follow(self, component: str, service_id: str, earlier: Before, verb: str) -> Progress:
        """Report each new task as it runs until the update is done; raise when it fails or takes too long."""
        api, deadline, seen = self.cluster.client.api, time.monotonic() + self.timeout, set()
        with swarm_cluster.translated(f"following {component}'s update"):
            hostnames = {node["ID"]: node["Description"]["Hostname"] for node in self.cluster.nodes()}
            while True:
                progress = judge(earlier, api.inspect_service(service_id), api.tasks(filters={"service": service_id}))
                for task_id, node in progress.restarted:
                    if task_id not in seen:
                        seen.add(task_id)
                        self.report(f"{component}: task on {hostnames.get(node, node)} {verb} "
                                    f"({len(seen)}/{progress.wanted})")
                if progress.failed:
                    raise RolloutError(f"{component}: Swarm {STOPPED[progress.state]}: {progress.error or 'no reason'}"
                                       f"; {component}'s other tasks keep what they ran. See 'deisctl journal "
                                       f"{component}' and 'deisctl status {component}'")
                if progress.done:
                    return progress
                if time.monotonic() > deadline:
                    raise TemporaryError(f"{component}: not {verb} after {self.timeout:.0f} s: waiting for "
                                         f"{pending_text(progress, hostnames)} (update "
                                         f"{progress.state or 'not begun'}); see 'deisctl status {component}' "
                                         f"and 'deisctl journal {component}'")
                time.sleep(POLL)
