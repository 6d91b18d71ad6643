"""Controller API latency under real gunicorn (issue 3's benchmark).

``python -m bench.controller_api [--apps 100] [--requests 400] [--workers N]``
starts a throwaway etcd and PostgreSQL, runs ``deis-controller`` (gunicorn, as
in production) on a free port, registers a user and creates ``--apps`` apps,
then measures p50/p99 latency of

* ``GET /v1/apps/`` (every app on one page),
* ``POST /v1/apps/<id>/config/`` (on apps without a build: each makes a release),
* ``GET /v1/apps/<id>/releases/``,

at 1 and 20 concurrent clients, next to ``GET /healthz`` measured in the same
run at the same concurrency: the machine is shared, so the ratio to that
baseline says more than the absolute numbers. Target: p99 < 50 ms for the
reads at 20 concurrent clients. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests

from tests import services

CONCURRENCY = (1, 20)
TARGET_P99 = 0.050
PASSWORD = "bench password"


@dataclass
class Sample:
    """Latencies (seconds) and unexpected answers of one endpoint at one concurrency."""

    latencies: list[float]
    errors: int
    elapsed: float

    def quantile(self, q: int) -> float:
        """Return the ``q``-th percentile (1..99)."""
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


@contextlib.contextmanager
def running_controller(etcd: str, database_url: str, workers: int | None) -> Iterator[str]:
    """Run ``deis-controller`` under gunicorn on a free port; yield its URL."""
    port = services.free_port()
    environ = dict(os.environ, DEIS_ETCD=etcd, DEIS_DATABASE_URL=database_url, DEIS_CONTROLLER_PORT=str(port),
                   DEIS_LOG_LEVEL="WARNING")
    if workers:
        environ["DEIS_CONTROLLER_WORKERS"] = str(workers)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "controller"], env=environ, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            services.wait_until(lambda: _healthy(url) or process.poll() is not None, 60, what="the controller")
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"deis-controller exited:\n{log.read().decode(errors='replace')[-2000:]}")
            yield url
        finally:
            process.terminate()
            process.wait(30)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).ok
    except requests.RequestException:
        return False


def login(url: str) -> str:
    """Register the first user (an admin) and return its token."""
    user = {"username": "bench", "password": PASSWORD, "email": "bench@example.com"}
    requests.post(f"{url}/v1/auth/register/", json=user, timeout=30).raise_for_status()
    response = requests.post(f"{url}/v1/auth/login/", json=user, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def create_apps(url: str, token: str, count: int) -> list[str]:
    """Create ``count`` apps (no build) and return their ids."""
    names = [f"bench-{n:03d}" for n in range(count)]
    with requests.Session() as session:
        session.headers["Authorization"] = f"token {token}"
        for name in names:
            session.post(f"{url}/v1/apps/", json={"id": name}, timeout=30).raise_for_status()
    return names


#: One request of a client: ``(session, client number, request number) -> response``.
Call = Callable[[requests.Session, int, int], requests.Response]


def measure(call: Call, token: str, clients: int, total: int) -> Sample:
    """Send ``total`` requests from ``clients`` threads (one keep-alive session each)."""
    latencies: list[float] = []
    errors = itertools.count()
    per_client = max(1, total // clients)

    def client(number: int) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"token {token}"
            for n in range(per_client):
                started = time.perf_counter()
                response = call(session, number, n)
                latencies.append(time.perf_counter() - started)
                if not response.ok:
                    next(errors)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Sample(latencies, next(errors), time.perf_counter() - started)


def endpoints(url: str, apps: list[str]) -> dict[str, Call]:
    """Return the measured requests by name, ``/healthz`` first (the baseline)."""
    return {
        "GET /healthz": lambda s, c, n: s.get(f"{url}/healthz", timeout=30),
        "GET /v1/apps/": lambda s, c, n: s.get(f"{url}/v1/apps/", timeout=30),
        # Each client changes its own app: one app's changes are serialized by its lock.
        "POST /v1/apps/<id>/config/": lambda s, c, n: s.post(
            f"{url}/v1/apps/{apps[c]}/config/", json={"values": {"BENCH": f"{c}-{n}"}}, timeout=30),
        "GET /v1/apps/<id>/releases/": lambda s, c, n: s.get(f"{url}/v1/apps/{apps[c]}/releases/", timeout=30),
    }


def report(name: str, clients: int, sample: Sample, baseline: Sample | None) -> None:
    """Print one line: p50, p99, throughput, errors, and p99 against ``/healthz``."""
    p50, p99 = sample.quantile(50), sample.quantile(99)
    ratio = f"{p99 / baseline.quantile(99):6.1f}x" if baseline else "  base"
    print(f"{name:<30} c={clients:<3} n={len(sample.latencies):<5} p50 {p50 * 1000:7.1f} ms  "
          f"p99 {p99 * 1000:7.1f} ms  {len(sample.latencies) / sample.elapsed:7.0f} req/s  "
          f"errors {sample.errors:<3} p99/healthz {ratio}")


def run(apps: int, total: int, workers: int | None) -> None:
    """Start the services and the controller, then measure and print."""
    with services.running_etcd() as etcd, services.running_postgres() as database_url, \
            running_controller(etcd, database_url, workers) as url:
        token = login(url)
        names = create_apps(url, token, max(apps, max(CONCURRENCY)))
        print(f"controller under gunicorn at {url}; {len(names)} apps")
        verdicts = []
        for clients in CONCURRENCY:
            baseline = None
            for name, call in endpoints(url, names).items():
                measure(call, token, clients, clients * 5)  # warm every worker's connections
                sample = measure(call, token, clients, total)
                report(name, clients, sample, baseline)
                baseline = baseline or sample
                if clients == max(CONCURRENCY) and name.startswith("GET /v1/"):
                    verdicts.append((name, sample.quantile(99)))
        for name, p99 in verdicts:
            verdict = "met" if p99 < TARGET_P99 else "MISSED"
            print(f"target p99 < {TARGET_P99 * 1000:.0f} ms at {max(CONCURRENCY)} clients, {name}: "
                  f"{p99 * 1000:.1f} ms ({verdict})")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=100, help="apps listed by GET /v1/apps/")
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint and concurrency")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the controller's)")
    args = parser.parse_args(argv)
    run(args.apps, args.requests, args.workers)


if __name__ == "__main__":
    main()
