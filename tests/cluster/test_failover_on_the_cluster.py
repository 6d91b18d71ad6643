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

import base64
import contextlib
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import docker
import pytest
import requests

from deis import keys
from tests.cluster import mesh
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
from tests.cluster.testbed import STATE, require_bed_route
from tests.person import make_repo

pytestmark = pytest.mark.multihost

#: The database's archiveTimeout for this test: a crash loses at most this much of acknowledged writes.
ARCHIVE_TIMEOUT = 10
APP_RPS = 50
PASSWORD = "s3cret pass"


@dataclass
class Load:
    """Requests to an app through one router, ``rps`` a second, each on a new connection, each outcome kept."""

    ip: str
    app: str
    rps: int = APP_RPS
    outcomes: list[tuple[float, bool]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, workers: int = 10) -> list[threading.Thread]:
        require_bed_route(self.ip)
        threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _worker(self) -> None:
        interval = 10 / self.rps  # 10 workers
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                ok = requests.get(f"http://{self.ip}/", headers={"Host": f"{self.app}.{mesh.DOMAIN}"},
                                  timeout=2).status_code == 200
            except requests.RequestException:
                ok = False
            self.outcomes.append((started, ok))
            self.stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def failures(self, since: float) -> list[float]:
        return sorted(at for at, ok in self.outcomes if at >= since and not ok)


@dataclass
class Writes:
    """Authenticated writes through one router (``POST /v1/keys/``), each acknowledged one's id and time kept."""

    ip: str
    token: str
    acknowledged: dict[str, float] = field(default_factory=dict)
    refused: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> threading.Thread:
        require_bed_route(self.ip)
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            name = f"w{number}"
            try:
                answer = requests.post(f"http://{self.ip}/v1/keys/", json={"id": name, "public": _public_key(name)},
                                       headers=self.headers, timeout=15)
                if answer.status_code == 201:
                    self.acknowledged[name] = time.monotonic()
                else:
                    self.refused += 1
            except requests.RequestException:
                self.refused += 1
            self.stop.wait(0.2)

    @property
    def headers(self) -> dict[str, str]:
        return {"Host": API, "Authorization": f"token {self.token}"}

    def stored(self) -> set[str]:
        answer = requests.get(f"http://{self.ip}/v1/keys/?page_size=1000", headers=self.headers, timeout=15)
        answer.raise_for_status()
        return {key["id"] for key in answer.json()["results"]}

    def first_after(self, moment: float) -> float | None:
        later = [at for at in self.acknowledged.values() if at > moment]
        return min(later) if later else None


def _public_key(comment: str) -> str:
    """A well-formed ssh-ed25519 public key (random bytes: the controller stores it, nothing signs with it)."""
    blob = b"".join(len(part).to_bytes(4, "big") + part for part in (b"ssh-ed25519", os.urandom(32)))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def _token(ip: str, user: str) -> str:
    require_bed_route(ip)
    answer = requests.post(f"http://{ip}/v1/auth/login/", json={"username": user, "password": PASSWORD},
                           headers={"Host": API}, timeout=15)
    answer.raise_for_status()
    return answer.json()["token"]


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


def _window(failures: list[float], cut: float) -> str:
    if not failures:
        return "none"
    return f"{failures[0] - cut:+.1f} s to {failures[-1] - cut:+.1f} s after the cut"


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

    load, writes = Load(survivor.ip, app), Writes(survivor.ip, _token(survivor.ip, user))
    threads = [*load.run(), writes.run()]
    time.sleep(ARCHIVE_TIMEOUT + 10)  # writes old enough to be archived when the host goes
    cut = time.monotonic()
    bed.partition(victim)
    try:
        api_back = _wait(lambda: writes.first_after(cut + 1), 300)
        app_clean = _wait_until_clean(load, cut, 120)
        (repo / "CHANGES").write_text("after the cut\n")
        alice.git("add", "CHANGES", cwd=repo)
        alice.git("commit", "-q", "-m", "after the cut", cwd=repo)
        pushed, push_back, push_tries = _push_until_it_works(alice, repo, survivor.ip, app, cut + 180)
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
          f"cut ({len(before)} before it), failures {_window(failures, cut)}; app 100 % again "
          f"{_seconds(app_clean, cut)} after the cut; API acknowledged a write again {_seconds(api_back, cut)} after "
          f"the cut ({writes.refused} writes refused or unanswered); writes acknowledged > {ARCHIVE_TIMEOUT} s before "
          f"the cut: {len(old_writes & stored)}/{len(old_writes)} kept, in the last {ARCHIVE_TIMEOUT} s: "
          f"{len(recent & stored)}/{len(recent)} kept; git push works again {_seconds(push_back, cut)} after the "
          f"cut ({push_tries} tries); placement before {placed}")
    rejoined = _wait(lambda: _rejoined(bed, victim.name, placed, survivor.name), 180)
    print(f"failover ({target}): {victim.name} Ready with its global tasks {_seconds(rejoined, healed)} after the "
          f"heal; placement after {_placement_or_error(bed, survivor.name)}")

    assert api_back is not None, f"the API never acknowledged a write after the cut\n{journals(data)}"
    assert old_writes <= stored, f"lost acknowledged writes: {sorted(old_writes - stored)}"
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    assert app_clean is not None, f"the app still failed 120 s after the cut: {_window(failures, cut)}"
    assert rejoined is not None, f"{victim.name} did not rejoin: {_placement_or_error(bed, survivor.name)}"


def _push_until_it_works(person, repo, ip: str, app: str, deadline: float):
    """Push until a push succeeds or ``deadline``; return the last result, when the good one began, and the tries.

    A push right after the cut may find the registry on the cut host, or
    moving: the builder then refuses it, and the person pushes again.
    """
    tries = 0
    while True:
        tries += 1
        began = time.monotonic()
        pushed = person.git("push", f"ssh://git@{ip}:2222/{app}.git", "master", cwd=repo, check=False)
        if pushed.returncode == 0 or time.monotonic() > deadline:
            return pushed, (began if pushed.returncode == 0 else None), tries
        time.sleep(2)


def _wait(probe, timeout: float) -> float | None:
    """The time ``probe`` first returned a time (or a true value: now), or None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found if isinstance(found, float) else time.monotonic()
        time.sleep(0.5)
    return None


def _wait_until_clean(load: Load, cut: float, timeout: float, clean_for: float = 10) -> float | None:
    """The start of the first ``clean_for`` s after the cut with no failed request, or None."""
    deadline = cut + timeout
    while time.monotonic() < deadline:
        failures = load.failures(cut)
        since = failures[-1] if failures else cut
        if time.monotonic() - since >= clean_for:
            return since
        time.sleep(0.5)
    return None


def _seconds(moment: float | None, since: float) -> str:
    return "never" if moment is None else f"{moment - since:.1f} s"
