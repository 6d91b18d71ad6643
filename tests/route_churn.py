"""Route churn under load (T5): one route change a second to one app while another serves.

:func:`churn` changes app B's routes once a second (scaled 1 → 2 → 1 … web
containers, as ``deis scale`` would) for a while, and meanwhile sends short
requests to app A (a new connection each) and keeps long-lived responses open
to A (:class:`Streams`: ``/cgi-bin/stream?<s>``, one line a second). It
samples the nginx process count and the router's RSS, reads the reloads from
the router's journal, and returns a :class:`ChurnReport`. The CI test and
``bench/router_churn.py`` run it for different lengths and print the same figures.

nginx on reload starts new workers and tells the old ones to stop accepting;
an old worker lives on until its last response ends, at most
``worker_shutdown_timeout`` (the router sets 60 s) after the reload, when
nginx closes what is left. A stream shorter than that is never cut; streams
are opened in waves of :data:`STREAM_SECONDS`. The first wave begins before
the churn, in one generation, so the old workers it pins are at most one
generation's (the CI test: median master + 2 x workers). Later waves reopen
as each client's stream ends, over 2-3 generations: the 10-minute soak
measured a median of 7 and a max of 10 processes with 2 workers (430 reloads),
steady after the first wave — bounded by the open long responses, not by the
reloads, but above the plan's master + 2 x workers, which nginx can meet only
by cutting long responses at a reload (a shorter worker_shutdown_timeout).
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import requests

from deis import keys
from tests.load import Load
from tests.router_process import RouterProcess, route

#: How long one long-lived response lasts (under the router's worker_shutdown_timeout of 60 s).
STREAM_SECONDS = 50
#: Seconds between samples of the nginx process count and the router's RSS.
SAMPLE_EVERY = 0.25


@dataclass
class Streams:
    """``count`` clients each holding one long response from app A open, wave after wave, until stopped."""

    url: str
    host: str
    count: int = 20
    seconds: int = STREAM_SECONDS
    #: ``(opened, last line, lines, complete, error)`` of every stream (epoch seconds).
    results: list = field(default_factory=list)
    opened: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    done: threading.Event = field(default_factory=threading.Event)

    def client(self) -> None:
        """Open a stream, read it to its last line, record it; again until :attr:`done`."""
        while not self.done.is_set():
            opened, last, lines, error = time.time(), time.time(), 0, ""
            try:
                with requests.get(f"{self.url}cgi-bin/stream?{self.seconds}", headers={"Host": self.host},
                                  stream=True, timeout=(5, 10)) as response:
                    for line in response.iter_lines():
                        lines, last = lines + 1, time.time()
                        if lines == 1:
                            self.opened.release()
                        if line == b"end":
                            break
            except requests.RequestException as exc:
                error = repr(exc)[:200]
            self.results.append((opened, last, lines, lines == self.seconds + 1 and not error, error))

    def __enter__(self) -> Streams:
        self._threads = [threading.Thread(target=self.client, daemon=True) for _ in range(self.count)]
        for thread in self._threads:
            thread.start()
        for _ in range(self.count):  # every first wave's response has begun
            if not self.opened.acquire(timeout=15):
                raise TimeoutError("long-lived responses did not begin within 15 s")
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        for thread in self._threads:
            thread.join(self.seconds + 15)

    def cut(self) -> list:
        """The streams that ended before their last line."""
        return [result for result in self.results if not result[3]]


@dataclass
class ChurnReport:
    """What one churn run measured."""

    seconds: float
    changes: int
    reloads: list[float]
    workers: int
    processes: list[int]
    rss_before: int
    rss_after: int
    short: list
    streams: list
    #: Add to a monotonic time of :attr:`short` to get epoch seconds.
    clock: float = 0.0

    @property
    def min_reload_gap(self) -> float:
        """The shortest time between two reloads (coalescing keeps it ≥ the reload interval)."""
        gaps = [b - a for a, b in zip(self.reloads, self.reloads[1:], strict=False)]
        return min(gaps) if gaps else float("inf")

    @property
    def rss_growth(self) -> float:
        """The router's RSS growth over the run, as a fraction of where it began."""
        return self.rss_after / self.rss_before - 1

    @property
    def short_failed(self) -> list:
        """The short requests that did not answer 200."""
        return [result for result in self.short if result[1] != 200]

    @property
    def streams_cut(self) -> list:
        """The long-lived responses that ended before their last line."""
        return [result for result in self.streams if not result[3]]

    @property
    def over_two_generations(self) -> float:
        """The share of samples with more nginx processes than the master and two generations of workers."""
        return sum(1 for count in self.processes if count > 1 + 2 * self.workers) / len(self.processes)

    def verdicts(self) -> dict[str, bool]:
        """Each pass figure of T5 and whether this run met it."""
        return {
            "reloads coalesced: at most one per reload interval (1 s)":
                0 < len(self.reloads) <= self.changes and self.min_reload_gap >= 0.99,
            "nginx processes: median <= master + 2 x workers, max <= master + 3 x workers (during a reload)":
                statistics.median(self.processes) <= 1 + 2 * self.workers
                and max(self.processes) <= 1 + 3 * self.workers,
            "router RSS growth < 20 %": self.rss_growth < 0.20,
            "0 failed short requests": not self.short_failed,
            "0 long-lived responses cut": not self.streams_cut,
        }

    def lines(self) -> list[str]:
        """The figures, one per line, for a test's or a benchmark's output."""
        return [
            f"route changes: {self.changes} in {self.seconds:.0f} s; nginx reloads: {len(self.reloads)} "
            f"({len(self.reloads) / self.seconds:.2f}/s, {60 * len(self.reloads) / self.seconds:.0f}/min), "
            f"shortest gap between reloads {self.min_reload_gap:.2f} s",
            f"nginx processes (master + workers + old workers shutting down; {self.workers} workers): "
            f"max {max(self.processes)}, median {statistics.median(self.processes):g}, "
            f"{100 * self.over_two_generations:.0f} % of {len(self.processes)} samples above "
            f"master + 2 x workers",
            f"router RSS: {self.rss_before / 2**20:.1f} MiB -> {self.rss_after / 2**20:.1f} MiB "
            f"({100 * self.rss_growth:+.1f} %)",
            f"short requests to app A: {len(self.short)} ({len(self.short) / self.seconds:.0f}/s), "
            f"{len(self.short_failed)} failed {sorted({str(r[1])[:80] for r in self.short_failed})}",
            f"long-lived responses: {len(self.streams)} ended, {len(self.streams_cut)} cut "
            f"{[(_clock(r[1]), r[2], r[4][:40]) for r in self.streams_cut][:5]} (last line at, lines, error)",
            f"failed short requests at {sorted({_clock(r[0] + self.clock) for r in self.short_failed})[:10]}",
            f"nginx processes by thirds of the run (max, median): "
            f"{[(max(third), statistics.median(third)) for third in _thirds(self.processes)]}",
        ]


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def _thirds(samples: list[int]) -> list[list[int]]:
    size = max(1, len(samples) // 3)
    return [samples[:size], samples[size:2 * size], samples[2 * size:] or samples[-1:]]


def churn(etcd, router: RouterProcess, app_a: str, app_b: str, address: str, seconds: float,
          streams: int = 20, rate: float = 100) -> ChurnReport:
    """Change app B's routes once a second for ``seconds`` under load on app A (routed to ``address``)."""
    route(etcd, app_a, address)
    route(etcd, app_b, address)
    host = f"{app_a}.deis.localhost"
    time.sleep(2)  # both routes applied (reload interval 1 s)
    with Streams(router.url, host, streams) as long, Load(router.url, host, threads=2, rate=rate / 2,
                                                         max_requests=int(rate * (seconds + 120))) as short:
        rss_before, workers, samples = router.rss(), len(router.workers()), []
        began = time.time()
        changes = _change_routes(etcd, router, app_b, address, seconds, samples)
        ended = time.time()
        rss_after = router.rss()
    reloads = [stamp for stamp in router.reloads() if began <= stamp <= ended + 0.1]
    return ChurnReport(ended - began, changes, reloads, workers, samples, rss_before, rss_after,
                       list(short.results), list(long.results), time.time() - time.monotonic())


def _change_routes(etcd, router: RouterProcess, app: str, address: str, seconds: float, samples: list) -> int:
    """Scale ``app`` 1 → 2 → 1 … web containers, one step a second; sample nginx's processes meanwhile."""
    second = keys.service(app, f"{app}_v1.web.2")
    changes, began = 0, time.monotonic()
    while time.monotonic() - began < seconds:
        if changes % 2 == 0:
            etcd.put(second, address)
        else:
            etcd.delete(second)
        changes += 1
        due = began + changes
        while time.monotonic() < due:
            samples.append(router.nginx_processes())
            time.sleep(SAMPLE_EVERY)
    return changes
