"""A routing-layer platform under load: the harness of the fault tests (T6, T7, T21).

:func:`routed_platform` starts the real ``deisctl`` platform with only the
components on a request's path (etcd, the Docker engine, the publisher, the
router) and one app container the platform's own Docker scheduler backend runs,
as a deploy would (``<app>_v1.web.1`` on the app network, the app's marker in
etcd). :class:`Load` sends a bounded load through the router (a new connection
per request, loopback only) and records every answer; :class:`Routed` is the
platform and its app. Used by ``test_component_restarts`` and
``test_watch_faults``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from controller.scheduler import ContainerSpec
from controller.scheduler.docker import DockerScheduler
from deis import keys
from tests import load
from tests.platform import DOMAIN, Deisctl, isolated_platform
from tests.services import wait_until

#: A web process the busybox base image can run: serves its release on $PORT.
WEB_COMMAND = 'echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'


@dataclass
class Load(load.Load):
    """:class:`tests.load.Load` at this harness's pace (2 clients × 25 requests/s, 5,000 at most), with a report."""

    threads: int = 2
    rate: float = 25.0
    max_requests: int = 5_000

    def report(self, what: str) -> list:
        """Print the counts; return the failures as ``(start time, status or error)``."""
        failed = [(started, status) for started, status, *_ in self.results if status != 200]
        span = f", failures over {failed[-1][0] - failed[0][0]:.2f} s" if failed else ""
        print(f"\n{what}: {len(self.results)} requests, {len(failed)} failed{span} "
              f"{sorted({str(status)[:80] for _, status in failed})}")
        return failed


@dataclass
class Routed:
    """The platform under test and its one app."""

    ctl: Deisctl
    app: str
    container: str

    @property
    def key(self) -> str:
        """The route key of the app's container."""
        return keys.service(self.app, self.container)

    @property
    def http_port(self) -> int:
        """The router's HTTP port."""
        return int(self.ctl.environ["DEIS_ROUTER_HTTPPORT"])

    def load(self, app: str | None = None, **shape) -> Load:
        """A :class:`Load` on ``app`` (default: the platform's app) through the router."""
        return Load(f"http://127.0.0.1:{self.http_port}/", f"{app or self.app}.{DOMAIN}", **shape)

    def status(self, app: str | None = None) -> int | None:
        """The status of one request to ``app`` through the router (None: no answer)."""
        try:
            return requests.get(f"http://127.0.0.1:{self.http_port}/",
                                headers={"Host": f"{app or self.app}.{DOMAIN}"}, timeout=2).status_code
        except requests.RequestException:
            return None

    def pid(self, component: str) -> int:
        """The pid of a supervised component, as ``deisctl status`` tells it."""
        return int(self.ctl.status()[component][1])


def start_web(image: str, app: str, container: str, release: str = "v1") -> None:
    """Create and start ``container`` of ``app`` as the Docker scheduler backend does (busybox httpd on 5000)."""
    scheduler = DockerScheduler()
    scheduler.create(ContainerSpec(name=container, image=image, command=["sh", "-c", WEB_COMMAND],
                                   port=5000, environment={"PORT": "5000", "DEIS_RELEASE": release},
                                   labels={"deis.app": app}))
    scheduler.start(container)


@contextlib.contextmanager
def routed_platform(name: str, docker_client, base_image: str) -> Iterator[Routed]:
    """Yield a :class:`Routed` platform (etcd, docker, publisher, router) with one app ``<name>-<id>`` routed."""
    with isolated_platform(f"deis-{name}-") as ctl:
        ctl("config", "platform", "set", f"domain={DOMAIN}")
        ctl("install", "etcd", "docker", "publisher", "router")
        ctl("start", "etcd", "docker", "publisher", "router")
        app = f"{name}-{uuid.uuid4().hex[:8]}"
        container = f"{app}_v1.web.1"
        try:
            start_web(base_image, app, container)
            ctl.etcd.put(keys.app_marker(app), app)
            platform = Routed(ctl, app, container)
            wait_until(lambda: platform.status() == 200, 20, what="the app routed")
            yield platform
        finally:
            for leftover in docker_client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
                leftover.remove(force=True)


def watch_events(etcd, prefix: str, stop: threading.Event) -> list:
    """Collect the etcd events under ``prefix`` from now until ``stop`` is set (in a thread)."""
    seen: list = []
    start = etcd.revision() + 1
    threading.Thread(target=lambda: seen.extend(etcd.watch_prefix(prefix, start, stop)), daemon=True).start()
    return seen
