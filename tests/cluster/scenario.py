"""The failover scenario's steps on the bed: platform started by ``deisctl``, an app of 3, the host to cut.

A harness module, not a test module (``tests/unit/test_bench_imports.py``):
``bench/cluster_failover`` and the failover and restart tests on the bed run
these steps.
Only bed addresses are contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests

from deis import keys
from tests.cluster import mesh
from tests.cluster.load import PASSWORD
from tests.cluster.platform import (
    API,
    FILES,
    Someone,
    api_answers,
    app_bodies,
    app_containers,
    app_nodes,
    deisctl,
    fresh_store,
    journals,
    running_tasks,
)
from tests.cluster.testbed import Host, Testbed
from tests.person import make_repo

#: The services whose placement the scenario reads (``deis-<component>``).
PLACED = ("controller", "database", "builder", "router", "registry", "logger", "publisher")


def start_platform(bed: Testbed, data: Path, settings: Mapping[str, str] | None = None) -> None:
    """Bootstrap the bare bed's engines into the platform's Swarm with the real ``deisctl`` and start the platform.

    h1 is ``controlPlane,dataPlane`` (out of the router mesh); the store is a
    folder under the bed's state; ``settings`` are more etcd keys to write first.
    """
    store = fresh_store()
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]
    deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane", "--store", f"file://{store}")
    etcd = bed.hosts[0].etcd()
    etcd.put(keys.platform("domain"), mesh.DOMAIN)
    for key, value in (settings or {}).items():
        etcd.put(key, value)
    started = deisctl(data, "start", "platform", timeout=900, check=False)
    if started.returncode != 0:
        pytest.fail(f"deisctl start platform exited {started.returncode}:\n{started.stdout}\n{started.stderr}\n"
                    f"{journals(data)}")


def wait_for_api(data: Path, router: Host, timeout: float = 300) -> None:
    """Wait until the controller answers through ``router``'s router; fail with the journals if it does not."""
    deadline = time.monotonic() + timeout
    while not api_answers(router.ip):
        if time.monotonic() > deadline:
            pytest.fail(f"the API did not answer through {router.name} within {timeout} s\n{journals(data)}")
        time.sleep(0.5)


def placement(bed: Testbed, through: str = "h1") -> dict[str, list[str]]:
    """Each component's running tasks' nodes, as the manager on ``through`` sees them."""
    with contextlib.closing(bed.host(through).docker()) as manager:
        return {c: sorted(running_tasks(manager, f"deis-{c}").values()) for c in PLACED}


def placement_or_error(bed: Testbed, through: str) -> object:
    """:func:`placement`, or a sentence when the manager does not answer (raft busy after a heal)."""
    try:
        return placement(bed, through)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        return f"(the manager on {through} did not answer: {exc})"


def victim(placed: dict[str, list[str]], target: str) -> str:
    """The host to cut: the database's, or a router host running a controller replica (the database's if so)."""
    if target == "database":
        return placed["database"][0]
    candidates = [host for host in placed["router"] if host in placed["controller"]]
    if not candidates:
        raise LookupError(f"no router host runs a controller: {placed}")
    return next((host for host in candidates if host in placed["database"]), candidates[0])


def survivor(placed: dict[str, list[str]], cut: str) -> str:
    """A router host that is not the one cut."""
    return next(host for host in placed["router"] if host != cut)


def rejoined(bed: Testbed, name: str, placed: dict[str, list[str]], through: str) -> bool:
    """True when node ``name`` is Ready again and runs a task of every global service it ran before.

    A manager may not answer while raft takes the healed one back (seen: reads
    timing out after a heal): that counts as not yet.
    """
    try:
        with contextlib.closing(bed.host(through).docker()) as manager:
            nodes = {node.attrs["Description"]["Hostname"]: node.attrs["Status"]["State"]
                     for node in manager.nodes.list()}
        now = placement(bed, through)
    except (docker.errors.DockerException, requests.RequestException):
        return False
    return nodes.get(name) == "ready" and all(name in now[c] for c in ("publisher", "router", "registry")
                                              if name in placed[c])


@dataclass
class Deployed:
    """Someone's app of 3 web containers on the platform, and the repo they push it from."""

    person: Someone
    user: str
    app: str
    repo: Path


def app_of_three(bed: Testbed, home: Path, router: Host) -> Deployed:
    """Register someone through ``router``, push a Procfile app over SSH to it and scale it to web=3.

    Names are random: the store, and so every restored database, outlives a run.
    """
    user, app = f"fo{uuid.uuid4().hex[:6]}", f"fo{uuid.uuid4().hex[:6]}"
    person = Someone(user, home / user, router.ip)
    person.deis("register", f"http://{API}", "--username", user, "--password", PASSWORD,
                "--email", f"{user}@example.com")
    person.deis("keys:add", str(person.key.with_suffix(".pub")))
    repo = make_repo(person, home / "src" / app, FILES)
    person.deis("create", app, "--no-remote", cwd=repo)
    person.git("push", f"ssh://git@{router.ip}:2222/{app}.git", "master", cwd=repo)
    person.deis("scale", "web=3", "-a", app)
    if len(app_bodies(router.ip, app, 3)) != 3:
        pytest.fail(f"{app} did not answer from 3 containers through {router.name}: {app_nodes(bed, app)}")
    return Deployed(person, user, app, repo)


def app_image(bed: Testbed, app: str) -> str:
    """The image ``app``'s running containers were started from (one release runs one image)."""
    found = {image for _, image in app_containers(bed.hosts, app)}
    if len(found) != 1:
        raise AssertionError(f"{app} runs {len(found)} images: {sorted(found)}")
    return found.pop()


def untag_outside(bed: Testbed, cut: Host, image: str) -> None:
    """Remove ``image``'s name from every engine but ``cut``'s: running it again there needs a pull."""
    for host in bed.hosts:
        if host is not cut:
            with contextlib.closing(host.docker()) as client, contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(image, force=True)


def rollback_pulls(bed: Testbed, cut: Host, deployed: Deployed, image: str, timeout: float = 120) -> float | None:
    """Roll back to the release of ``image`` after the engines outside ``cut`` forgot it; return when 3 run it.

    Each node pulls ``image`` again, from its own node's registry (the one
    that took the push may be the cut host's): issue 18's rollbacks and
    config changes after a registry's node died. None when 3 never ran it.
    """
    untag_outside(bed, cut, image)
    deployed.person.deis("releases:rollback", "-a", deployed.app)
    deadline = time.monotonic() + timeout
    survivors = [host for host in bed.hosts if host is not cut]
    while time.monotonic() < deadline:
        if [found for _, found in app_containers(survivors, deployed.app)].count(image) >= 3:
            return time.monotonic()
        time.sleep(1)
    return None


def commit(deployed: Deployed, text: str) -> None:
    """Commit a change to the app's repo, so the next push has something to build."""
    (deployed.repo / "CHANGES").write_text(f"{text}\n")
    deployed.person.git("add", "CHANGES", cwd=deployed.repo)
    deployed.person.git("commit", "-q", "-m", text, cwd=deployed.repo)
