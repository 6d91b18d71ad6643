"""Losing a host of the platform's cluster under load (issue 18, T22): what fails, for how long, what is kept.

From no Swarm the real ``deisctl`` bootstraps the bed's 3 hosts (3 managers;
h1 out of the router mesh; default Swarm heartbeat, 5 s) and starts the
platform; a person pushes an app and scales it to 3. Then, under ~50 rps to
the app through one router and a loop of authenticated writes against the API
(``POST /v1/keys/``, each acknowledged write's time recorded), the host
running a controller replica and a router — the database's, when it runs on
one of those — is cut off (:meth:`Testbed.partition`). Measured and printed:

* the app's failed requests through the other router, and the window they fell in;
* how long the API took to acknowledge a write again (a database on the cut
  host: Swarm moving it + its restore from the store);
* whether every write acknowledged more than ``archiveTimeout`` before the cut
  is still there (set to 10 s here; v1's 60 s is the default);
* how long ``git push`` takes afterwards, through the surviving router;
* after the heal, how long until the host's global tasks run on it again,
  with no hand work.

Only bed addresses are contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import contextlib
import time
import uuid

import docker
import pytest
import requests

from deis import keys
from tests.cluster import mesh
from tests.cluster.load import (
    PASSWORD,
    Load,
    Writes,
    push_until_it_works,
    seconds,
    token,
    wait,
    wait_until_clean,
    window,
)
from tests.cluster.platform import (
    API,
    FILES,
    Someone,
    api_answers,
    app_bodies,
    app_nodes,
    deisctl,
    journals,
    running_tasks,
)
from tests.cluster.testbed import STATE
from tests.person import make_repo

pytestmark = pytest.mark.multihost

#: The database's archiveTimeout for this test: a crash loses at most this much of acknowledged writes.
ARCHIVE_TIMEOUT = 10


def _placement(bed, through: str = "h1") -> dict[str, list[str]]:
    """Each component's running tasks' nodes, as the manager on ``through`` sees them."""
    with contextlib.closing(bed.host(through).docker()) as manager:
        return {c: sorted(running_tasks(manager, f"deis-{c}").values())
                for c in ("controller", "database", "builder", "router", "registry", "logger", "publisher")}


def _victim(placed: dict[str, list[str]], target: str) -> str:
    """The host to cut: the database's, or a router host running a controller replica (the database's if so)."""
    if target == "database":
        return placed["database"][0]
    candidates = [host for host in placed["router"] if host in placed["controller"]]
    assert candidates, f"no router host runs a controller: {placed}"
    return next((host for host in candidates if host in placed["database"]), candidates[0])


def _rejoined(bed, name: str, placed: dict[str, list[str]], through: str) -> bool:
    """True when the node is Ready again and runs a task of every global service it ran before.

    A manager may not answer while raft takes the healed one back (seen: reads
    timing out after a heal): that counts as not yet.
    """
    try:
        with contextlib.closing(bed.host(through).docker()) as manager:
            nodes = {node.attrs["Description"]["Hostname"]: node.attrs["Status"]["State"]
                     for node in manager.nodes.list()}
        now = _placement(bed, through)
    except (docker.errors.DockerException, requests.RequestException):
        return False
    return nodes.get(name) == "ready" and all(name in now[c] for c in ("publisher", "router") if name in placed[c])


def _placement_or_error(bed, through: str) -> object:
    try:
        return _placement(bed, through)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        return f"(the manager on {through} did not answer: {exc})"


@pytest.mark.parametrize("target", ["controller", "database"])
def test_the_host_of_a_controller_or_of_the_database_is_cut_off_under_load(bare, tmp_path, target):
    bed, data = bare, tmp_path / "deis"
    store = STATE / "store"
    store.mkdir(mode=0o755, exist_ok=True)
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]
    deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane", "--store", f"file://{store}")
    etcd = bed.hosts[0].etcd()
    etcd.put(keys.platform("domain"), mesh.DOMAIN)
    etcd.put(keys.component("database", "archiveTimeout"), str(ARCHIVE_TIMEOUT))
    started = deisctl(data, "start", "platform", timeout=900, check=False)
    assert started.returncode == 0, f"{started.stdout}\n{started.stderr}\n{journals(data)}"

    placed = _placement(bed)
    victim = bed.host(_victim(placed, target))
    survivor = bed.host(next(host for host in placed["router"] if host != victim.name))
    deadline = time.monotonic() + 300
    while not api_answers(survivor.ip):
        assert time.monotonic() < deadline, f"the API did not answer through {survivor.name}\n{journals(data)}"
        time.sleep(0.5)

    user = f"fo{uuid.uuid4().hex[:6]}"  # the store, and so every restored database, outlives a test
    alice = Someone(user, tmp_path / user, survivor.ip)
    alice.deis("register", f"http://{API}", "--username", user, "--password", PASSWORD,
               "--email", f"{user}@example.com")
    alice.deis("keys:add", str(alice.key.with_suffix(".pub")))
    app = f"fo{uuid.uuid4().hex[:6]}"
    repo = make_repo(alice, tmp_path / "src" / app, FILES)
    alice.deis("create", app, "--no-remote", cwd=repo)
    alice.git("push", f"ssh://git@{survivor.ip}:2222/{app}.git", "master", cwd=repo)
    alice.deis("scale", "web=3", "-a", app)
    assert len(app_bodies(survivor.ip, app, 3)) == 3, app_nodes(bed, app)

    load, writes = Load(survivor.ip, app), Writes(survivor.ip, token(survivor.ip, user))
    threads = [*load.run(), writes.run()]
    time.sleep(ARCHIVE_TIMEOUT + 10)  # writes old enough to be archived when the host goes
    cut = time.monotonic()
    bed.partition(victim)
    try:
        api_back = wait(lambda: writes.first_after(cut + 1), 300)
        app_clean = wait_until_clean(load, cut, 120)
        (repo / "CHANGES").write_text("after the cut\n")
        alice.git("add", "CHANGES", cwd=repo)
        alice.git("commit", "-q", "-m", "after the cut", cwd=repo)
        pushed, push_back, push_tries = push_until_it_works(alice, repo, survivor.ip, app, cut + 180)
        try:
            stored = writes.stored()  # before the heal: the cut-off database serves until Swarm stops it
        except requests.RequestException:
            stored = set()  # the API is not back: every old write counts as lost below
    finally:
        load.stop.set()
        writes.stop.set()
        for thread in threads:
            thread.join(20)
        healed = time.monotonic()
        bed.heal(victim)

    failures = load.failures(cut)
    before = [at for at, _ in load.outcomes if at < cut]
    old_writes = {name for name, at in writes.acknowledged.items() if at < cut - ARCHIVE_TIMEOUT}
    recent = {name for name, at in writes.acknowledged.items() if cut - ARCHIVE_TIMEOUT <= at < cut}
    ran = ", ".join(c for c, hosts in placed.items() if victim.name in hosts)
    print(f"\nfailover ({target}): cut {victim.name} (ran {ran}); "
          f"load through {survivor.name}'s router: {len(load.outcomes)} requests, {len(failures)} failed after the "
          f"cut ({len(before)} before it), failures {window(failures, cut)}; app 100 % again "
          f"{seconds(app_clean, cut)} after the cut; API acknowledged a write again {seconds(api_back, cut)} after "
          f"the cut ({writes.refused} writes refused or unanswered); writes acknowledged > {ARCHIVE_TIMEOUT} s before "
          f"the cut: {len(old_writes & stored)}/{len(old_writes)} kept, in the last {ARCHIVE_TIMEOUT} s: "
          f"{len(recent & stored)}/{len(recent)} kept; git push works again {seconds(push_back, cut)} after the "
          f"cut ({push_tries} tries); placement before {placed}")
    rejoined = wait(lambda: _rejoined(bed, victim.name, placed, survivor.name), 180)
    print(f"failover ({target}): {victim.name} Ready with its global tasks {seconds(rejoined, healed)} after the "
          f"heal; placement after {_placement_or_error(bed, survivor.name)}")

    assert api_back is not None, f"the API never acknowledged a write after the cut\n{journals(data)}"
    assert old_writes <= stored, f"lost acknowledged writes: {sorted(old_writes - stored)}"
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    assert app_clean is not None, f"the app still failed 120 s after the cut: {window(failures, cut)}"
    assert rejoined is not None, f"{victim.name} did not rejoin: {_placement_or_error(bed, survivor.name)}"


