"""Router throughput and route propagation (issue 5's benchmark).

``python -m bench.router [--concurrency 16] [--seconds 3] [--rounds 5] [--starts 30]``
starts a throwaway etcd, a real publisher and a real router (nginx on free
ports, production settings) in threads, and an app container the way the
controller's docker scheduler makes it. It then measures:

* **throughput**: requests/s and p99 latency through the router and directly
  to the container, with the same client at the same concurrency (``wrk`` when
  installed — ``apt-get install wrk`` — else a Python load generator), the two
  interleaved ``--rounds`` times and the medians compared; target ratio ≥ 0.85;
* **propagation**: for ``--starts`` fresh containers, the time from the
  scheduler starting one to its first 200 through the router (target p99 < 1 s),
  next to the time until it first answers directly (its own boot, the
  baseline), and the time from stopping it until the router stops sending to it.

It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

from controller.scheduler import ContainerSpec
from controller.scheduler.docker import DockerScheduler
from deis import keys
from deis.etcd import Etcd
from publisher.reconciler import Publisher
from router.nginx import Nginx
from router.reconciler import Router
from router.render import NginxPaths, Ports
from tests import services

DOMAIN = "deis.localhost"
#: The app: busybox httpd serving a small page on $PORT, as a deployed app would.
WEB = 'echo "hello from $DEIS_APP" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'
TARGET_RATIO = 0.85
TARGET_PROPAGATION = 1.0


@dataclass
class Throughput:
    """What one load run measured."""

    rps: float  # good (2xx) answers per second
    p99: float  # seconds
    errors: int  # non-2xx answers and socket errors


# -- the platform under test --------------------------------------------------

@contextlib.contextmanager
def running_daemon(target, name: str) -> Iterator[threading.Event]:
    """Run ``target.run(stop)`` in a thread until the block ends."""
    stop = threading.Event()
    thread = threading.Thread(target=target.run, args=(stop,), name=name, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        if hasattr(target, "wake"):
            target.wake.set()
        thread.join(15)


@contextlib.contextmanager
def running_router(etcd: Etcd, root: Path) -> Iterator[Ports]:
    """Run a router with its nginx on free ports (default reload interval and resync)."""
    ports = Ports(http=services.free_port(), https=services.free_port(), builder=services.free_port(),
                  health=services.free_port())
    nginx = Nginx(NginxPaths(root))
    root.mkdir(parents=True)
    etcd.put(keys.platform("domain"), DOMAIN)
    router = Router(etcd, nginx, ports, f"bench-{uuid.uuid4().hex[:6]}")
    try:
        with running_daemon(router, "router"):
            services.wait_until(lambda: nginx.pid(), 10, what="nginx started")
            yield ports
    finally:
        nginx.stop()


def start_app(scheduler: DockerScheduler, image: str, app: str, num: int = 1) -> str:
    """Create and start ``<app>_v1.web.<num>`` as the controller would; return its name."""
    name = f"{app}_v1.web.{num}"
    scheduler.create(ContainerSpec(name=name, image=image, command=["sh", "-c", WEB], port=5000,
                                   environment={"PORT": "5000", "DEIS_APP": app, "DEIS_RELEASE": "v1"},
                                   labels={"deis.app": app, "deis.bench": "router"}))
    scheduler.start(name)
    return name


def status(url: str, host: str | None = None, timeout: float = 0.25) -> int | None:
    """Return the status of ``GET url`` (``None`` on no answer)."""
    try:
        return requests.get(url, headers={"Host": host} if host else {}, timeout=timeout).status_code
    except requests.RequestException:
        return None


# -- load generators ----------------------------------------------------------

def wrk(url: str, host: str | None, concurrency: int, seconds: float) -> Throughput:
    """Run ``wrk`` (keep-alive clients; the app closes each connection) and parse its report."""
    command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds:g}s", "--latency", url]
    if host:
        command[1:1] = ["-H", f"Host: {host}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total, elapsed = re.search(r"(\d+) requests in ([\d.]+\w+)", output).groups()
    p99 = _wrk_duration(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failed = int(non2xx.group(1)) if non2xx else 0
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    # Only good answers count: a fast 503 must not pass for throughput.
    return Throughput((int(total) - failed) / _wrk_duration(elapsed), p99, failed + socket_errors)


def _wrk_duration(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def python_load(url: str, host: str | None, concurrency: int, seconds: float) -> Throughput:
    """A closed-loop Python client: ``concurrency`` threads, one keep-alive session each."""
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    ok = session.get(url, headers={"Host": host} if host else {}, timeout=5).ok
                except requests.RequestException:
                    ok = False
                latencies.append(time.perf_counter() - started)
                if not ok:
                    errors.append(1)

    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client)
    good = len(latencies) - len(errors)
    return Throughput(good / seconds, statistics.quantiles(latencies, n=100)[98], len(errors))


# -- the measurements ----------------------------------------------------------

@contextlib.contextmanager
def fresh_app(scheduler: DockerScheduler, image: str, ports: Ports) -> Iterator[tuple[str, str, str]]:
    """Start a new app container and wait until it is routed; yield its direct URL, router URL and Host."""
    app = f"bench-{uuid.uuid4().hex[:8]}"
    name = start_app(scheduler, image, app)
    try:
        host, routed = f"{app}.{DOMAIN}", f"http://127.0.0.1:{ports.http}/"
        services.wait_until(lambda: status(routed, host) == 200, 10, what="the app routed")
        yield f"http://{scheduler.address(name)}:5000/", routed, host
    finally:
        scheduler.destroy(name)


def throughput(scheduler: DockerScheduler, image: str, ports: Ports, concurrency: int, seconds: float,
               rounds: int) -> None:
    """Print router vs direct requests/s and p99, interleaved ``rounds`` times.

    The app (busybox httpd) closes every connection, so each request is a new
    TCP connection from the host to the container. At thousands per second the
    ~28,000 ports of one source address are all in TIME_WAIT within seconds and
    connects then stall for a 1 s retransmit; so every run gets a fresh
    container (a fresh address), and runs are short enough to stay under that.
    """
    load, client = (wrk, "wrk") if shutil.which("wrk") else (python_load, "Python load generator")
    print(f"throughput: {client}, {concurrency} connections, {seconds:g} s per run, {rounds} rounds")
    runs: dict[str, list[Throughput]] = {"direct": [], "router": []}
    for _ in range(rounds):
        with fresh_app(scheduler, image, ports) as (direct, _, _):
            runs["direct"].append(load(direct, None, concurrency, seconds))
        with fresh_app(scheduler, image, ports) as (_, routed, host):
            runs["router"].append(load(routed, host, concurrency, seconds))
    medians = {}
    for name, results in runs.items():
        rps = statistics.median(r.rps for r in results)
        p99 = statistics.median(r.p99 for r in results)
        medians[name] = (rps, p99)
        print(f"  {name:<7} {rps:8.0f} req/s  p99 {p99 * 1000:6.1f} ms  errors {sum(r.errors for r in results)}"
              f"  (runs: {', '.join(f'{r.rps:.0f}' for r in results)})")
    ratio = medians["router"][0] / medians["direct"][0]
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"  router/direct requests/s ratio {ratio:.2f} (target >= {TARGET_RATIO}: {verdict}); "
          f"p99 ratio {medians['router'][1] / medians['direct'][1]:.2f}")


def moment(predicate, what: str) -> float:
    """Poll ``predicate`` every 10 ms; return the first time it held."""
    return services.wait_until(lambda: predicate() and time.monotonic(), 10, 0.01, what=what)


def one_start(scheduler: DockerScheduler, image: str, router_url: str) -> tuple[float, float, float]:
    """Start a fresh app's container; return seconds to answer, to be routed, and to be unrouted once stopped."""
    app = f"bench-{uuid.uuid4().hex[:8]}"
    host = f"{app}.{DOMAIN}"
    name = start_app(scheduler, image, app)
    started = time.monotonic()
    try:
        ip = services.wait_until(lambda: scheduler.address(name), 10, 0.01, what="an address")
        answered = moment(lambda: status(f"http://{ip}:5000/") == 200, "the container answering")
        routed = moment(lambda: status(router_url, host) == 200, "the first 200 through the router")
        scheduler.stop(name, 1)
        stopped = time.monotonic()
        gone = moment(lambda: status(router_url, host) in (404, 503), "the route gone")
        return answered - started, routed - started, gone - stopped
    finally:
        scheduler.destroy(name)


