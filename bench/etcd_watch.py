"""How much our etcd layer costs, and how fast a watcher hears about a change.

Baseline: a raw HTTP ``kv/put`` to etcd's JSON gateway with a bare requests
session (the least any client can pay). Measured in the same run against the
same etcd: ``Etcd.put`` (our adapter), and the delay from the start of a put
until a :meth:`Etcd.watch_prefix` consumer in another thread receives the event
(what the router and publisher wait for). Target: adapter within 1.5x of the
raw put; watch delivery within 2x of one put round trip.

Run: ``python -m bench.etcd_watch [N]`` (starts a throwaway etcd).
"""

from __future__ import annotations

import base64
import statistics
import sys
import threading
import time

import requests

from deis.etcd import Etcd
from tests.services import running_etcd


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def raw_put(endpoint: str, n: int) -> list[float]:
    """Baseline: bare requests to the gateway."""
    session, samples = requests.Session(), []
    for i in range(n):
        body = {"key": base64.b64encode(f"/bench/raw/{i}".encode()).decode(), "value": "eA=="}
        begun = time.perf_counter()
        session.post(f"{endpoint}/v3/kv/put", json=body).raise_for_status()
        samples.append(time.perf_counter() - begun)
    return samples


def adapter_put(etcd: Etcd, n: int) -> list[float]:
    samples = []
    for i in range(n):
        begun = time.perf_counter()
        etcd.put(f"/bench/adapter/{i}", "x")
        samples.append(time.perf_counter() - begun)
    return samples


def watch_delivery(etcd: Etcd, n: int) -> list[float]:
    """Seconds from the start of a put to the watcher thread holding the event."""
    arrived: dict[str, float] = {}
    stop, ready = threading.Event(), threading.Event()

    def consume():
        ready.set()
        for event in etcd.watch_prefix("/bench/watch/", etcd.revision() + 1, stop):
            arrived[event.key] = time.perf_counter()

    threading.Thread(target=consume, daemon=True).start()
    ready.wait()
    time.sleep(0.3)
    sent: dict[str, float] = {}
    for i in range(n):
        key = f"/bench/watch/{i}"
        sent[key] = time.perf_counter()
        etcd.put(key, "x")
        while key not in arrived:
            time.sleep(0.0002)
    stop.set()
    return [arrived[key] - sent[key] for key in sent]


def main(n: int = 500) -> None:
    with running_etcd() as endpoint:
        etcd = Etcd(endpoint)
        raw_put(endpoint, 50)  # warm up connections and etcd
        baseline = _percentiles(raw_put(endpoint, n))
        adapter = _percentiles(adapter_put(etcd, n))
        watch = _percentiles(watch_delivery(etcd, n))
    print(f"etcd bench, n={n} (milliseconds, p50 / p99)")
    print(f"  baseline raw gateway put   {baseline[0] * 1e3:7.2f} / {baseline[1] * 1e3:7.2f}")
    print(f"  Etcd.put (our adapter)     {adapter[0] * 1e3:7.2f} / {adapter[1] * 1e3:7.2f}"
          f"   ratio p50 {adapter[0] / baseline[0]:.2f}x (target <= 1.5x)")
    print(f"  put -> watcher delivery    {watch[0] * 1e3:7.2f} / {watch[1] * 1e3:7.2f}"
          f"   ratio p50 {watch[0] / baseline[0]:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
