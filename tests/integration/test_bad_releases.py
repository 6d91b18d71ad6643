"""A bad release never replaces a good one, under load (reliability-plan T2).

Everything is real: the controller (docker scheduler, etcd, PostgreSQL) driven
by the ``deis`` CLI, a builder taking ``git push``, a publisher watching the
Docker engine and a router with its own nginx. While two threads send 100
requests a second through the router, each on a new connection, the app gets
a release whose web process exits at boot, never listens, listens on the
wrong port, or whose ``HEALTHCHECK_URL`` answers 500. The figures of the plan:
the push (or command) fails non-zero with a sentence naming the check that
failed; not one request fails or is served by anything but the old release;
``deis releases`` is unchanged; within 10 s no container of the failed release
is left on the engine and no route to one under ``/deis/services/<app>/``.

The ``HEALTHCHECK_URL`` case found the publisher probing a new container with
the app's health check in etcd — the old release's, since a config change is
published only once its deploy succeeded — so it routed the failing release and
198 of 462 requests were served by it before the deploy was undone. The
publisher now probes each container with the check of its own environment,
as the controller does (:mod:`publisher.routes`).
"""

from __future__ import annotations

import io
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from deis import keys
from tests.integration.builder_conftest import DOCKERFILE, git_push, make_repo, releases, with_key
from tests.integration.cli_conftest import WEB_COMMAND
from tests.load import Load
from tests.services import wait_until

pytest_plugins = ["tests.integration.cli_conftest", "tests.integration.builder_conftest", "tests.load"]

#: Seconds a new container has to answer (the controller's ``startTimeout``): short, so the file runs fast.
START_TIMEOUT = 4.0
#: The plan's load on the old release: 100 requests a second, a new connection each.
THREADS, RATE_PER_THREAD = 2, 50
#: Seconds within which nothing of the failed release may be left (the plan's figure).
LEFTOVER_DEADLINE = 10.0
#: Seconds of load after the failure is cleaned up: the old release must still serve.
AFTERWARDS = 2.0
#: A path the web process answers 500 on (a busybox httpd CGI script): a failing health check.
FAILING_PATH = "/cgi-bin/fail"
#: The usual web process, plus ``FAILING_PATH``; the old release and the ``config:set`` one both run it.
WEB_WITH_FAILING_PATH = ('mkdir -p /tmp/cgi-bin && printf "#!/bin/sh\\necho Status: 500\\necho\\n"'
                         f" > /tmp{FAILING_PATH} && chmod +x /tmp{FAILING_PATH} && {WEB_COMMAND}")


@pytest.fixture(scope="module")
def controller_settings() -> dict:
    """The controller of ``cli_conftest`` with a short ``startTimeout``."""
    return {"schedulerModule": "docker", "startTimeout": START_TIMEOUT, "stopGracePeriod": 1,
            "routerWaitTimeout": 2}


@pytest.fixture
def web_command() -> str:
    """The old release's web process: it serves its release, and answers 500 on ``FAILING_PATH``."""
    return WEB_WITH_FAILING_PATH


@dataclass
class Outcome:
    """What a bad deploy did while the old release was under load."""

    exit_code: int
    output: str
    took: float
    requests: int
    bad: list
    rate: float
    left_for: float


def _engine_and_routes(docker_client, etcd, app: str) -> tuple[set[str], dict[str, str]]:
    """``app``'s containers on the engine (name and id) and its routes in etcd."""
    containers = docker_client.containers.list(all=True, filters={"label": f"deis.app={app}"})
    routes, _ = etcd.get_prefix(keys.services(app))
    return {f"{c.name} {c.id[:12]}" for c in containers}, routes


def _bad_deploy(alice, router, docker_client, etcd, app: str, deploy: Callable[[], tuple[int, str]]) -> Outcome:
    """Run ``deploy`` (it returns exit code and output) under load; measure what the old release saw."""
    before = releases(alice, app)
    old = f"v{len(before)}"
    running = _engine_and_routes(docker_client, etcd, app)
    load = Load(f"http://127.0.0.1:{router.ports.http}/", f"{app}.deis.localhost", threads=THREADS,
                rate=RATE_PER_THREAD)
    with load:
        time.sleep(1.0)  # the load is steady before the deploy starts
        began = time.monotonic()
        exit_code, output = deploy()
        returned = time.monotonic()
        # Not one new container or route left, and the old ones untouched (same ids, same addresses).
        wait_until(lambda: _engine_and_routes(docker_client, etcd, app) == running, LEFTOVER_DEADLINE, 0.05,
                   what=f"only the containers and routes of {old} left")
        clean = time.monotonic()
        time.sleep(AFTERWARDS)
        ended = time.monotonic()
    window = load.between(began, ended)
    bad = [(status, body) for _, status, body, _ in window if (status, body) != (200, old)]
    assert releases(alice, app) == before, "the failed deploy changed 'deis releases'"
    return Outcome(exit_code, output, returned - began, len(window), bad, len(window) / (ended - began),
                   clean - returned)


