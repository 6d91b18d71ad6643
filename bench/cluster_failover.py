"""Losing a host of the platform (issue 18): time to app, API and git push again vs Swarm's own reschedule; idle memory.

``python -m bench.cluster_failover`` (as root) builds the multi-host bed of
``tests/cluster`` (3 hosts, 3 etcd members), takes its engines out of the bed's
Swarm, and lets the real ``deisctl`` bootstrap them into the platform's Swarm
(3 managers, default heartbeat; h1 ``controlPlane,dataPlane``, out of the
router mesh) and ``start platform``. Then:

1. **Idle memory per host**, after the platform has been idle 20 s: the sum
   of its containers' memory (the engine's stats: usage minus inactive file
   pages, as ``docker stats`` shows it) and the RSS of the host's dockerd,
   containerd and shims; per component the top lines; the host's etcd member
   apart (the bed's, not the platform's).
2. Someone registers, pushes an app and scales it to web=3. Under ~50 rps to
   the app and a loop of authenticated API writes through a router on another
   host, the host running the database (``--target controller``: a router host
   running a controller replica) is cut off. Measured from the cut: (a) the
   app answering 100 % again (the start of 10 s without a failed request),
   (b) the API acknowledging a write again, (c) ``git push`` working again (the
   start of the first push that succeeds; pushes begin once the API is back,
   alongside the app's measurement). Then the host is healed.
3. **Baseline**, in the same run, on the same Swarm: a plain replicated
   busybox service of one task, kept off h1, has its node cut off; the time
   until Swarm runs its replacement task on another node (polled through
   h1's manager). Printed: (a), (b), (c) over it.

It prints the figures and asserts nothing; the bed is down when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import psutil
import requests

from tests.cluster.load import Load, Writes, push_until_it_works, seconds, token, wait, wait_until_clean, window
from tests.cluster.platform import app_nodes, bare_bed, running_tasks
from tests.cluster.scenario import (
    Deployed,
    app_of_three,
    commit,
    placement,
    placement_or_error,
    rejoined,
    start_platform,
    survivor,
    victim,
    wait_for_api,
)
from tests.cluster.testbed import IMAGE, Host, Testbed, bed_processes, daemon_pid

MIB = 1 << 20
#: How long the platform idles before its memory is read.
IDLE = 20
#: Load before the cut, so the figures have a "before".
WARM_UP = 10
#: The plain service of the baseline.
BASELINE_SERVICE = "bench-reschedule"


# -- idle memory ---------------------------------------------------------------


@dataclass
class HostMemory:
    """One host's idle memory: per component its containers' bytes, per engine process its RSS."""

    host: str
    components: dict[str, int]
    engine: dict[str, int]
    shims: int
    etcd: int

    @property
    def total(self) -> int:
        return sum(self.components.values()) + sum(self.engine.values())

    def lines(self, top: int) -> list[str]:
        engine = " + ".join(f"{name} {size / MIB:.1f}" for name, size in self.engine.items())
        ranked = sorted(self.components.items(), key=lambda item: -item[1])
        return [f"  {self.host}: {self.total / MIB:.1f} MiB = containers {sum(self.components.values()) / MIB:.1f} "
                f"MiB + {engine} MiB ({self.shims} shims); its etcd member {self.etcd / MIB:.1f} MiB apart",
                "      " + ", ".join(f"{name} {size / MIB:.1f}" for name, size in ranked[:top])]


def container_memory(container) -> int:
    """The container's memory as ``docker stats`` counts it: usage minus inactive file pages (cgroup v1: cache)."""
    stats = container.stats(stream=False, one_shot=True)["memory_stats"]
    detail = stats.get("stats") or {}
    inactive = detail.get("inactive_file", detail.get("total_inactive_file", detail.get("cache", 0)))
    return stats.get("usage", 0) - inactive


def rss(pid: int | None) -> int:
    with contextlib.suppress(psutil.Error, TypeError):
        return psutil.Process(pid).memory_info().rss
    return 0


def host_memory(host: Host) -> HostMemory:
    """Read ``host``'s containers' memory from its engine and its engine's processes' RSS."""
    components: dict[str, int] = defaultdict(int)
    with contextlib.closing(host.docker()) as client:
        for container in client.containers.list():
            name = container.labels.get("com.docker.swarm.service.name", container.name)
            components[name.removeprefix("deis-")] += container_memory(container)
    containerd_pid = None
    with contextlib.suppress(OSError, ValueError):
        containerd_pid = int((host.state / "exec" / "containerd" / "containerd.pid").read_text())
    shims = [process for process in bed_processes(host.state) if process.name().startswith("containerd-shim")]
    engine = {"dockerd": rss(daemon_pid(host, "dockerd")), "containerd": rss(containerd_pid),
              "shims": sum(rss(process.pid) for process in shims)}
    return HostMemory(host.name, dict(components), engine, len(shims), rss(daemon_pid(host, "etcd")))


