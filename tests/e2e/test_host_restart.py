"""Whole-host restart: the platform stops, or every process of it dies, and comes back (reliability-plan T20).

One platform as deisctl runs it (own data dir, free ports) and two apps of one
person, deployed with the real ``deis`` CLI and configured. Under 50 requests/s
through the router (25 to each app, a new connection each, loopback only):

* ``deisctl stop platform``, then ``deisctl start platform``;
* ``kill -9`` of every platform process — supervisord, its children and their
  children (etcd, PostgreSQL, the controller, the publisher, the router, ...)
  but not the Docker engine nor its containers — then ``deisctl start
  platform``. The router's nginx, which lives apart from the router, serves on
  meanwhile; the new router adopts it, and must not load it with an empty
  configuration while etcd and the publisher come back.

Meanwhile each app container is also asked at its own address (never through the
router): app containers outlive the platform, as in Deis v1, so not one of those
requests may fail, and each container is the same one afterwards (same id, same
``StartedAt``, same PID 1).

After each, every app is routed again (answers 200) within 60 s of the start;
``deis apps``, ``releases`` and ``config`` read what they read before; and at
no moment did the router answer for a known app what it answers for an unknown
host (a 404 from its default server): it never served an empty configuration.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid

import docker
import psutil
import pytest
import requests

from deis import isolation
from deisctl import infrastructure as infra
from tests import services
from tests.load import Load
from tests.person import Person
from tests.platform import DOMAIN, Deisctl, Platform, isolated_platform
from tests.services import wait_until

pytestmark = pytest.mark.timeout(600)

#: Seconds from ``deisctl start platform`` until every app answers again (T20).
ROUTED_WITHIN = 60.0
#: busybox httpd on $PORT; the shell exits on SIGTERM (apps:destroy needs no 30 s grace).
WEB_COMMAND = "trap 'exit 0' TERM; echo \"$DEIS_RELEASE\" > /tmp/index.html; httpd -f -p $PORT -h /tmp & wait"
SUFFIX = uuid.uuid4().hex[:6]
APPS = (f"hr-one-{SUFFIX}", f"hr-two-{SUFFIX}")
#: Processes of the Docker engine: never the platform's, whatever started them.
ENGINE_PROCESSES = ("containerd-shim", "dockerd", "containerd", "docker-init", "docker-proxy")


@pytest.fixture(scope="module")
def platform():
    with isolated_platform("deis-hostrestart-") as ctl:
        ctl("config", "platform", "set", f"domain={DOMAIN}")
        ctl("install", "platform")
        ctl("start", "platform")
        yield Platform(ctl)


@pytest.fixture(scope="module")
def person(platform, tmp_path_factory):
    """Someone with two apps deployed and configured; the apps are destroyed afterwards."""
    someone = Person("hana", tmp_path_factory.mktemp("hr") / "hana", platform)
    someone.deis("register", platform.controller, "--username", "hana", "--password", "s3cret-hana",
                 "--email", "hana@example.com")
    client = docker.DockerClient(base_url=infra.docker_host(platform.ctl.environ), timeout=120)
    image = services.ensure_base_image(client)
    try:
        for number, app in enumerate(APPS):
            someone.deis("create", app, "--no-remote")
            someone.deis("pull", image, "-a", app, "-p", f"web: {WEB_COMMAND}")
            someone.deis("config:set", f"GREETING=hello-{number}", "TIER=web", "-a", app)
            wait_until(lambda app=app: _status(platform, app) == 200, 30, what=f"{app} routed")
        yield someone
    finally:
        for app in APPS:
            someone.deis("apps:destroy", "-a", app, f"--confirm={app}", check=False)
            for leftover in client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
                leftover.remove(force=True)
        client.close()


def _containers(platform: Platform) -> dict[str, tuple[str, str, int, str]]:
    """Each app container: ``(id, StartedAt, pid, its own http://ip:port/)``."""
    client = docker.DockerClient(base_url=infra.docker_host(platform.ctl.environ), timeout=60)
    found = {}
    for app in APPS:
        for container in client.containers.list(filters={"label": f"deis.app={app}"}):
            state, config = container.attrs["State"], container.attrs["Config"]
            port = next(v.split("=", 1)[1] for v in config["Env"] if v.startswith("PORT="))
            found[container.name] = (container.id, state["StartedAt"], state["Pid"],
                                     f"http://{isolation.container_ip(container.attrs)}:{port}/")
    client.close()
    return found


def _status(platform: Platform, app: str) -> int | None:
    try:
        return platform.get(app).status_code
    except requests.RequestException:
        return None


def _records(person: Person) -> dict[str, str]:
    """What ``deis apps``, ``releases`` and ``config`` say of the apps (the data a restart must keep)."""
    records = {"apps": person.deis("apps").stdout}
    for app in APPS:
        records[f"releases {app}"] = person.deis("releases", "-a", app).stdout
        records[f"config {app}"] = person.deis("config", "-a", app).stdout
    return records


def _unknown_host_answer(platform: Platform) -> tuple[int, str]:
    """The router's answer for a host no app has: what an empty configuration answers for every app."""
    response = requests.get(f"http://127.0.0.1:{platform.http}/", headers={"Host": f"nobody-{SUFFIX}.{DOMAIN}"},
                            timeout=5)
    return response.status_code, response.text.strip()


def platform_processes(ctl: Deisctl) -> list[psutil.Process]:
    """supervisord of this data dir and every process under it, but the Docker engine's.

    The router's nginx is not among them: it daemonizes, apart from the router, so
    that it serves on while the router (or all of supervisord) dies; T4 kills it.
    """
    found: dict[int, psutil.Process] = {}
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "supervisord" not in cmdline or str(ctl.root) not in cmdline:
            continue
        found[process.pid] = process
        with contextlib.suppress(psutil.Error):
            for child in process.children(recursive=True):
                if not _engine(child) and not any(_engine(parent) for parent in child.parents()):
                    found[child.pid] = child
    return list(found.values())


def _engine(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return process.name().startswith(ENGINE_PROCESSES)
    return False


def _kill_every_platform_process(ctl: Deisctl) -> str:
    processes = platform_processes(ctl)
    names = sorted({process.name() for process in processes})
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    psutil.wait_procs(processes, timeout=10)
    return f"{len(processes)} ({', '.join(names)})"


def _kind(status) -> str:
    """A short name of a request's outcome: its status, or how its connection failed."""
    if isinstance(status, int):
        return str(status)
    return next((word for word in ("refused", "reset", "timed out") if word in status), status[:40])


def _stop_platform(ctl: Deisctl) -> str:
    ctl("stop", "platform")
    return "deisctl stop platform"


def _kill_platform(ctl: Deisctl) -> str:
    return f"kill -9 of {_kill_every_platform_process(ctl)} platform processes"


@pytest.mark.parametrize("fault", [_stop_platform, _kill_platform], ids=["stop", "kill-9"])
def test_apps_are_routed_again_within_60s_of_start_with_nothing_lost(platform, person, fault):
    ctl = platform.ctl
    unknown = _unknown_host_answer(platform)
    before = _records(person)
    url = f"http://127.0.0.1:{platform.http}/"
    loads = {app: Load(url, f"{app}.{DOMAIN}", threads=1, rate=25) for app in APPS}
    containers = _containers(platform)
    direct = {name: Load(address, "direct", threads=1, rate=10) for name, (*_, address) in containers.items()}
    with contextlib.ExitStack() as stack:
        for load in [*loads.values(), *direct.values()]:
            stack.enter_context(load)
        time.sleep(1)
        began = time.monotonic()
        what = fault(ctl)
        restarted = time.monotonic()
        ctl("start", "platform")
        started = time.monotonic()
        for app in APPS:
            wait_until(lambda app=app: _status(platform, app) == 200, ROUTED_WITHIN, 0.1, what=f"{app} routed")
        time.sleep(2)  # and it stays routed
    after = _records(person)
    # Routed again: the first answer once the start began (nginx may have served throughout).
    routed = {app: min(at for at, status, _, _ in load.results if at >= restarted and status == 200)
              for app, load in loads.items()}

    slowest = max(routed.values()) - restarted
    print(f"\nT20 {what} ({restarted - began:.1f} s), then deisctl start platform ({started - restarted:.1f} s): "
          f"every app answered again {max(0.0, slowest):.1f} s after the start began")
    empty = []
    for app, load in loads.items():
        statuses = [_kind(status) for _, status, _, _ in load.results]
        served_empty = [(at, status, body) for at, status, body, _ in load.results if (status, body) == unknown]
        late = [status for at, status, _, _ in load.results if at > routed[app] and status != 200]
        others = {kind: statuses.count(kind) for kind in sorted(set(statuses) - {"200"})}
        print(f"T20   {app}: {len(statuses)} requests, {statuses.count('200')} answered 200, "
              f"{len(served_empty)} answered as an unknown host ({unknown[0]}), {len(late)} failed after routed; "
              f"other answers: {others}")
        empty += served_empty
        assert statuses.count("200") > 50, f"{app}: too few answers to judge"
        assert late == [], late[:5]
    assert empty == [], f"the router served an empty configuration: {empty[:3]}"
    for name, load in direct.items():
        print(f"T20   {name} at its own address: {len(load.results)} requests, {len(load.failures())} failed")
        assert len(load.results) > 100 and load.failures() == [], load.failures()[:3]
    assert _containers(platform) == containers, "an app container was restarted or replaced"
    assert slowest <= ROUTED_WITHIN
    assert after == before, {key: (before[key], after[key]) for key in before if before[key] != after[key]}