def propagation(scheduler: DockerScheduler, image: str, ports: Ports, starts: int) -> None:
    """Print start -> first 200 through the router, start -> answering directly, stop -> unrouted."""
    router_url = f"http://127.0.0.1:{ports.http}/"
    boot, routed, unrouted = zip(*(one_start(scheduler, image, router_url) for _ in range(starts)), strict=True)
    print(f"propagation over {starts} container starts (p50 / p99 / max):")
    _quantiles("start -> answering directly (boot)", boot)
    _quantiles("start -> first 200 via router", routed)
    _quantiles("answering -> routed (route lag)", [r - b for r, b in zip(routed, boot, strict=True)])
    _quantiles("stop returned -> unrouted", unrouted)
    p99 = statistics.quantiles(routed, n=100, method="inclusive")[98]
    verdict = "met" if p99 < TARGET_PROPAGATION else "MISSED"
    print(f"  target p99 start -> first 200 < {TARGET_PROPAGATION:g} s: {p99:.3f} s ({verdict})")


def _quantiles(label: str, values) -> None:
    p99 = statistics.quantiles(values, n=100, method="inclusive")[98]
    print(f"  {label:<36} {statistics.median(values):.3f} / {p99:.3f} / {max(values):.3f} s")


def run(concurrency: int, seconds: float, rounds: int, starts: int) -> None:
    """Start etcd, publisher and router; measure; clean up."""
    client = docker.from_env(timeout=120)
    image = services.ensure_base_image(client)
    scheduler = DockerScheduler()
    with services.running_etcd() as endpoint, tempfile.TemporaryDirectory(prefix="deis-bench-router-") as tmp:
        etcd = Etcd(endpoint)
        with running_daemon(Publisher(client, etcd), "publisher"), running_router(etcd, Path(tmp) / "nginx") as ports:
            throughput(scheduler, image, ports, concurrency, seconds, rounds)
            propagation(scheduler, image, ports, starts)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=30)
    args = parser.parse_args(argv)
    run(args.concurrency, args.seconds, args.rounds, args.starts)


if __name__ == "__main__":
    main()
