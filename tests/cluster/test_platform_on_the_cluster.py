"""The whole platform (but the store's daemons and etcd) as Swarm services, started by ``deisctl``, used by a person.

From no Swarm, the real ``deisctl`` bootstraps the bed's 3 hosts (3 managers;
h1 kept out of the router mesh) with ``--store file://<bed state>/store``,
then ``start platform`` runs every component from its image, tier by tier.
Then someone uses it as on any Deis: ``deis register`` through the router on
h2 (the CLI's HTTP proxy is h2's router, so the request keeps the name
``deis.bed.deis.test`` without any DNS), ``git push`` over SSH to h2's address
on 2222 (the router forwards it to a builder), the app answers through the
router on h3, and ``deis scale web=3`` spreads it over the nodes.

**Images by content.** Before ``start``, h3's ``deis/publisher:<tag>`` is
re-tagged onto another image, as a Swarm agent's pull of that name from
Docker Hub would leave it: h3's publisher task must run the manager's image
all the same (:mod:`deisctl.swarm.image_refs`).

**The store here is a folder.** All bed hosts share this machine's
filesystem, so a folder under the bed's state is "mounted" at the same path
on every host: that models an operator's NFS mount. It is not Ceph; a
replicated store across hosts is `--store ceph` (tests/cluster/test_store_on_the_cluster.py).

Only bed addresses are contacted, each after ``require_bed_route``. Times are
printed (``-s``).
"""

from __future__ import annotations

import contextlib
import time
import uuid

import pytest