# -- the platform's failover ------------------------------------------------------


@dataclass
class Failover:
    """One cut of the platform's host under load, in seconds after the cut (None: not within the wait)."""

    cut: str
    app: float | None
    api: float | None
    push: float | None
    line: str


def cut_under_load(bed: Testbed, deployed: Deployed, target: str, number: int) -> Failover:
    """Cut the target's host under load, measure (a), (b), (c), heal it and wait until it runs its tasks again."""
    placed = placement(bed)
    cut_host = bed.host(victim(placed, target))
    router = bed.host(survivor(placed, cut_host.name))
    load, writes = Load(router.ip, deployed.app), Writes(router.ip, token(router.ip, deployed.user))
    commit(deployed, f"after cut {number}")
    apps_there = app_nodes(bed, deployed.app).count(cut_host.name)
    manager = router.docker()
    before = set(running_tasks(manager, f"deis-{target}"))
    threads = [*load.run(), writes.run()]
    time.sleep(WARM_UP)
    cut = time.monotonic()
    bed.partition(cut_host)
    with contextlib.closing(manager), ThreadPoolExecutor(2) as pool:
        try:
            watching = pool.submit(watch_move, manager, cut_host.name, f"deis-{target}", before, 300)
            pushing = pool.submit(_push_once_the_api_is_back, deployed, router, writes, cut)
            app_clean = wait_until_clean(load, cut, 120)
            pushed, push_back, tries = pushing.result()
            seen = watching.result()
            api_back = writes.first_after(cut + 1)
        finally:
            _stop(load, writes, threads)
            healed = time.monotonic()
            bed.heal(cut_host)
    back = wait(lambda: rejoined(bed, cut_host.name, placed, router.name), 180)
    failures = load.failures(cut)
    ran = ", ".join(c for c, hosts in placed.items() if cut_host.name in hosts)
    line = (f"#{number} cut {cut_host.name} (ran {ran}; {apps_there} of the app's 3 containers) under {load.rps} rps "
            f"through {router.name}'s router: {len(load.outcomes)} requests, {len(failures)} failed, "
            f"{window(failures, cut)}\n"
            f"   {moves(seen, cut, target)}\n"
            f"   (a) app 100 % again    {seconds(app_clean, cut)} after the cut\n"
            f"   (b) API acknowledges   {seconds(api_back, cut)} after the cut ({writes.refused} writes refused or "
            f"unanswered, {len(writes.acknowledged)} acknowledged)\n"
            f"   (c) git push works     {seconds(push_back, cut)} after the cut ({tries} tries"
            f"{'' if pushed is None or pushed.returncode == 0 else ', the last failed'})\n"
            f"   {cut_host.name} Ready with its global tasks {seconds(back, healed)} after the heal; "
            f"placement after {placement_or_error(bed, router.name)}")
    return Failover(cut_host.name, *(None if at is None else at - cut for at in (app_clean, api_back, push_back)),
                    line)


def _push_once_the_api_is_back(deployed: Deployed, router: Host, writes: Writes, cut: float) -> tuple:
    """Wait for the API to acknowledge a write after the cut, then push as :func:`push_until_it_works` does.

    Before that a push cannot work: the builder asks the controller who may push.
    """
    if wait(lambda: writes.first_after(cut + 1), 300) is None:
        return None, None, 0
    return push_until_it_works(deployed.person, deployed.repo, router.ip, deployed.app, cut + 300)


def _stop(load: Load, writes: Writes, threads: list[threading.Thread]) -> None:
    load.stop.set()
    writes.stop.set()
    for thread in threads:
        thread.join(20)


# -- the baseline: Swarm alone ------------------------------------------------------


def swarm_reschedule(bed: Testbed, placed: dict[str, list[str]]) -> tuple[float | None, str]:
    """Cut the node of a plain one-task service (kept off h1); return the seconds until its replacement runs."""
    with contextlib.closing(bed.hosts[0].docker()) as manager:
        service = manager.services.create(IMAGE, command=["sleep", "86400"], name=BASELINE_SERVICE,
                                          constraints=["node.hostname != h1"],
                                          mode=docker.types.ServiceMode("replicated", replicas=1))
        try:
            if not wait(lambda: running_tasks(manager, BASELINE_SERVICE), 60):
                return None, "the plain service's task never ran"
            before = running_tasks(manager, BASELINE_SERVICE)
            node = next(iter(before.values()))
            cut = time.monotonic()
            bed.partition(bed.host(node))
            try:
                seen = watch_move(manager, node, BASELINE_SERVICE, set(before), 120)
            finally:
                bed.heal(bed.host(node))
            back = wait(lambda: rejoined(bed, node, placed, "h1"), 180)
        finally:
            service.remove()
    moved = seen.get("moved")
    return (None if moved is None else moved - cut), (
        f"cut {node}: {moves(seen, cut, 'its task')}; {node} back with its global tasks {seconds(back, cut)} "
        f"after the cut")


