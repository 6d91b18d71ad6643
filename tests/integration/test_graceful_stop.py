"""Graceful stop: what is in flight when a container stops finishes (reliability-plan T3).

Everything is real: the controller (docker scheduler, etcd, PostgreSQL) driven
by the ``deis`` CLI, a publisher watching the Docker engine, and a router with
its own nginx. The controller runs with the platform's default stop grace
(``stopGracePeriod``, 30 s).

* A well-behaved app — busybox httpd whose ``/cgi-bin/slow`` sleeps 10 s, under
  a shell that on SIGTERM stops the listener and waits for the requests in
  flight — is scaled ``web`` 3→1 and then redeployed (``config:set``), each
  time with 20 slow requests in flight and 50 fast requests/s going on. Every
  slow request completes, no fast one fails, and every stopped container's
  route was withdrawn, and applied by the router, before its SIGTERM.
* An app that ignores SIGTERM is SIGKILLed at the grace: 30 s by default, and
  the app's own ``KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS`` (Deis
  Workflow's config key) for a deploy, a scale-down, ``ps:restart`` and
  ``apps:destroy``. A value outside 1–300 is refused at ``config:set``.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from controller.config_rules import STOP_GRACE
from tests import services
from tests.load import Load
from tests.services import wait_until
from tests.timeline import Timeline

pytest_plugins = ["tests.integration.cli_conftest", "tests.load"]
pytestmark = pytest.mark.timeout(600)

#: The slow requests in flight at each stop, and how long each takes (T3).
SLOW_REQUESTS, SLOW_SECONDS = 20, 10
#: The platform's default grace, and the app's own one the test sets.
DEFAULT_GRACE, APP_GRACE = 30.0, 5
#: How far from the grace a SIGKILL may land (T3: 30 ± 2 s).
GRACE_TOLERANCE = 2.0

#: busybox httpd with a 10 s CGI script (answering ``slow <container id>``); on SIGTERM the shell
#: stops the listener and waits until the last httpd (each serves one request in flight) has
#: finished, then exits.
WELL_BEHAVED = (
    "mkdir -p /tmp/www/cgi-bin; echo \"$DEIS_RELEASE\" > /tmp/www/index.html; "
    f"printf '#!/bin/sh\\nsleep {SLOW_SECONDS}\\necho Content-Type: text/plain\\necho\\necho slow $(hostname)\\n' "
    "> /tmp/www/cgi-bin/slow; chmod +x /tmp/www/cgi-bin/slow; "
    "trap 'kill $pid; while pidof httpd >/dev/null; do sleep 0.2; done; exit 0' TERM; "
    "httpd -f -p $PORT -h /tmp/www & pid=$!; wait"
)
#: busybox httpd under a shell that ignores SIGTERM: only SIGKILL stops it.
IGNORES_TERM = "trap '' TERM; echo \"$DEIS_RELEASE\" > /tmp/index.html; httpd -f -p $PORT -h /tmp & wait"


@pytest.fixture(scope="module")
def controller_settings() -> dict:
    """The platform's own stop grace (30 s), and time for the router to apply a change."""
    return {"schedulerModule": "docker", "startTimeout": 10.0, "routerWaitTimeout": 10}


@pytest.fixture
def web_command() -> str:
    """The well-behaved app of :func:`live_app`."""
    return WELL_BEHAVED


@pytest.fixture
def app_name(docker_client):
    """A unique app name (the Docker engine is shared); its containers and images are removed afterwards."""
    name = f"gs-{uuid.uuid4().hex[:8]}"
    yield name
    services.remove_app(docker_client, name)


