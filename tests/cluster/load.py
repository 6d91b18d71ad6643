"""Load on the platform on the bed, shared by its failover tests and ``bench/cluster_failover``.

A harness module, not a test module (``tests/unit/test_bench_imports.py``):
requests to an app through one router (:class:`Load`), authenticated writes
against the API with each acknowledged one's time (:class:`Writes`), and the
waits and figures the failover measurements print. Only bed addresses are
contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass, field

import requests

from tests.cluster import mesh
from tests.cluster.platform import API
from tests.cluster.testbed import require_bed_route

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
        number, prefix = 0, f"w{os.urandom(3).hex()}-"  # key ids are unique per user: a second loop needs new ones
        while not self.stop.is_set():
            number += 1
            name = f"{prefix}{number}"
            try:
                answer = requests.post(f"http://{self.ip}/v1/keys/", json={"id": name, "public": public_key(name)},
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


def public_key(comment: str) -> str:
    """A well-formed ssh-ed25519 public key (random bytes: the controller stores it, nothing signs with it)."""
    blob = b"".join(len(part).to_bytes(4, "big") + part for part in (b"ssh-ed25519", os.urandom(32)))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def token(ip: str, user: str) -> str:
    require_bed_route(ip)
    answer = requests.post(f"http://{ip}/v1/auth/login/", json={"username": user, "password": PASSWORD},
                           headers={"Host": API}, timeout=15)
    answer.raise_for_status()
    return answer.json()["token"]


def push_until_it_works(person, repo, ip: str, app: str, deadline: float):
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


def wait(probe, timeout: float) -> float | None:
    """The time ``probe`` first returned a time (or a true value: now), or None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found if isinstance(found, float) else time.monotonic()
        time.sleep(0.5)
    return None


def wait_until_clean(load: Load, cut: float, timeout: float, clean_for: float = 10) -> float | None:
    """The start of the first ``clean_for`` s after the cut with no failed request, or None."""
    deadline = cut + timeout
    while time.monotonic() < deadline:
        failures = load.failures(cut)
        since = failures[-1] if failures else cut
        if time.monotonic() - since >= clean_for:
            return since
        time.sleep(0.5)
    return None


def seconds(moment: float | None, since: float) -> str:
    return "never" if moment is None else f"{moment - since:.1f} s"


def window(failures: list[float], cut: float) -> str:
    if not failures:
        return "none"
    return f"{failures[0] - cut:+.1f} s to {failures[-1] - cut:+.1f} s after the cut"


def log_lines(person, app: str, lines: int = 1000, retry_for: float = 0) -> list[str]:
    """The app's log lines as ``deis logs`` prints them (the last ``lines``).

    With ``retry_for``, ask again until ``deis logs`` succeeds (the logger may
    be moving to another host) for that many seconds; then fail as it did.
    """
    deadline = time.monotonic() + retry_for
    while True:
        shown = person.deis("logs", "-a", app, "-n", str(lines), check=time.monotonic() > deadline)
        if shown.returncode == 0:
            return [line for line in shown.stdout.splitlines() if line.strip()]
        time.sleep(2)
