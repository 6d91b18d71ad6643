"""The user's path on the cluster: ``git push``, ``deis scale``, ``deis tags:set``, ``deis ps`` on the bed.

Someone registers with a real ``deis-controller`` (swarm backend on h1) and
pushes a Dockerfile app over SSH to a real ``deis-builder``, which builds it
on h1 and pushes it to the registry on h1 (:mod:`tests.cluster.control` says
why there); the nodes pull it from there. Requests go from the root
namespace to the routers on h2 and h3 only (each one checked by
``require_bed_route``), with ``Host: <app>.bed.deis.test``. Each web
container answers ``<release> <container hostname>``; the hostname names the
container, and the node engines say where it runs.

The tests follow one app through its life, in file order: push and scale,
move to a labelled node, then a tag no node has. Each prints what it measures
(``-s`` shows it).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass

import pytest

from tests.cluster import control, mesh
from tests.cluster.apps import answering
from tests.cluster.testbed import IMAGE
from tests.person import Person, make_repo

pytest_plugins = ["tests.integration.cli_conftest"]  # cli_database_url: a fresh, migrated schema

pytestmark = pytest.mark.multihost

#: A Dockerfile app whose ``web`` process answers its release and its container's hostname.
FILES = {
    "Dockerfile": f"FROM {IMAGE}\nCMD [\"httpd\", \"-f\", \"-p\", \"5000\"]\n",
    "Procfile": 'web: echo "$DEIS_RELEASE $HOSTNAME" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp\n',
}
#: ``web.1 up (v2) on h3``: a line of ``deis ps`` on a cluster.
PS_LINE = re.compile(r"^web\.(\d+) (\w+) \((v\d+)\) on (h\d+)$", re.MULTILINE)
#: Seconds every router has to answer from every new container.
ROUTED_TIMEOUT = 30


@dataclass
class Platform:
    """The bed with the whole platform on it."""

    testbed: object
    routers: list[mesh.RouterOnNode]
    registry: str
    control: control.Control


@pytest.fixture(scope="module")
def bed(testbed, cli_database_url, tmp_path_factory):
    """The bed emptied once for this module, with the mesh, the registry, a controller and a builder on it."""
    if not testbed.is_up:
        testbed.up()
    testbed.reset()
    started = time.monotonic()
    routers = mesh.start(testbed)
    meshed = time.monotonic()
    registry = mesh.start_registry(testbed)
    registered = time.monotonic()
    with control.running(testbed, cli_database_url, tmp_path_factory.mktemp("control")) as ctl:
        print(f"\ncli on the cluster: publishers and routers on {[r.host.name for r in routers]} in "
              f"{meshed - started:.1f} s, the registry at {registry} in {registered - meshed:.1f} s, "
              f"controller and builder in {time.monotonic() - registered:.1f} s")
        yield Platform(testbed, routers, registry, ctl)


@pytest.fixture(scope="module")
def alice(bed, tmp_path_factory):
    """A registered user with an SSH key on the controller."""
    ctl = bed.control
    person = Person("alice", tmp_path_factory.mktemp("people") / "alice")
    person.deis("register", ctl.url, "--username", "alice", "--password", "s3cret pass",
                "--email", "alice@example.com")
    person.deis("keys:add", str(person.key.with_suffix(".pub")))
    return person


@pytest.fixture(scope="module")
def app(bed, alice, tmp_path_factory):
    """Alice's app, created with ``deis create`` and deployed by ``git push`` (release v2, one web)."""
    ctl = bed.control
    name = f"bed{uuid.uuid4().hex[:6]}"
    repo = make_repo(alice, tmp_path_factory.mktemp("src") / name, FILES)
    alice.deis("create", name, "--no-remote", cwd=repo)
    started = time.monotonic()
    pushed = alice.git("push", ctl.push_url(name), "master", cwd=repo, check=False)
    took = time.monotonic() - started
    assert pushed.returncode == 0, f"{pushed.stderr}\n{ctl.tail()}"
    assert f"{name}:v2 deployed to Deis" in pushed.stderr.replace("\x1b[1G", ""), pushed.stderr
    print(f"\ncli on the cluster: git push of a Dockerfile app (build on h1, push to the registry, deploy) "
          f"took {took:.1f} s")
    return name


def processes(person: Person, app: str) -> list[tuple[str, str, str, str]]:
    """``deis ps`` of ``app`` as ``(num, state, release, host)`` of each web line."""
    return PS_LINE.findall(person.deis("ps", "-a", app).stdout)