from deis import keys
from deisctl.swarm.specs import Settings
from tests.cluster import mesh
from tests.cluster.platform import (
    API,
    COMPONENTS,
    FILES,
    ROUTER_HOSTS,
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
from tests.cluster.testbed import IMAGE
from tests.person import make_repo

pytestmark = [pytest.mark.multihost, pytest.mark.timeout(900)]  # setup + call + teardown near 300 s here, slower in CI


def test_start_platform_register_push_scale_and_every_task_where_placement_says(bare, tmp_path):
    bed, data = bare, tmp_path / "deis"
    store = fresh_store()
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]
    h2, h3 = bed.host("h2"), bed.host("h3")

    started = time.monotonic()
    deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane",
            "--store", f"file://{store}")
    bootstrapped = time.monotonic() - started

    bed.hosts[0].etcd().put(keys.platform("domain"), mesh.DOMAIN)
    # On h3 the publisher's name now points at another image, as a pull from a registry holding another
    # image of that name (Docker Hub's deis/publisher:v1.13.4) would leave it: h3 must still run ours.
    publisher = Settings().image("publisher")
    with contextlib.closing(h3.docker()) as engine:
        ours = engine.api.inspect_image(publisher)["Id"]
        engine.api.tag(IMAGE, *publisher.rsplit(":", 1))
    try:
        started = time.monotonic()
        platform = deisctl(data, "start", "platform", timeout=900, check=False)
        start_command = time.monotonic() - started
        with contextlib.closing(h3.docker()) as engine:
            ran = [container.attrs["Image"] for container in engine.containers.list(
                filters={"label": "com.docker.swarm.service.name=deis-publisher"})]
    finally:
        with contextlib.closing(h3.docker()) as engine:
            engine.api.tag(ours, *publisher.rsplit(":", 1))
    assert platform.returncode == 0, f"{platform.stdout}\n{platform.stderr}\n{journals(data)}"
    lines = platform.stdout.splitlines()
    tiers = ["logging: logger, logspout", "control plane: database, registry, controller, builder",
             "data plane: publisher", "router: router"]
    assert all(tier in lines for tier in tiers), platform.stdout
    assert ran == [ours], f"h3 runs {ran}, not the manager's {publisher} ({ours})"
    assert [lines.index(tier) for tier in tiers] == sorted(lines.index(tier) for tier in tiers), platform.stdout
    assert lines.index("  running: logger, logspout") < lines.index(tiers[1]), "a tier began before the last ran"
    while not api_answers(h2.ip):
        assert time.monotonic() - started < 300, f"the API did not answer through h2's router\n{journals(data)}"
        time.sleep(0.5)
    api_up = time.monotonic() - started

    # placement: every component's tasks where its labels say
    with contextlib.closing(bed.hosts[0].docker()) as manager:
        placed = {c: sorted(running_tasks(manager, f"deis-{c}").values()) for c in COMPONENTS}
    assert len(placed["controller"]) == 2 and len(set(placed["controller"])) == 2, placed
    assert len(placed["builder"]) == 2 and len(set(placed["builder"])) == 2, placed
    assert len(placed["database"]) == 1 and len(placed["logger"]) == 1, placed
    assert placed["registry"] == ["h1", "h2", "h3"], "each node's engine pushes to and pulls from its own"
    assert set(placed["router"]) == ROUTER_HOSTS and len(placed["router"]) == 2, placed
    assert placed["publisher"] == placed["logspout"] == ["h1", "h2", "h3"], placed

    # someone registers through h2's router, pushes over h2:2222, is answered through h3's router
    alice = Someone("alice", tmp_path / "alice", h2.ip)
    alice.deis("register", f"http://{API}", "--username", "alice", "--password", "s3cret pass",
               "--email", "alice@example.com")
    alice.deis("keys:add", str(alice.key.with_suffix(".pub")))
    app = f"pl{uuid.uuid4().hex[:6]}"
    repo = make_repo(alice, tmp_path / "src" / app, FILES)
    alice.deis("create", app, "--no-remote", cwd=repo)
    started = time.monotonic()
    pushed = alice.git("push", f"ssh://git@{h2.ip}:2222/{app}.git", "master", cwd=repo, check=False)
    push_took = time.monotonic() - started
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    assert f"{app}:v2 deployed to Deis" in pushed.stderr.replace("\x1b[1G", ""), pushed.stderr
    assert len(app_bodies(h3.ip, app, 1)) == 1, "the app does not answer through h3's router"

    alice.deis("scale", "web=3", "-a", app)
    nodes = app_nodes(bed, app)
    bodies = app_bodies(h3.ip, app, 3)
    assert nodes == ["h1", "h2", "h3"], nodes
    assert len(bodies) == 3, bodies
    # every node pulled the build from its own registry, by a name no node's address is in
    images = app_containers(bed.hosts, app)
    assert all(image.startswith(f"127.0.0.1:5000/{app}:git-") for _, image in images), images

    # a tenant's container reaches the nodes' etcd members (as the platform's tasks do) but reads nothing
    for host in (h2, h3):
        with contextlib.closing(host.docker()) as engine:
            container = engine.containers.list(filters={"label": f"deis.app={app}"})[0]
            for member in bed.hosts:
                answer = container.exec_run(["busybox", "timeout", "10", "wget", "-q", "-O", "-", "--post-data",
                                             '{"key": "L2RlaXMv", "range_end": "L2RlaXMw"}',
                                             f"http://{member.ip}:2379/v3/kv/range"])
                said = answer.output.decode(errors="replace")
                assert answer.exit_code != 0 and "server returned error" in said, (host.name, member.name, said)
                assert "builderKey" not in said and "L2RlaXMv" not in said, said

    registry = deisctl(data, "journal", "registry", "-n", "5000").stdout
    assert "cache: in memory" in registry and "connecting to redis" not in registry, registry[-2000:]
    assert "garbage collection off" in registry and "garbage collection:" not in registry, registry[-2000:]

    # scale controller=3 adds a third task, restarts none, and a later start keeps it
    with contextlib.closing(bed.hosts[0].docker()) as manager:
        before = running_tasks(manager, "deis-controller")
        deisctl(data, "scale", "controller=3", timeout=300)
        again = deisctl(data, "start", "platform", timeout=300)
        assert again.stdout.count("unchanged") == len(COMPONENTS), again.stdout
        after = running_tasks(manager, "deis-controller")
        history = [(task["Slot"], task["Status"]["State"], task["Status"].get("Err", ""))
                   for task in manager.api.tasks(filters={"service": "deis-controller"})]
    assert sorted(after.values()) == ["h1", "h2", "h3"], history
    assert set(before) <= set(after), f"scaling restarted a controller: {history}\n{journals(data)}"
    print(f"\nplatform on the cluster: bootstrap {bootstrapped:.1f} s; start platform {start_command:.1f} s, "
          f"API answering through h2's router {api_up:.1f} s after the start began; git push {push_took:.1f} s; "
          f"placement {placed}")
