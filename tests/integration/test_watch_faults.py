"""Watch faults and a long etcd outage leave the routes right (issue 17; T6, T7 of the reliability plan).

One platform for the module (:func:`tests.routing.routed_platform`: the real
``deisctl`` running etcd, the Docker engine, the publisher and the router),
plus, for T7, a controller served in this process over HTTP on the session's
PostgreSQL and the platform's etcd, driven by the ``deis`` CLI.

**T6 watch faults.** Containers of :data:`CHURN_APPS` apps start and stop
(SIGKILL) once a second while faults hit the watchers at random times:
``kill -9`` of the publisher, ``kill -9`` of the router's watcher (its nginx
serves on), ``kill -9`` of etcd, and a compaction behind the router's watch (the
router paused while etcd is killed and history moves on, then compacted, so its
watch resumes from a revision etcd no longer has and must relist). Every 0.1 s
the test compares two views with the truth it made itself (the containers it
started and has not stopped): the routes in etcd and the backends in the
nginx configuration the router loaded. Printed for every fault: how long
after its resume (the successor process started, etcd answered, the router
continued) both views equal the truth again, against the plan's 1 s (the
router's journal is printed for each fault over it); and the longest a
stopped container kept a route. Asserted: every fault converged within the
plan's worst case, 10 s; away from faults (from a hit to 3 s after its resume)
no stopped container keeps a route over 2 s; a compaction is logged as a relist.
The 1 s is not asserted: a killed publisher or router is back only once its
successor has started Python and read etcd, 1.9–3.1 s of wall time for the
imports alone on this shared two-core machine (0.4–0.6 s of CPU).
``DEIS_T6_ROUNDS`` (default 1) repeats the four faults; the plan's 10 kills of
each are ``DEIS_T6_ROUNDS=10``; ``DEIS_T6_SEED`` replays an order.

**T7 etcd down 60 s, then corrupt routes.** etcd is *SIGSTOPped* for 60 s
under 100 requests/s, not killed: a stopped process keeps its port open, so
every client waits for its timeout instead of being refused at once (the
hard case for an API that must answer), and on resuming etcd may revoke
every lease whose TTL passed — 60 s is three TTLs — before the publisher's
queued keep-alive lands (the router then holds the routes: :mod:`router.held`).
A killed and restarted etcd extends every lease when it becomes leader: the
easy case. During the outage ``deis config:set`` and ``deis scale`` answer
503 with a sentence (never 500) and exit non-zero; after it they succeed.
Recovery, ≤ 5 s after etcd resumes: the routes are on a live lease, the
router recorded the revision that wrote them, and an API write is accepted.
Then three values that are not ``host:port`` (garbage, 200 kB of digits,
control characters) are written next to the app's real route: each is
skipped with exactly one short line in the router's journal and one entry
under ``/deis/router/errors/<host>``, and the load sees no failure.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import signal
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

import psutil
import pytest
import requests
from werkzeug.serving import make_server

from controller.app import create_app
from deis import isolation, keys
from deis.errors import EtcdUnavailable
from deisctl.components import router_nginx
from tests.integration.cli_conftest import Controller
from tests.platform import DOMAIN
from tests.routing import WEB_COMMAND, Routed, routed_platform, start_web
from tests.services import wait_until

pytest_plugins = ["tests.integration.cli_conftest"]
pytestmark = pytest.mark.timeout(900)

#: Apps whose containers churn in T6 (the plan's 5 apps, one change a second over all of them).
CHURN_APPS = 5
CHURN_INTERVAL = 1.0
#: Each round runs the four faults once, in a random order.
ROUNDS = int(os.environ.get("DEIS_T6_ROUNDS", "1"))
#: Seconds of churn with no fault first: the steady state the fault figures compare with.
STEADY = 12.0
#: After a fault's resume, the views have this long before a stale route counts as steady-state.
SETTLE = 3.0
#: Seconds between two faults (the views settle in between).
FAULT_SPACING = 6.0
#: A key under the router's watched prefix that nothing reads: written to move history past the router.
BEHIND_KEY = f"{keys.ROOT}t6-behind"
SAMPLE_INTERVAL = 0.1
#: T6 figures: converged after each fault (target and worst case), routes to stopped containers.
CONVERGED_TARGET, CONVERGED_WORST, DEAD_ROUTE_LIMIT = 1.0, 10.0, 2.0

#: T7: etcd stopped this long (three lease TTLs), under this load.
ETCD_OUTAGE = 60.0
T7_THREADS, T7_RATE = 4, 25
#: T7: routes, router and API back this soon after etcd resumes.
RECOVERY_LIMIT = 5.0


@pytest.fixture(scope="module")
def platform(docker_client, base_image):
    """The routing platform of the module (etcd, docker, publisher, router)."""
    with routed_platform("watch-faults", docker_client, base_image) as routed:
        yield routed


@pytest.fixture(scope="module")
def controller(cli_database_url, platform, docker_client):
    """A controller on the platform's etcd (overrides cli_conftest's, which uses the session's etcd)."""
    app = create_app({"TESTING": True, "SETTINGS_TTL": 5.0, "DEIS_ETCD": platform.ctl.etcd, "DEIS_MIGRATE": False,
                      "DEIS_SETTINGS": {"databaseUrl": cli_database_url, "platformDomain": DOMAIN,
                                        "schedulerModule": "docker", "startTimeout": 10.0, "stopGracePeriod": 1,
                                        "routerWaitTimeout": 2}})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="t7-controller", daemon=True)
    thread.start()
    yield Controller(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(10)
    app.extensions["deis.db"].dispose()


# -- T6: the truth, the views, the faults -------------------------------------------------------

@dataclass
class Life:
    """One churn container: when it ran (monotonic seconds) and where it listened."""

    app: str
    name: str
    address: str
    started: float
    stopped: float | None = None

    def running(self, at: float) -> bool:
        return self.started <= at and (self.stopped is None or at < self.stopped)

    def changed(self, at: float) -> float:
        """The time of this container's last change at or before ``at``."""
        return self.stopped if self.stopped is not None and self.stopped <= at else self.started


@dataclass
class Fault:
    """One fault: what, when it hit and when the faulted part resumed."""

    what: str
    hit: float
    resumed: float = 0.0
    converged: float | None = None

    def wall(self, at: float) -> float:
        """The wall-clock time of monotonic ``at`` (to find the journals' lines of the fault)."""
        return time.time() - (time.monotonic() - at)


@dataclass
class Churn:
    """Starts and SIGKILLs containers of the churn apps, one change a second; remembers every life."""

    docker_client: object
    image: str
    apps: list[str]
    lives: list[Life] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    rng: random.Random = field(default_factory=random.Random)
    _count: int = 0

    def start(self, app: str) -> None:
        self._count += 1
        name = f"{app}_v1.web.{self._count}"
        start_web(self.image, app, name)
        started = time.monotonic()
        ip = isolation.container_ip(self.docker_client.api.inspect_container(name))
        self.lives.append(Life(app, name, f"{ip}:5000", started))

    def stop(self, life: Life) -> None:
        self.docker_client.api.kill(life.name)
        life.stopped = time.monotonic()

    def step(self) -> None:
        app = self.rng.choice(self.apps)
        running = [life for life in self.lives if life.app == app and life.stopped is None]
        if not running or (len(running) < 3 and self.rng.random() < 0.5):
            self.start(app)
        else:
            self.stop(self.rng.choice(running))

    def run(self) -> None:
        due = time.monotonic()
        while not self.done.wait(max(0.0, due - time.monotonic())):
            due += CHURN_INTERVAL
            self.step()


def nginx_backends(conf: str) -> set[tuple[str, str]]:
    """``(app, address)`` of every app backend in a rendered nginx configuration."""
    found = set()
    for app, body in re.findall(r"upstream app-(\S+) \{(.*?)\}", conf, re.S):
        found.update((app, address) for address in re.findall(r"server (\S+) max_fails", body))
    return found


@dataclass
class Views:
    """Samples of the two views of the routes: etcd's keys and nginx's loaded configuration."""

    platform: Routed
    churn: Churn
    samples: list = field(default_factory=list)  # (time, etcd names or None, nginx names)
    done: threading.Event = field(default_factory=threading.Event)

    def _names_in_nginx(self, at: float) -> set[str]:
        conf = router_nginx(self.platform.ctl.environ).paths.conf.read_text()
        lives = [life for life in self.churn.lives if life.app in self.churn.apps]
        names = set()
        for app, address in nginx_backends(conf):
            # Docker reuses a freed address: the container running there now, else the last one that had it.
            owners = [life for life in lives if life.app == app and life.address == address]
            if owners:
                names.add(next((life for life in owners if life.running(at)), owners[-1]).name)
        return names

    def _names_in_etcd(self) -> set[str] | None:
        try:
            routes, _ = self.platform.ctl.etcd.get_prefix(keys.services())
        except EtcdUnavailable:
            return None
        prefixes = tuple(keys.services(app) for app in self.churn.apps)
        return {key.rsplit("/", 1)[-1] for key in routes if key.startswith(prefixes)}

    def run(self) -> None:
        while not self.done.wait(SAMPLE_INTERVAL):
            at = time.monotonic()
            self.samples.append((at, self._names_in_etcd(), self._names_in_nginx(at)))


@dataclass
class Episode:
    """A container one view got wrong over consecutive samples."""

    name: str
    stale: bool  # routed although stopped (else: running and not routed)
    first: float
    end: float
    since: float  # the container's change that made it wrong


def episodes(samples: list, lives: list[Life], view: int) -> list[Episode]:
    """The mismatch episodes of view 1 (etcd) or 2 (nginx) against the churn's truth."""
    by_name = {life.name: life for life in lives}
    open_: dict[str, Episode] = {}
    closed: list[Episode] = []
    for at, *views in samples:
        seen = views[view - 1]
        if seen is None:  # etcd did not answer: no sample of that view
            continue
        truth = {life.name for life in lives if life.running(at)}
        wrong = {name: name not in truth for name in seen ^ truth if name in by_name}
        for name in list(open_):
            if name not in wrong:
                episode = open_.pop(name)
                episode.end = at
                closed.append(episode)
        for name, stale in wrong.items():
            if name not in open_:
                open_[name] = Episode(name, stale, at, at, by_name[name].changed(at))
    last = samples[-1][0]
    for episode in open_.values():
        episode.end = last
        closed.append(episode)
    return closed


def resumed_before(faults: list[Fault], at: float) -> float:
    """The end of the last fault that hit before ``at`` (``at`` itself while one is going on)."""
    hits = [fault for fault in faults if fault.hit <= at]
    return max((min(fault.resumed, at) for fault in hits), default=0.0)


class Faults:
    """The four faults, each returning the time its faulted part resumed."""

    def __init__(self, platform: Routed):
        self.platform = platform
        self.ctl = platform.ctl

    def kill(self, component: str) -> float:
        """``kill -9`` a supervised component; return when the supervisor's successor started (monotonic)."""
        process = psutil.Process(self.platform.pid(component))
        supervisor, command = process.parent(), process.cmdline()
        process.kill()
        process.wait(10)

        def successor():
            for child in supervisor.children():
                try:
                    if child.pid != process.pid and child.cmdline() == command:
                        return child
                except psutil.NoSuchProcess:
                    continue
            return None
        child = wait_until(successor, 20, interval=0.05, what=f"{command[0]} started again")
        return time.monotonic() - (time.time() - child.create_time())

    def kill_etcd(self) -> float:
        """``kill -9`` etcd; return when the restarted etcd answers."""
        os.kill(self.platform.pid("etcd"), signal.SIGKILL)
        time.sleep(0.2)
        wait_until(self.ctl.etcd.healthy, 30, interval=0.05, what="etcd answering again")
        return time.monotonic()

    def compact_behind_the_router(self) -> float:
        """Pause the router, kill etcd under its watch, move and compact history, resume it."""
        router = self.platform.pid("router")
        os.kill(router, signal.SIGSTOP)
        try:
            self.kill_etcd()
            time.sleep(2.5)  # the churn goes on: the router's watch falls behind
            etcd = self.ctl.etcd
            # History must move past the router's position whether or not the publisher wrote meanwhile:
            # after etcd's restart it may not have yet, and the router was then not behind (a compaction
            # at its own revision is none to it; seen twice in ~5 runs). A key of the router's prefix no
            # route or setting uses does it.
            etcd.put(BEHIND_KEY, str(time.time()))
            etcd._post("kv/compaction", {"revision": etcd.revision(), "physical": True}, "compacting")
        finally:
            os.kill(router, signal.SIGCONT)
        return time.monotonic()

    def hit(self, what: str) -> float:
        """Inflict fault ``what``; return when the faulted part resumed."""
        return {
            "kill -9 publisher": lambda: self.kill("publisher"),
            "kill -9 router": lambda: self.kill("router"),
            "kill -9 etcd": self.kill_etcd,
            "compaction behind the router's watch": self.compact_behind_the_router,
        }[what]()


def converged_after(fault: Fault, found: list[Episode]) -> float:
    """Seconds after ``fault`` resumed until every mismatch open at its resume had ended."""
    open_at_resume = [e.end - fault.resumed for e in found if e.first <= fault.resumed < e.end]
    return max(open_at_resume, default=0.0)


# T6: kill -9 publisher / router / etcd and a compaction, while containers start and stop
def test_watch_faults_under_container_churn_keep_the_routes_equal_to_the_running_containers(
        platform, docker_client, base_image):
    seed = int(os.environ.get("DEIS_T6_SEED", str(random.SystemRandom().randrange(1 << 16))))
    rng = random.Random(seed)
    apps = [f"churn{i}-{uuid.uuid4().hex[:6]}" for i in range(CHURN_APPS)]
    for app in apps:
        platform.ctl.etcd.put(keys.app_marker(app), app)
    churn = Churn(docker_client, base_image, apps, rng=random.Random(seed + 1))
    views = Views(platform, churn)
    faults = Faults(platform)
    plan = [what for _ in range(ROUNDS) for what in rng.sample(list(FAULT_NAMES), len(FAULT_NAMES))]
    happened: list[Fault] = []
    threads = [threading.Thread(target=churn.run, daemon=True), threading.Thread(target=views.run, daemon=True)]
    started = time.monotonic()
    try:
        for app in apps:
            churn.start(app)
        for thread in threads:
            thread.start()
        time.sleep(STEADY)
        for what in plan:
            time.sleep(rng.uniform(0.5, 1.5) * FAULT_SPACING / 2)
            fault = Fault(what, time.monotonic())
            fault.resumed = faults.hit(what)
            happened.append(fault)
            time.sleep(FAULT_SPACING / 2)
        time.sleep(4)
    finally:
        churn.done.set()
        views.done.set()
        for thread in threads:
            thread.join(15)
        for app in apps:
            for leftover in docker_client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
                leftover.remove(force=True)
            platform.ctl.etcd.delete_prefix(keys.services(app))
            platform.ctl.etcd.delete(keys.app_marker(app))
        platform.ctl.etcd.delete(BEHIND_KEY)
    report = _report_t6(seed, started, churn, views, happened)
    journal = (platform.ctl.root / "logs" / "router.log").read_text(errors="replace")
    for fault in happened:
        if fault.converged > CONVERGED_TARGET:
            print(f"  router journal from {fault.what!r} to its convergence:")
            print("\n".join(f"    {line[:200]}" for line in _lines_between(journal, fault.wall(fault.hit),
                                                                      fault.wall(fault.resumed) + fault.converged)))
    # After the compaction the router lists again, by one of two paths, whichever notices first: its
    # watch meets the compaction ("relisting"), or its loop meets the restarted etcd and lists anew.
    relists = journal.count("relisting") + journal.count("nginx keeps serving the last configuration")
    print(f"router relists logged (compaction or etcd away): {relists}")
    assert len(churn.lives) + sum(life.stopped is not None for life in churn.lives) >= 40  # ~1 change/s
    assert relists >= 1, "a compaction behind the router's watch must be logged (as a relist or etcd away)"
    assert report["worst"] <= CONVERGED_WORST, report
    assert report["dead_steady"] <= DEAD_ROUTE_LIMIT, report
    assert report["dead"] <= CONVERGED_WORST, report


FAULT_NAMES = ("kill -9 publisher", "kill -9 router", "kill -9 etcd", "compaction behind the router's watch")


def _lines_between(journal: str, start: float, end: float) -> list[str]:
    """The journal lines stamped (``%Y-%m-%d %H:%M:%S,mmm``) between wall-clock ``start`` and ``end``."""
    found = []
    for line in journal.splitlines():
        try:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except ValueError:
            continue
        if start - 0.5 <= stamp <= end + 0.5:
            found.append(line)
    return found


def _near_a_fault(faults: list[Fault], since: float, end: float) -> bool:
    """True when ``[since, end]`` overlaps a fault or the worst-case convergence after it."""
    return any(since <= fault.resumed + SETTLE and end >= fault.hit for fault in faults)


def _report_t6(seed: int, started: float, churn: Churn, views: Views, faults: list[Fault]) -> dict:
    """Print every T6 figure; return the ones the test asserts."""
    stops = sum(life.stopped is not None for life in churn.lives)
    print(f"\nT6 seed {seed}: {len(churn.lives)} containers started, {stops} stopped over "
          f"{time.monotonic() - started:.0f} s; {len(views.samples)} samples; {len(faults)} faults")
    figures = {"worst": 0.0, "dead": 0.0, "dead_steady": 0.0, "over_target": []}
    for view, label in ((1, "etcd"), (2, "nginx")):
        found = episodes(views.samples, churn.lives, view)
        dead = [e.end - max(e.since, resumed_before(faults, e.end)) for e in found if e.stale]
        dead_ages = [max(0.0, age) for age in dead]
        steady = [e.end - e.since for e in found if e.stale and not _near_a_fault(faults, e.since, e.end)]
        print(f"  {label}: away from faults (hit .. resume + {SETTLE:.0f} s) a stopped container kept "
              f"its route at most {max(steady, default=0):.2f} s ({len(steady)} stops)")
        figures["dead_steady"] = max(figures["dead_steady"], max(steady, default=0.0))
        fresh = [e.end - e.since for e in found if not e.stale and resumed_before(faults, e.end) <= e.since]
        print(f"  {label}: {len(found)} mismatches; route to a stopped container at most "
              f"{max(dead_ages, default=0):.2f} s after its stop or a fault's end (p50 "
              f"{statistics.median(dead_ages) if dead_ages else 0:.2f} s); a new container routed in p50 "
              f"{statistics.median(fresh) if fresh else 0:.2f} s, max {max(fresh, default=0):.2f} s")
        figures["dead"] = max(figures["dead"], max(dead_ages, default=0.0))
        for fault in faults:
            seconds = converged_after(fault, found)
            fault.converged = max(fault.converged or 0.0, seconds)
    for fault in faults:
        print(f"  {fault.what:<40} resumed {fault.resumed - fault.hit:5.2f} s after the hit; "
              f"both views converged {fault.converged:.2f} s after the resume")
        figures["worst"] = max(figures["worst"], fault.converged)
        if fault.converged > CONVERGED_TARGET:
            figures["over_target"].append((fault.what, round(fault.converged, 2)))
    print(f"  converged within the plan's {CONVERGED_TARGET:.0f} s after {len(faults) - len(figures['over_target'])} "
          f"of {len(faults)} faults; over it: {figures['over_target']}; worst {figures['worst']:.2f} s "
          f"(limit {CONVERGED_WORST:.0f} s)")
    return figures


# -- T7 ------------------------------------------------------------------------------------------

def _router_errors(etcd) -> dict[str, str]:
    found, _ = etcd.get_prefix(keys.router_errors(""))
    return found


def _api_write(controller, person, app: str) -> requests.Response:
    """POST a config value the way ``deis config:set`` does, to see the status line itself."""
    return requests.post(f"{controller.url}/v1/apps/{app}/config/", json={"values": {"T7_RAW": "1"}},
                         headers={"Authorization": f"token {person.token}"}, timeout=120)


#: Values under /deis/services/<app>/ that are not host:port.
CORRUPT = {"garbage": "not an address at all", "huge": "9" * 200_000,
           "control": "10.0.0.1:80\r\nserver 127.0.0.1:1;\x1b[2J\x00\x07"}


# etcd SIGSTOP 60 s under 100 rps with API writes; then corrupt values under /deis/services/
@pytest.fixture
def t7_app(docker_client):
    """The name of T7's app; its containers are removed afterwards."""
    app = f"t7-{uuid.uuid4().hex[:6]}"
    yield app
    for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
        container.remove(force=True)


def test_etcd_stopped_60_s_then_corrupt_routes_fail_no_request(platform, controller, alice, base_image, t7_app):
    app = t7_app
    assert alice("create", app, "--no-remote").exit_code == 0
    pulled = alice("pull", base_image, "-a", app, "-p", f"web: {WEB_COMMAND}")
    assert pulled.exit_code == 0, pulled.output
    wait_until(lambda: platform.status(app) == 200, 20, what=f"{app} routed")
    etcd = platform.ctl.etcd
    # Only this platform's apps: the publisher also announces what other tests run on the shared engine.
    routes = set(etcd.leases(keys.services(app))) | set(etcd.leases(keys.services(platform.app)))
    etcd_pid = platform.pid("etcd")
    answers: dict[str, tuple] = {}
    with platform.load(app, threads=T7_THREADS, rate=T7_RATE, max_requests=20_000) as load:
        time.sleep(2)
        os.kill(etcd_pid, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            time.sleep(3)
            for name, call in (("deis config:set", lambda: alice("config:set", "T7=1", "-a", app)),
                               ("deis scale web=2", lambda: alice("scale", "web=2", "-a", app)),
                               ("POST /v1/apps/<app>/config/", lambda: _api_write(controller, alice, app)),
                               ("deis config:list", lambda: alice("config:list", "-a", app))):
                began = time.monotonic()
                answers[name] = (call(), time.monotonic() - began)
            time.sleep(max(0.0, ETCD_OUTAGE - (time.monotonic() - stopped)))
        finally:
            os.kill(etcd_pid, signal.SIGCONT)
        resumed = time.monotonic()
        recovered = _recovery(platform, routes, resumed)
        began = time.monotonic()
        after = alice("config:set", "T7=1", "-a", app)  # its first try, right after the router's recovery
        recovered["an API write accepted"] = began - resumed
        deploy_seconds = time.monotonic() - began
        scaled = alice("scale", "web=2", "-a", app)
        time.sleep(3)
        corrupt = _corrupt_routes(platform, app)
        time.sleep(2)
    failed = load.report(f"T7 etcd SIGSTOPped {ETCD_OUTAGE:.0f} s at {T7_THREADS * T7_RATE} rps, then "
                         f"{len(CORRUPT)} corrupt routes")
    for name, (answer, seconds) in answers.items():
        text = answer.output if hasattr(answer, "output") else f"{answer.status_code} {answer.text}"
        print(f"  during the outage: {name} answered in {seconds:.1f} s: {text.strip()[:300]!r}")
    for name, seconds in recovered.items():
        print(f"  after etcd resumed: {name} in {seconds:.2f} s")
    print(f"  after: deis config:set exit {after.exit_code} (its deploy took {deploy_seconds:.1f} s), "
          f"deis scale web=2 exit {scaled.exit_code}")
    for name, figures in corrupt.items():
        print(f"  corrupt {name}: {figures}")
    assert failed == [], failed[:10]
    assert len(load.results) > 80 * (ETCD_OUTAGE + 5)
    for name in ("deis config:set", "deis scale web=2"):
        result = answers[name][0]
        assert result.exit_code != 0, (name, result.output)
        assert "503" in result.output and "etcd" in result.output and "500 INTERNAL" not in result.output, result.output
        assert "Try again once etcd answers" in result.output, result.output  # a sentence with the next step
    raw = answers["POST /v1/apps/<app>/config/"][0]
    assert raw.status_code == 503, raw.text
    assert raw.json()["detail"].rstrip().endswith("."), raw.text
    assert answers["deis config:list"][0].exit_code == 0, answers["deis config:list"][0].output
    assert after.exit_code == 0, after.output
    assert scaled.exit_code == 0, scaled.output
    assert max(recovered.values()) <= RECOVERY_LIMIT, recovered
    for name, figures in corrupt.items():
        assert figures["journal lines"] == 1, (name, figures)
        assert figures["in errors key"], (name, figures)
        assert figures["others served"], (name, figures)


def _recovery(platform: Routed, routes: set[str], resumed: float) -> dict[str, float]:
    """Seconds from etcd's resume until every route is on a live lease and the router applied it.

    ``inf`` for a step not reached within 30 s (printed, then failed by the caller).
    """
    etcd = platform.ctl.etcd
    times: dict[str, float] = {}

    def reannounced():
        leases = etcd.leases(keys.services())
        return all(key in leases and etcd.lease_alive(leases[key]) for key in routes)

    def applied():
        written = max(etcd.mod_revisions(keys.services()).get(key, 0) for key in routes)
        recorded = etcd.get_prefix(keys.router_host(""))[0]
        return recorded and all(int(value) >= written for value in recorded.values())
    for step, check in (("routes on a live lease", reannounced), ("router applied them", applied)):
        try:
            wait_until(check, 30, what=step)
            times[step] = time.monotonic() - resumed
        except TimeoutError:
            times[step] = float("inf")
            leases = etcd.leases(keys.services())
            print(f"  {step} not reached: " + ", ".join(
                f"{key} lease {leases.get(key)} alive {bool(leases.get(key)) and etcd.lease_alive(leases[key])}"
                for key in sorted(routes)))
    return times


def _corrupt_routes(platform: Routed, app: str) -> dict[str, dict]:
    """Write each corrupt value next to ``app``'s route; return what the router made of it."""
    etcd = platform.ctl.etcd
    journal = platform.ctl.root / "logs" / "router.log"
    results = {}
    for name, value in CORRUPT.items():
        key = keys.service(app, f"corrupt-{name}")
        etcd.put(key, value)
        wait_until(lambda key=key: any(key in errors for errors in _router_errors(etcd).values()), 10,
                   what=f"the router reporting {key}")
        results[name] = {"key": key}
    time.sleep(3)  # several more syncs (held routes, resyncs) must not repeat the line
    for figures in results.values():
        key = figures["key"]
        lines = [line for line in journal.read_text(errors="replace").splitlines() if key in line]
        figures["journal lines"] = len(lines)
        figures["longest line"] = max((len(line) for line in lines), default=0)
        figures["in errors key"] = any(key in errors for errors in _router_errors(etcd).values())
        figures["others served"] = platform.status(app) == 200 and platform.status() == 200
    for figures in results.values():
        etcd.delete(figures["key"])
    wait_until(lambda: not any(v for v in _router_errors(etcd).values()), 10, what="the router's errors cleared")
    return results