def _check(case: str, outcome: Outcome, sentence: str) -> None:
    print(f"\nT2 {case}: exit {outcome.exit_code}, deploy took {outcome.took:.1f} s, {outcome.requests} requests "
          f"({outcome.rate:.0f}/s), {len(outcome.bad)} failed, nothing of it left {outcome.left_for:.2f} s after")
    assert outcome.exit_code != 0, outcome.output
    assert sentence in outcome.output, outcome.output
    assert outcome.bad == [], f"{len(outcome.bad)} of {outcome.requests} failed: {outcome.bad[:5]}"
    # 2 shared cores: the clients may fall behind the 100/s they aim at, but not far.
    assert outcome.rate >= THREADS * RATE_PER_THREAD * 0.8, f"only {outcome.rate:.0f} requests/s"


def _not_answering(where: str, reason: str) -> str:
    return f"web.1 did not answer on {where} within {START_TIMEOUT:g} s ({reason})"


#: ``git push`` cases: the bad release's web process (Procfile) and the sentence the push must print.
PUSHED = {
    "exits at boot": ("exit 3", "web.1 exited with code 3 before it answered on port 5000"),
    "never listens": ("exec sleep 600", _not_answering("port 5000", "connection failed: Connection refused")),
    "listens on the wrong port": (WEB_COMMAND.replace("$PORT", "8080"),
                                  _not_answering("port 5000", "connection failed: Connection refused")),
}


# git push
@pytest.mark.parametrize("case", list(PUSHED))
def test_git_push_of_a_bad_release_fails_naming_the_check_while_the_old_release_serves(
        case, alice, router, live_app, builder, base_image, docker_client, etcd, tmp_path):
    web, sentence = PUSHED[case]
    key = with_key(alice, tmp_path)
    repo = make_repo(tmp_path / "src", {"Dockerfile": DOCKERFILE.format(base=base_image), "Procfile": f"web: {web}\n"})

    def push() -> tuple[int, str]:
        result = git_push(repo, key, builder.port, live_app)
        return result.returncode, result.stderr

    outcome = _bad_deploy(alice, router, docker_client, etcd, live_app, push)
    _check(f"git push, web {case}", outcome, sentence)
    assert "Deploying v3 failed and was undone; v2 keeps serving" in outcome.output, outcome.output
    assert "the controller failed" not in outcome.output, outcome.output


# deis config:set
def test_config_set_of_a_healthcheck_url_answering_500_fails_naming_the_check_while_the_old_release_serves(
        alice, router, live_app, docker_client, etcd):
    def config_set() -> tuple[int, str]:
        result = alice("config:set", f"HEALTHCHECK_URL={FAILING_PATH}", "-a", live_app)
        return result.exit_code, result.output

    outcome = _bad_deploy(alice, router, docker_client, etcd, live_app, config_set)
    _check("config:set HEALTHCHECK_URL answering 500", outcome,
           _not_answering(f"GET {FAILING_PATH} on port 5000", f"GET {FAILING_PATH} answered 500, not 200"))
    assert outcome.exit_code == 1
    # The failed release's routed config never reached etcd, or the publisher would probe the old one with it.
    assert etcd.get(keys.app_config(live_app, "HEALTHCHECK_URL")) is None
    assert "HEALTHCHECK_URL" not in alice("config", "-a", live_app).stdout


# deis pull
def test_pull_of_an_image_whose_web_exits_at_boot_fails_naming_the_check_while_the_old_release_serves(
        alice, router, live_app, base_image, docker_client, etcd):
    def pull() -> tuple[int, str]:
        result = alice("pull", base_image, "-a", live_app, "-p", "web: exit 3")
        return result.exit_code, result.output

    outcome = _bad_deploy(alice, router, docker_client, etcd, live_app, pull)
    _check("pull, web exits at boot", outcome, "web.1 exited with code 3 before it answered on port 5000")
    assert outcome.exit_code == 1


#: Waits 3 s, then serves, unless the test marked this container to fail: then it never answers.
WEB_UNLESS_MARKED = f"sleep 3; if [ -e /tmp/fail ]; then exec sleep 600; fi; {WEB_COMMAND}"


class FailOne:
    """Marks one container to fail as soon as the engine creates it (a file put into it, before it runs)."""

    def __init__(self, docker_client, name: str):
        self.client, self.name, self.marked = docker_client, name, False
        self._events = docker_client.events(decode=True, filters={"type": "container", "event": "create",
                                                                   "container": name})
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        for _ in self._events:
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w") as tar:
                tar.addfile(tarfile.TarInfo("fail"), io.BytesIO(b""))
            self.marked = self.client.api.put_archive(self.name, "/tmp", archive.getvalue())
            return

    def close(self) -> None:
        self._events.close()


# deis config:set with web=3, one of the three new containers never answering
@pytest.mark.parametrize("web_command", [WEB_UNLESS_MARKED])
def test_a_release_of_which_one_container_fails_never_serves_from_the_others(
        alice, router, live_app, docker_client, etcd, web_command):
    """The two healthy containers of a failed release are held back from the routers until the whole
    set answers, which never happens: not one request is served by the release that never existed."""
    assert alice("ps:scale", "web=3", "-a", live_app).exit_code == 0
    failing = FailOne(docker_client, f"{live_app}_v3.web.2")
    try:
        def config_set() -> tuple[int, str]:
            result = alice("config:set", "SOME=change", "-a", live_app)
            return result.exit_code, result.output

        outcome = _bad_deploy(alice, router, docker_client, etcd, live_app, config_set)
    finally:
        failing.close()
    assert failing.marked, "the test did not get to mark web.2"
    _check("config:set, web=3, web.2 never answers", outcome,
           _not_answering("port 5000", "connection failed: Connection refused").replace("web.1", "web.2"))