def running_on(bed, app: str) -> dict[str, tuple[str, str]]:
    """Return ``{container hostname: (node, image name)}`` of ``app``'s running containers, from each node's engine."""
    found = {}
    for host in bed.hosts:
        with contextlib.closing(host.docker()) as client:
            for container in client.containers.list(filters={"label": f"deis.app={app}"}):
                found[container.attrs["Config"]["Hostname"]] = (host.name, container.attrs["Config"]["Image"])
    return found


def routed_by_all(routers, app: str, want: set[str]) -> dict[str, set[str]]:
    """Return the bodies each router answered with, asking until it gave all of ``want``."""
    return {router.host.name: answering(router, f"{app}.{mesh.DOMAIN}", want, ROUTED_TIMEOUT)
            for router in routers}


# deis scale web=3 (after git push)
def test_scale_web_3_runs_three_containers_on_three_hosts_and_every_router_answers_from_all(bed, alice, app):
    testbed, routers = bed.testbed, bed.routers
    started = time.monotonic()
    alice.deis("scale", "web=3", "-a", app)
    scaled = time.monotonic() - started
    shown = processes(alice, app)
    where = running_on(testbed, app)
    want = {f"v2 {hostname}" for hostname in where}
    seen = routed_by_all(routers, app, want)
    routed = time.monotonic() - started

    print(f"\ncli on the cluster: deis scale web=3 returned after {scaled:.1f} s, every router answered from all "
          f"3 containers after {routed:.1f} s; deis ps: {shown}")
    assert sorted(num for num, *_ in shown) == ["1", "2", "3"], shown
    assert {(state, release) for _, state, release, _ in shown} == {("up", "v2")}, shown
    assert sorted(host for *_, host in shown) == ["h1", "h2", "h3"], shown
    assert sorted(node for node, _ in where.values()) == ["h1", "h2", "h3"], where
    assert all(image.startswith(f"{bed.registry}/{app}:git-") for _, image in where.values()), where
    for router, bodies in seen.items():
        assert bodies == want, f"router on {router}: {bodies}\n{mesh.logs(testbed.host(router), 'router')}"


# deis tags:set environ=prod (one node labelled so)
def test_tags_set_moves_every_container_to_the_labelled_node(bed, alice, app):
    testbed, routers = bed.testbed, bed.routers
    with contextlib.closing(testbed.hosts[0].docker()) as manager:
        node = manager.nodes.get("h3")
        node.update({**node.attrs["Spec"], "Labels": {"environ": "prod"}})
    started = time.monotonic()
    alice.deis("tags:set", "environ=prod", "-a", app)
    moved = time.monotonic() - started
    shown = processes(alice, app)
    where = running_on(testbed, app)
    want = {f"v3 {hostname}" for hostname in where}
    seen = routed_by_all(routers, app, want)

    print(f"\ncli on the cluster: deis tags:set environ=prod moved 3 containers to h3 in {moved:.1f} s, every "
          f"router answered from them after {time.monotonic() - started:.1f} s; deis ps: {shown}")
    assert [(state, release, host) for _, state, release, host in shown] == [("up", "v3", "h3")] * 3, shown
    assert [node for node, _ in where.values()] == ["h3"] * 3, where
    for router, bodies in seen.items():
        assert bodies == want, f"router on {router}: {bodies}"


# deis tags:set environ=nowhere (no node has it)
def test_tags_set_with_no_matching_node_fails_with_a_sentence_and_the_old_release_keeps_serving(bed, alice, app):
    testbed, routers = bed.testbed, bed.routers
    before = running_on(testbed, app)
    want = {f"v3 {hostname}" for hostname in before}
    started = time.monotonic()
    refused = alice.deis("tags:set", "environ=nowhere", "-a", app, check=False)
    took = time.monotonic() - started
    seen = routed_by_all(routers, app, want)
    shown = processes(alice, app)
    tags = alice.deis("tags:list", "-a", app).stdout
    print(f"\ncli on the cluster: deis tags:set environ=nowhere failed after {took:.1f} s with: "
          f"{refused.stderr.strip()!r}")
    assert refused.returncode == 1, refused.stdout
    assert re.search(r"v3 keeps serving: web\.\d cannot start: no node matches the app's tags \(environ=nowhere\)",
                     refused.stderr), refused.stderr
    assert "deis logs" not in refused.stderr, "nothing ran, so there is no output to read"
    assert re.search(r"^environ\s+prod$", tags, re.MULTILINE) and "nowhere" not in tags, tags
    assert running_on(testbed, app) == before
    assert [(state, release, host) for _, state, release, host in shown] == [("up", "v3", "h3")] * 3, shown
    for router, bodies in seen.items():
        assert bodies == want, f"router on {router}: {bodies}"