def watch_move(manager, node: str, service: str, before: set[str], timeout: float) -> dict:
    """Poll (every 0.1 s) until ``service`` runs a task not in ``before`` off ``node``; return when and where.

    Also when the manager first listed ``node`` as not ready. A manager busy
    electing a leader (one was cut) may not answer for a moment: polled again.
    """
    seen: dict = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
            if "down" not in seen and _node_state(manager, node) != "ready":
                seen["down"] = time.monotonic()
            new = [at for task, at in running_tasks(manager, service).items() if task not in before and at != node]
            if new:
                seen.update(moved=time.monotonic(), to=new[0])
                return seen
        time.sleep(0.1)
    return seen


def moves(seen: dict, cut: float, what: str) -> str:
    """What :func:`watch_move` saw, in words."""
    return (f"Swarm marked the node down {seconds(seen.get('down'), cut)} after the cut, {what}'s replacement ran "
            f"on {seen.get('to', 'no node')} {seconds(seen.get('moved'), cut)} after the cut")


def _node_state(manager, node: str) -> str:
    states = {n.attrs["Description"]["Hostname"]: n.attrs["Status"]["State"] for n in manager.nodes.list()}
    return states.get(node, "?")


# -- the run ----------------------------------------------------------------------


def ratio(value: float | None, baseline: float | None) -> str:
    return "n/a" if value is None or not baseline else f"{value / baseline:.2f}"


def median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if len(known) == len(values) and known else None


def measure(bed: Testbed, home: Path, repeat: int, target: str, top: int) -> None:
    """Start the platform on the bare bed and print its idle memory, then ``repeat`` failovers, each with a baseline."""
    data = home / "deis"
    started = time.monotonic()
    start_platform(bed, data)
    platform = time.monotonic() - started
    wait_for_api(data, bed.host("h2"))
    print(f"platform: deisctl cluster bootstrap + start platform {platform:.1f} s, "
          f"API answering through h2 {time.monotonic() - started - platform:.1f} s later")
    time.sleep(IDLE)
    print(f"idle memory per host ({IDLE} s idle; containers: usage - inactive file; engine processes: RSS), MiB:")
    memory = [host_memory(host) for host in bed.hosts]
    for host in memory:
        print("\n".join(host.lines(top)))
    print(f"  all hosts: {sum(host.total for host in memory) / MIB:.1f} MiB")

    started = time.monotonic()
    deployed = app_of_three(bed, home, bed.host("h2"))
    print(f"{deployed.app}: registered, pushed and scaled to web=3 through h2 in {time.monotonic() - started:.1f} s")
    runs = []
    for number in range(1, repeat + 1):
        failover = cut_under_load(bed, deployed, target, number)
        print(failover.line)
        baseline, line = swarm_reschedule(bed, placement(bed))
        print(f"#{number} baseline (plain service, same Swarm): {line}")
        print(f"#{number} over the baseline ({seconds(baseline, 0)}): "
              f"(a) app {ratio(failover.app, baseline)}, (b) API {ratio(failover.api, baseline)}, "
              f"(c) git push {ratio(failover.push, baseline)}")
        runs.append((failover, baseline))
    if repeat > 1:
        base = median([b for _, b in runs])
        figures = {name: median([getattr(f, name) for f, _ in runs]) for name in ("app", "api", "push")}
        print(f"median of {repeat}: baseline {seconds(base, 0)}; " + ", ".join(
            f"{name} {seconds(value, 0)} ({ratio(value, base)})" for name, value in figures.items()))


def run(repeat: int, target: str, top: int) -> None:
    """Build the bed, measure, print, and take the bed down."""
    bed = Testbed(hosts=3)
    print("waiting for the bed's lock (another bed test or bench may hold it)")
    with bed.lock.held(timeout=3600):
        bed.down()
        started = time.monotonic()
        try:
            print(f"bed up in {bed.up():.1f} s")
            with tempfile.TemporaryDirectory(prefix="bench-failover-") as home, bare_bed(bed):
                measure(bed, Path(home), repeat, target, top)
        finally:
            print(f"bed down in {bed.down():.1f} s; the bench took {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="cuts (each with its baseline) on one platform")
    parser.add_argument("--target", choices=("database", "controller"), default="database",
                        help="whose host to cut: the database's (a singleton moves and restores: the worst "
                             "case) or a router host running a controller replica")
    parser.add_argument("--top", type=int, default=6, help="components listed per host")
    args = parser.parse_args(argv)
    run(args.repeat, args.target, args.top)


if __name__ == "__main__":
    main()
