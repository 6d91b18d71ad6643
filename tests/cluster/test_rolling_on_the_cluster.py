"""``deisctl install``, ``rolling-restart`` and ``upgrade`` on the platform's cluster, under load (issue 18).

From no Swarm the real ``deisctl`` bootstraps the bed's 3 hosts (h1 out of
the router mesh; the store a folder every host shares), ``install platform``
refuses without the domain and then prepares the cluster, ``start platform``
runs it, and a person pushes an app and scales it to 3. Then, with one
bootstrap for every step:

* ``rolling-restart controller`` under ~50 rps to the app through h3's
  router: no app request fails (apps do not go through the controller), the
  API answers again afterwards, both controller tasks are new; the API's
  failed probes during the restart are printed;
* ``rolling-restart router`` under load split over both routers (h2 and h3):
  in every second at least one router answered; each router's failed
  requests and the window they fell in are printed (a request to the router
  being replaced may fail: stop-first frees its node's ports for its successor);
* ``upgrade --tag <the tag it runs>`` changes nothing ("unchanged"), and an
  upgrade to a tag no engine has is refused before any service or
  ``cluster.json`` changes;
* ``upgrade --tag <a new tag of the same images, on every node>`` moves every
  service, one component after another in tier order, under load through
  h3's router: the app and the API answer afterwards; their failed requests
  during it are printed (through h3 they fall in h3's router's own update;
  the API probe, ``GET /v1/`` without a token, does not reach the database).

Only bed addresses are contacted, each after ``require_bed_route``. Times are
printed (``-s``).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import docker
import pytest
import requests

from deis import PLATFORM_VERSION, keys
from deisctl.swarm.image_refs import IMAGE_LABEL
from tests.cluster import mesh
from tests.cluster.load import PASSWORD, Load
from tests.cluster.load import window as cut_window
from tests.cluster.platform import (
    API,
    COMPONENTS,
    FILES,
    Someone,
    api_answers,
    app_bodies,
    deisctl,
    fresh_store,
    journals,
    running_tasks,
)
from tests.cluster.testbed import require_bed_route
from tests.person import make_repo

pytestmark = [pytest.mark.multihost, pytest.mark.timeout(1500)]  # one bootstrap for every step, a lock to wait for

TAG = f"v{PLATFORM_VERSION}"
#: The tag the upgrade moves to: the same images, named anew on every node.
NEW_TAG = f"{TAG}-rolled"


@dataclass
class ApiProbe:
    """``GET /v1/`` through one router every 0.2 s, each outcome (answered below 500) kept."""

    ip: str
    outcomes: list[tuple[float, bool]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> threading.Thread:
        require_bed_route(self.ip)
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            ok = False
            with contextlib.suppress(requests.RequestException):
                ok = requests.get(f"http://{self.ip}/v1/", headers={"Host": API}, timeout=2).status_code < 500
            self.outcomes.append((started, ok))
            self.stop.wait(max(0.0, 0.2 - (time.monotonic() - started)))


def _under(loads, probes, action):
    """Run ``action`` while ``loads`` and ``probes`` run; return its result, when it began and how long it took."""
    threads = [thread for load in loads for thread in load.run()] + [probe.run() for probe in probes]
    time.sleep(2)  # a clean baseline before the action
    began = time.monotonic()
    try:
        result = action()
    finally:
        took = time.monotonic() - began
        time.sleep(2)
        for stopper in [*loads, *probes]:
            stopper.stop.set()
        for thread in threads:
            thread.join(10)
    return result, began, took


def window(failures: list[float], began: float) -> str:
    """When ``failures`` fell, relative to the start of the restart."""
    return cut_window(failures, began).replace("after the cut", "after the restart began")


def _silent_seconds(loads, since: float, until: float) -> list[int]:
    """The whole seconds after ``since`` in which requests were made and none of any load succeeded."""
    asked, answered = set(), set()
    for load in loads:
        for at, ok in load.outcomes:
            if since <= at < until:
                asked.add(int(at - since))
                if ok:
                    answered.add(int(at - since))
    return sorted(asked - answered)


def _services(manager) -> dict[str, tuple[str, list[str]]]:
    """Each platform service's spec and running tasks: an update changes one or the other."""
    return {service["Spec"]["Name"]: (json.dumps(service["Spec"], sort_keys=True),
                                      sorted(running_tasks(manager, service["ID"])))
            for service in manager.api.services(filters={"label": "com.deis.component"})}