@dataclass
class Slow:
    """``count`` requests to ``/cgi-bin/slow`` at once, each on its own connection; every outcome kept."""

    url: str
    host: str
    count: int = SLOW_REQUESTS
    #: ``(start, end, status or error, body)`` of each request.
    results: list = field(default_factory=list)

    def _one(self) -> None:
        started = time.monotonic()
        try:
            response = requests.get(self.url, headers={"Host": self.host}, timeout=4 * SLOW_SECONDS)
            outcome = (response.status_code, response.text.strip())
        except requests.RequestException as exc:
            outcome = (repr(exc), "")
        self.results.append((started, time.monotonic(), *outcome))

    def __enter__(self) -> Slow:
        self._threads = [threading.Thread(target=self._one, daemon=True) for _ in range(self.count)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for thread in self._threads:
            thread.join(5 * SLOW_SECONDS)

    def completed(self) -> int:
        """Return how many answered 200 with the script's body."""
        return sum(1 for *_, status, body in self.results if status == 200 and body.startswith("slow "))


# deis ps:scale web=3->1 and deis config:set, with slow requests in flight
def test_slow_requests_in_flight_complete_across_a_scale_down_and_a_deploy(alice, router, live_app, etcd,
                                                                           docker_client):
    assert alice("ps:scale", "web=3", "-a", live_app).exit_code == 0
    base, host = f"http://127.0.0.1:{router.ports.http}/", f"{live_app}.deis.localhost"
    changes = [("ps:scale", "web=1", "-a", live_app), ("config:set", "GREETING=hello", "-a", live_app)]
    timeline = Timeline(etcd, docker_client, live_app)
    fast = Load(base, host, threads=2, rate=25)
    try:
        with fast:
            for change in changes:
                _under_slow_requests(alice, change, base + "cgi-bin/slow", host, timeline, docker_client)
    finally:
        timeline.close()

    failed = fast.failures()
    print(f"T3 fast load: {len(fast.results)} requests at 50/s, {len(failed)} failed")
    gaps = [timeline.terminated[name] - timeline.router_applied(name) for name in timeline.terminated
            if timeline.router_applied(name) is not None]
    problems = timeline.order_problems()
    print(f"T3 stop order: {len(timeline.terminated)} containers stopped, {len(problems)} out of order; "
          f"router applied the withdrawal {min(gaps):.2f}–{max(gaps):.2f} s before SIGTERM")
    assert failed == [], failed[:5]
    assert len(timeline.terminated) == 3 and problems == [], problems  # web.2, web.3, then the old web.1


def _under_slow_requests(alice, change: tuple[str, ...], url: str, host: str, timeline: Timeline,
                         docker_client) -> None:
    """Run ``deis <change>`` with SLOW_REQUESTS requests in flight; every one must complete."""
    stopped_before = set(timeline.terminated)
    names = {c.id[:12]: c.name for c in docker_client.containers.list(filters={"label": f"deis.app={change[-1]}"})}
    with Slow(url, host) as slow:
        time.sleep(1)  # every slow request reached a container
        began = time.monotonic()
        result = alice(*change)
        took = time.monotonic() - began
    assert result.exit_code == 0, result.output
    stopped = {name: at for name, at in timeline.terminated.items() if name not in stopped_before}
    # A slow request answered by a stopped container, which got SIGTERM while it was in flight.
    in_flight = [(started, ended, body) for started, ended, status, body in slow.results
                 if status == 200 and started < stopped.get(names.get(body.split()[-1]), 0) < ended]
    print(f"\nT3 deis {' '.join(change[:2])} (took {took:.1f} s): {slow.completed()}/{len(slow.results)} slow "
          f"requests completed; {len(in_flight)} of them were in flight on a container at its SIGTERM "
          f"({', '.join(sorted(stopped))})")
    assert slow.completed() == SLOW_REQUESTS, [r[2:] for r in slow.results if r[2] != 200]
    assert stopped and in_flight, "no slow request was in flight when a container stopped"


# a container that ignores SIGTERM: SIGKILL at the grace, the platform's or the app's own
def test_an_app_ignoring_sigterm_is_killed_at_the_grace_period(alice, router, publisher, base_image, app_name,
                                                               etcd, docker_client):
    assert alice("create", app_name, "--no-remote").exit_code == 0
    result = alice("pull", base_image, "-a", app_name, "-p", f"web: {IGNORES_TERM}")
    assert result.exit_code == 0, result.output
    for refused in ("0", "301", "1.5"):
        result = alice("config:set", f"{STOP_GRACE}={refused}", "-a", app_name)
        assert result.exit_code != 0 and "whole number of seconds from 1 to 300" in result.output, result.output
    timeline = Timeline(etcd, docker_client, app_name)
    try:
        measured = [_grace_of(alice, timeline, app_name, ("config:set", "A=1"), DEFAULT_GRACE, "v2.web.1")]
        set_grace = ("config:set", f"{STOP_GRACE}={APP_GRACE}")
        measured.append(_grace_of(alice, timeline, app_name, set_grace, APP_GRACE, "v3.web.1"))
        assert alice("ps:scale", "web=2", "-a", app_name).exit_code == 0
        measured.append(_grace_of(alice, timeline, app_name, ("ps:scale", "web=1"), APP_GRACE, "v4.web.2"))
        measured.append(_grace_of(alice, timeline, app_name, ("ps:restart", "web.1"), APP_GRACE, "v4.web.1"))
        measured.append(_grace_of(alice, timeline, app_name, ("apps:destroy", f"--confirm={app_name}"),
                                  APP_GRACE, "v4.web.1", stopped_before=True))
    finally:
        timeline.close()
    for what, expected, taken in measured:
        print(f"T3 SIGTERM ignored, deis {what}: SIGKILL {taken:.1f} s after SIGTERM (grace {expected:g} s)")
    assert all(abs(taken - expected) <= GRACE_TOLERANCE for _, expected, taken in measured), measured


def _grace_of(alice, timeline: Timeline, app: str, change: tuple[str, ...], expected: float, container: str,
              stopped_before: bool = False) -> tuple[str, float, float]:
    """Run ``deis <change>``; return what ran, the grace expected and the seconds ``container`` took to SIGKILL."""
    name = f"{app}_{container}"
    if stopped_before:  # a restart stopped this name once already
        timeline.terminated.pop(name, None)
        timeline.killed.pop(name, None)
    result = alice(*change, "-a", app)
    assert result.exit_code == 0, result.output
    taken = wait_until(lambda: timeline.grace_taken(name), 5, what=f"{name} SIGKILLed")
    return " ".join(change), expected, taken