def test_install_rolling_restart_and_upgrade_keep_the_apps_served(bare, tmp_path):
    bed, data = bare, tmp_path / "deis"
    store = fresh_store()
    engines = [f"{host.base_url}={host.ip}" for host in bed.hosts]
    h2, h3 = bed.host("h2"), bed.host("h3")
    deisctl(data, "cluster", "bootstrap", *engines, "--roles", "h1=controlPlane,dataPlane", "--store", f"file://{store}")
    bed.hosts[0].etcd().delete(keys.platform("domain"))  # the bed's etcd outlives tests

    # deisctl install platform: refused without the domain, then the preflight, starting nothing
    refused = deisctl(data, "install", "platform", check=False)
    assert refused.returncode == 1 and "Missing platform domain, use: deisctl config platform set domain=" in \
        refused.stderr, refused.stderr
    deisctl(data, "config", "platform", "set", f"domain={mesh.DOMAIN}")
    installed = deisctl(data, "install", "platform")
    assert installed.stdout.rstrip().endswith("Installed. 'deisctl start platform' starts the services."), \
        installed.stdout
    assert f"platform domain: {mesh.DOMAIN}" in installed.stdout and "images: 8 of 8" in installed.stdout, \
        installed.stdout
    with contextlib.closing(bed.hosts[0].docker()) as manager:
        assert not manager.api.services(), "install started a service"

    started = time.monotonic()
    platform = deisctl(data, "start", "platform", timeout=900, check=False)
    assert platform.returncode == 0, f"{platform.stdout}\n{platform.stderr}\n{journals(data)}"
    while not api_answers(h2.ip):
        assert time.monotonic() - started < 300, f"the API did not answer through h2's router\n{journals(data)}"
        time.sleep(0.5)
    start_took = time.monotonic() - started

    user = f"rr{uuid.uuid4().hex[:6]}"  # the store, and so every restored database, outlives a test
    alice = Someone(user, tmp_path / user, h2.ip)
    alice.deis("register", f"http://{API}", "--username", user, "--password", PASSWORD,
               "--email", f"{user}@example.com")
    alice.deis("keys:add", str(alice.key.with_suffix(".pub")))
    app = f"rr{uuid.uuid4().hex[:6]}"
    repo = make_repo(alice, tmp_path / "src" / app, FILES)
    alice.deis("create", app, "--no-remote", cwd=repo)
    pushed = alice.git("push", f"ssh://git@{h2.ip}:2222/{app}.git", "master", cwd=repo, check=False)
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    alice.deis("scale", "web=3", "-a", app)
    assert len(app_bodies(h3.ip, app, 3)) == 3, "the app's 3 containers do not all answer through h3"

    manager = bed.hosts[0].docker()
    try:
        # deisctl rolling-restart controller, the app under load through h3's router
        controllers = running_tasks(manager, "deis-controller")
        load, probe = Load(h3.ip, app), ApiProbe(h2.ip)
        restarted, began, controller_took = _under([load], [probe], lambda: deisctl(
            data, "rolling-restart", "controller", timeout=700, check=False))
        assert restarted.returncode == 0, f"{restarted.stdout}\n{restarted.stderr}\n{journals(data)}"
        renewed = running_tasks(manager, "deis-controller")
        api_back = time.monotonic()
        while not api_answers(h2.ip):
            assert time.monotonic() - api_back < 60, f"the API did not answer after the restart\n{journals(data)}"
            time.sleep(0.5)
        api_failures = sorted(at for at, ok in probe.outcomes if not ok)
        app_failures = load.failures(began)
        print(f"\nrolling-restart controller: {controller_took:.1f} s; app through h3: {len(load.outcomes)} requests, "
              f"{len(app_failures)} failed; API through h2: {len(probe.outcomes)} probes, {len(api_failures)} failed "
              f"({window(api_failures, began)}); deisctl said:\n{restarted.stdout}")
        assert "controller: task on" in restarted.stdout and "(2/2)" in restarted.stdout, restarted.stdout
        assert not app_failures, f"app requests failed while the controllers restarted: {window(app_failures, began)}"
        assert len(renewed) == 2 and not set(renewed) & set(controllers), (controllers, renewed)

        # deisctl rolling-restart router, the load split over both routers
        routers = running_tasks(manager, "deis-router")
        loads = [Load(h2.ip, app, rps=25), Load(h3.ip, app, rps=25)]
        restarted, began, router_took = _under(loads, [], lambda: deisctl(
            data, "rolling-restart", "router", timeout=700, check=False))
        assert restarted.returncode == 0, f"{restarted.stdout}\n{restarted.stderr}\n{journals(data)}"
        silent = _silent_seconds(loads, began, began + router_took)
        per_router = {name: load.failures(began) for name, load in zip(("h2", "h3"), loads, strict=True)}
        print(f"rolling-restart router: {router_took:.1f} s; " + "; ".join(
            f"through {name}: {len(load.outcomes)} requests, {len(per_router[name])} failed "
            f"({window(per_router[name], began)})" for name, load in zip(("h2", "h3"), loads, strict=True))
            + f"; seconds with no router answering: {silent or 'none'}; deisctl said:\n{restarted.stdout}")
        renewed = running_tasks(manager, "deis-router")
        assert sorted(renewed.values()) == ["h2", "h3"] and not set(renewed) & set(routers), (routers, renewed)
        assert not silent, f"no router answered in seconds {silent} after the restart began"
        assert app_bodies(h2.ip, app, 1) and app_bodies(h3.ip, app, 1), "a router does not serve the app after"

        # deisctl upgrade: to the tag it runs is a no-op; to a tag no engine has is refused before any change
        versions = _services(manager)
        same = deisctl(data, "upgrade", "--tag", TAG, timeout=300)
        assert same.stdout.count(": unchanged") == len(COMPONENTS) and "Nothing to upgrade" in same.stdout, same.stdout
        missing = deisctl(data, "upgrade", "--tag", "v0.0.0-nowhere", timeout=300, check=False)
        assert missing.returncode == 1, missing.stdout
        assert "upgrade refused, nothing changed" in missing.stderr, missing.stderr
        assert "deis/logger:v0.0.0-nowhere" in missing.stderr, missing.stderr
        assert _services(manager) == versions, "an upgrade that changed nothing updated a service"
        assert json.loads((data / "cluster.json").read_text())["settings"]["tag"] == TAG
        print(f"upgrade --tag {TAG}: {same.stdout.splitlines()[-1]}\nupgrade --tag v0.0.0-nowhere: "
              f"{missing.stderr.strip()}\nstart platform {start_took:.1f} s")

        # deisctl upgrade to a tag every node holds (the same images): every service, in tier order, the app served
        _tag_everywhere(bed, TAG, NEW_TAG)
        load, probe = Load(h3.ip, app), ApiProbe(h2.ip)
        upgraded, began, upgrade_took = _under([load], [probe], lambda: deisctl(
            data, "upgrade", "--tag", NEW_TAG, timeout=1200, check=False))
        assert upgraded.returncode == 0, f"{upgraded.stdout}\n{upgraded.stderr}\n{journals(data)}"
        order = [line.partition(":")[0] for line in upgraded.stdout.splitlines() if line.endswith(" s)")
                 and ": upgraded (" in line]
        assert order == COMPONENTS, upgraded.stdout
        containers = [service["Spec"]["TaskTemplate"]["ContainerSpec"]
                      for service in manager.api.services(filters={"label": "com.deis.component"})]
        names = {container["Labels"][IMAGE_LABEL] for container in containers}
        assert names == {f"deis/{c}:{NEW_TAG}" for c in COMPONENTS}, names
        # by content: the ID the manager holds under the new name, which no node's agent pulls from anywhere
        assert all(container["Image"] == manager.api.inspect_image(container["Labels"][IMAGE_LABEL])["Id"]
                   for container in containers), containers
        api_back = time.monotonic()
        while not api_answers(h2.ip):
            assert time.monotonic() - api_back < 120, f"the API did not answer after the upgrade\n{journals(data)}"
            time.sleep(0.5)
        assert app_bodies(h2.ip, app, 1) and app_bodies(h3.ip, app, 1), "a router does not serve the app after"
        app_failures = load.failures(began)
        api_failures = sorted(at for at, ok in probe.outcomes if not ok)
        print(f"upgrade --tag {NEW_TAG}: {upgrade_took:.1f} s; app through h3: {len(load.outcomes)} requests, "
              f"{len(app_failures)} failed ({window(app_failures, began)}); API through h2: {len(probe.outcomes)} "
              f"probes, {len(api_failures)} failed ({window(api_failures, began)}); deisctl said:\n{upgraded.stdout}")
    finally:
        manager.close()
        _untag_everywhere(bed, NEW_TAG)


def _tag_everywhere(bed, tag: str, new_tag: str) -> None:
    """Give every host's engine each component image under ``new_tag`` too (the same image)."""
    for host in bed.hosts:
        with contextlib.closing(host.docker()) as client:
            for component in COMPONENTS:
                client.api.tag(f"deis/{component}:{tag}", f"deis/{component}", new_tag)


def _untag_everywhere(bed, tag: str) -> None:
    """Remove ``tag`` from every host's engine (only the name: the image keeps its version tag)."""
    for host in bed.hosts:
        with contextlib.closing(host.docker()) as client:
            for component in COMPONENTS:
                with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
                    client.api.remove_image(f"deis/{component}:{tag}")
